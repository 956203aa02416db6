package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lashview/internal/storecases"
	"lashview/store"
)

// expectedSet is what a lash-sessions fixture's expected.json says, as far
// as the window shows it.
type expectedSet struct {
	Attachments map[store.ID]struct {
		Status   string  `json:"status"`
		Label    *string `json:"label"`
		ByteLen  *int64  `json:"byte_len"`
		Sessions []struct {
			File     string `json:"file"`
			Name     string `json:"session_name"`
			Messages []struct {
				Text string `json:"text"`
			} `json:"messages"`
		} `json:"sessions"`
	} `json:"attachments"`
	Unreferenced []store.ID `json:"unreferenced"`
	Dangling     []struct {
		File string   `json:"file"`
		ID   store.ID `json:"id"`
	} `json:"dangling"`
	GC struct {
		AsOfMs      int64      `json:"as_of_ms"`
		GraceMs     int64      `json:"grace_ms"`
		Reclaimable []store.ID `json:"reclaimable"`
	} `json:"lash_gc"`
}

func readExpected(t *testing.T, set string) expectedSet {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(storecases.Shared(t), "lash-sessions", set, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectedSet
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// sessionsWindow opens a window on a copy of a fixture's lash home and
// waits for the listing and the sessions. prepare, when set, runs on the
// copy first.
func sessionsWindow(t *testing.T, set string, prepare func(home string)) (*harness, string) {
	t.Helper()
	t.Setenv("LASH_POSTGRES_DATABASE_URL", "")
	home := storecases.CopyHome(t, set)
	if prepare != nil {
		prepare(home)
	}
	h := newHarness(t, filepath.Join(home, "attachments"))
	h.loaded()
	h.settle(func() bool { return !h.b.refs.loading })
	return h, home
}

// texts is every text of a widget tree, in order.
func texts(o fyne.CanvasObject) []string {
	var out []string
	switch x := o.(type) {
	case *widget.Label:
		out = append(out, x.Text)
	case *widget.Hyperlink:
		out = append(out, x.Text)
	case *widget.Button:
		out = append(out, x.Text)
	case *widget.Check:
		out = append(out, x.Text)
	case *fyne.Container:
		for _, c := range x.Objects {
			out = append(out, texts(c)...)
		}
	case *container.Scroll:
		out = append(out, texts(x.Content)...)
	}
	return out
}

func sortedIDs(ids []store.ID) []store.ID {
	out := slices.Clone(ids)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func blobPath(home string, id store.ID) string {
	return store.New(filepath.Join(home, "attachments")).Layout().Blob(id)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

const (
	sharedMock = store.ID("237c1f1dddc4eff3c0ab304590d4283831f6dae789315e4eebc4a2ff3c20ac11")
	gradient   = store.ID("e7587f9de8bd7e42377ac2597dad27637b68c4d47d5f0b29bb1ce41d952eef27")
)

// The details panel's "Used by" names both sessions of an attachment they
// share, with the words of each message that shows it; one no session
// holds says so. The sessions' labels fill the grid of a blob-only store,
// and search finds them.
func TestUsedByInDetails(t *testing.T) {
	want := readExpected(t, "alpha111")
	h, _ := sessionsWindow(t, "alpha111", nil)
	if !strings.Contains(h.b.statusL.Text, "2 sessions read") {
		t.Errorf("status bar %q does not say how many sessions were read", h.b.statusL.Text)
	}

	h.b.click(sharedMock, 0)
	h.settle(func() bool { return h.b.details.id == sharedMock })
	got := strings.Join(texts(h.b.details.usedBy.obj), "\n")
	exp := want.Attachments[sharedMock]
	if len(exp.Sessions) != 2 {
		t.Fatalf("expected.json: %s is held by %d sessions, want the shared one", sharedMock.Short(), len(exp.Sessions))
	}
	for _, s := range exp.Sessions {
		if !strings.Contains(got, s.Name) {
			t.Errorf("Used by lacks session %q:\n%s", s.Name, got)
		}
		for _, m := range s.Messages {
			if !strings.Contains(got, "“"+excerpt(m.Text, 2, 200)+"”") {
				t.Errorf("Used by lacks the message %q:\n%s", m.Text, got)
			}
		}
	}
	if n := strings.Count(got, "Committed "); n != 2 {
		t.Errorf("Used by says committed %d times, want 2:\n%s", n, got)
	}
	if title := h.b.details.title.Text; title != *exp.Label {
		t.Errorf("details title %q, want the newest session label %q", title, *exp.Label)
	}

	h.b.click(want.Unreferenced[0], 0)
	h.settle(func() bool { return h.b.details.id == want.Unreferenced[0] })
	if got := strings.Join(texts(h.b.details.usedBy.obj), "\n"); !strings.Contains(got, "Used by no session") {
		t.Errorf("an unreferenced attachment's Used by says:\n%s", got)
	}

	// Labels: every attachment expected.json labels from the sessions
	// shows that label in the grid; search finds it.
	for id, a := range want.Attachments {
		if a.Status != "ok" {
			continue
		}
		wantLabel := id.Short()
		if a.Label != nil {
			wantLabel = *a.Label
		}
		if got := h.b.cat.displayLabel(id); got != wantLabel {
			t.Errorf("%s shows %q in the grid, want %q", id.Short(), got, wantLabel)
		}
	}
	h.b.setThumbSize(64)
	h.settle(func() bool { c := h.b.cellByID[gradient]; return c != nil && c.id == gradient })
	if c := h.b.cellByID[gradient]; c.fullLabel != "assets/gradient16.png (0KB)" {
		t.Errorf("the cell's label is %q", c.fullLabel)
	}
	test.Type(h.b.search, "gradient16")
	h.settle(func() bool { return true })
	if !slices.Equal(h.b.cat.shown, []store.ID{gradient}) {
		t.Errorf("searching the session label shows %v", h.b.cat.shown)
	}
}

// The sessions filter shows exactly one session's attachments, and
// Unreferenced exactly the ids no session names, with their count and
// size in its text; the choice is remembered.
func TestSessionsFilter(t *testing.T) {
	want := readExpected(t, "alpha111")
	h, _ := sessionsWindow(t, "alpha111", nil)
	sel := h.b.refs.scopeSel
	pick := func(prefix string) string {
		t.Helper()
		for i, o := range sel.Options {
			if strings.HasPrefix(o, prefix) {
				sel.SetSelectedIndex(i) // as a click on the option does
				h.settle(func() bool { return true })
				return o
			}
		}
		t.Fatalf("the sessions filter has no %q among %q", prefix, sel.Options)
		return ""
	}

	for _, name := range []string{"tidal-cove", "d17c8d73"} {
		var ids []store.ID
		for id, a := range want.Attachments {
			if a.Status != "ok" {
				continue
			}
			for _, s := range a.Sessions {
				if strings.HasPrefix(s.Name, name) {
					ids = append(ids, id)
				}
			}
		}
		opt := pick(name)
		if got := sortedIDs(h.b.cat.shown); !slices.Equal(got, sortedIDs(ids)) {
			t.Errorf("filter %q shows %v, want %v", opt, got, sortedIDs(ids))
		}
	}

	var size int64
	for _, id := range want.Unreferenced {
		size += *want.Attachments[id].ByteLen
	}
	opt := pick("Unreferenced")
	if wantText := "Unreferenced: 2 (" + humanBytes(size) + ")"; opt != wantText {
		t.Errorf("the filter says %q, want %q", opt, wantText)
	}
	if got := sortedIDs(h.b.cat.shown); !slices.Equal(got, sortedIDs(want.Unreferenced)) {
		t.Errorf("Unreferenced shows %v, want %v", got, sortedIDs(want.Unreferenced))
	}
	if !strings.Contains(h.b.count.Text, "2 of 13") {
		t.Errorf("count %q", h.b.count.Text)
	}
	if got := h.b.prefs.p.String(prefScope); got != scopeUnreferenced {
		t.Errorf("the filter is remembered as %q", got)
	}
	// Opened again (as on the next run), the store comes back filtered
	// once its sessions are read.
	h.b.Open(h.dir)
	h.loaded()
	h.settle(func() bool { return !h.b.refs.loading })
	if got := sortedIDs(h.b.cat.shown); !slices.Equal(got, sortedIDs(want.Unreferenced)) {
		t.Errorf("reopened, the remembered filter shows %v", got)
	}
	if sel.Selected != opt {
		t.Errorf("reopened, the filter says %q", sel.Selected)
	}
	pick("All sessions")
	if len(h.b.cat.shown) != 13 {
		t.Errorf("All sessions shows %d", len(h.b.cat.shown))
	}
}

// Delete of attachments that sessions hold asks first, naming the
// sessions, and moves nothing until confirmed; confirmed, both go. The
// Health view then lists them among the dangling references with the
// sessions' names, beside the fixture's own, and restores one from the
// Trash.
func TestDeleteReferencedAsksAndDangling(t *testing.T) {
	want := readExpected(t, "alpha111")
	h, home := sessionsWindow(t, "alpha111", nil)
	can := useTrash(t, h)
	picked := []store.ID{sharedMock, gradient}
	h.b.click(sharedMock, 0)
	h.b.click(gradient, fyne.KeyModifierShortcutDefault)

	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	msg := overlayText(h.w)
	if !strings.Contains(msg, "2 attachments are used by 2 sessions: tidal-cove, d17c8d73-3656-476d-aa41-b7ffbec4893c") {
		t.Fatalf("the confirmation says:\n%s", msg)
	}
	time.Sleep(50 * time.Millisecond)
	h.settle(func() bool { return true })
	for _, id := range picked {
		if !exists(blobPath(home, id)) {
			t.Fatalf("%s left the store before the confirmation", id.Short())
		}
	}
	tapOverlayButton(t, h.w, "Cancel")
	h.settle(func() bool { return !h.b.ed.busy })
	for _, id := range picked {
		if !exists(blobPath(home, id)) {
			t.Fatalf("%s left the store after Cancel", id.Short())
		}
	}

	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	tapOverlayButton(t, h.w, "Move to Trash")
	h.settle(func() bool { return !h.b.ed.busy })
	for _, id := range picked {
		if exists(blobPath(home, id)) {
			t.Errorf("%s is still in the store after the confirmation", id.Short())
		}
	}
	if b, err := can.Batches(); err != nil || len(b) != 1 {
		t.Fatalf("journal %v %v, want one batch", b, err)
	}

	h.b.ed.showHealth()
	hv := h.b.ed.health
	h.settle(func() bool { return hv.report != nil && !hv.busy() })
	got := strings.Join(texts(hv.list), "\n")
	if !strings.Contains(got, "Dangling references (4)") {
		t.Errorf("Health lacks 4 dangling references:\n%s", got)
	}
	names := map[string]string{}
	for id, a := range want.Attachments {
		for _, s := range a.Sessions {
			names[string(id)+s.File] = s.Name
		}
	}
	for _, d := range want.Dangling {
		if !strings.Contains(got, string(d.ID)) || !strings.Contains(got, names[string(d.ID)+d.File]) {
			t.Errorf("Health does not name %s held by %s:\n%s", d.ID.Short(), names[string(d.ID)+d.File], got)
		}
	}
	if n := strings.Count(got, "Restore from the Trash"); n != 2 {
		t.Errorf("%d restore buttons, want 2 (only the blobs in the Trash):\n%s", n, got)
	}
	var restore *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if c, ok := o.(*fyne.Container); ok {
			for _, x := range c.Objects {
				walk(x)
			}
		}
		if b, ok := o.(*widget.Button); ok && b.Text == "Restore from the Trash" && restore == nil {
			restore = b
		}
	}
	walk(hv.list)
	test.Tap(restore)
	h.settle(func() bool { return !hv.busy() && hv.report != nil })
	back := 0
	for _, id := range picked {
		if exists(blobPath(home, id)) {
			back++
		}
	}
	if back != 1 {
		t.Errorf("%d blobs back after one Restore, want 1", back)
	}
	if got := strings.Join(texts(hv.list), "\n"); !strings.Contains(got, "Dangling references (3)") {
		t.Errorf("after the restore Health says:\n%s", got)
	}
}

// At lash's grace of 1 hour and its clock, with every blob modified long
// ago, Clean up previews exactly what lash's collector reclaims; its one
// action moves exactly those to the Trash in one batch, and Undo brings
// them back.
func TestCleanUpPreviewAndUndo(t *testing.T) {
	want := readExpected(t, "alpha111")
	asOf := time.UnixMilli(want.GC.AsOfMs)
	old := asOf.Add(-72 * time.Hour)
	h, home := sessionsWindow(t, "alpha111", func(home string) {
		ids := map[store.ID]bool{}
		for id := range want.Attachments {
			ids[id] = true
		}
		for _, id := range want.Unreferenced {
			ids[id] = true
		}
		for id := range ids {
			if p := blobPath(home, id); exists(p) {
				if err := os.Chtimes(p, old, old); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	h.b.now = func() time.Time { return asOf }
	can := useTrash(t, h)
	if time.Duration(want.GC.GraceMs)*time.Millisecond != time.Hour {
		t.Fatalf("expected.json's grace is %d ms", want.GC.GraceMs)
	}
	before := snapshot(t, filepath.Join(home, "attachments"))

	h.b.ed.showCleanup()
	c := h.b.refs.cleanup
	h.settle(func() bool { return strings.Contains(c.summary.Text, "would be reclaimed") })
	var got []store.ID
	var size int64
	for _, it := range c.items {
		got = append(got, it.id)
	}
	for _, id := range want.GC.Reclaimable {
		size += *want.Attachments[id].ByteLen
	}
	if !slices.Equal(sortedIDs(got), sortedIDs(want.GC.Reclaimable)) {
		t.Fatalf("Clean up previews %v, want %v", sortedIDs(got), sortedIDs(want.GC.Reclaimable))
	}
	if s := "4 attachments (" + humanBytes(size) + ") would be reclaimed"; !strings.HasPrefix(c.summary.Text, s) {
		t.Errorf("summary %q, want it to start %q", c.summary.Text, s)
	}
	if c.list.Length() != 4 || c.moveBtn.Disabled() {
		t.Errorf("preview of %d rows, button disabled %v", c.list.Length(), c.moveBtn.Disabled())
	}

	test.Tap(c.moveBtn)
	h.settle(func() bool { return !h.b.ed.busy })
	for _, id := range want.GC.Reclaimable {
		if exists(blobPath(home, id)) {
			t.Errorf("%s is still in the store", id.Short())
		}
	}
	for id, a := range want.Attachments {
		if a.Status == "ok" && !slices.Contains(want.GC.Reclaimable, id) && !exists(blobPath(home, id)) {
			t.Errorf("%s was moved, but lash keeps it", id.Short())
		}
	}
	batches, err := can.Batches()
	if err != nil || len(batches) != 1 || len(batches[0].Items) != 4 {
		t.Fatalf("the journal holds %v (%v), want one batch of 4 blobs", batches, err)
	}
	if !h.b.ed.undoBox.Visible() {
		t.Error("no Undo banner after the clean-up")
	}
	h.b.ed.undoTrash() // Ctrl+Z
	h.settle(func() bool { return !h.b.ed.busy })
	sameFiles(t, "after Undo", snapshot(t, filepath.Join(home, "attachments")), before)

	// The grace period typed is remembered, and previews again.
	h.b.ed.showCleanup()
	test.Type(c.graceIn, "")
	c.graceIn.SetText("36h")
	h.settle(func() bool { return strings.Contains(c.summary.Text, "36h") })
	if got := h.b.prefs.p.String(prefGrace); got != (36 * time.Hour).String() {
		t.Errorf("grace remembered as %q", got)
	}
	if g := newCleanupView(h.b).grace; g != 36*time.Hour {
		t.Errorf("a new Clean up view starts at %v", g)
	}
}

// With a session database that cannot be read (one that appears before
// F5 rereads the sessions), the status bar names it and Clean up refuses
// in words, naming the file, and offers nothing to move.
func TestCleanUpRefusesOnGarbageDB(t *testing.T) {
	h, home := sessionsWindow(t, "alpha111", nil)
	if strings.Contains(h.b.statusL.Text, "could not be read") {
		t.Fatalf("status bar before: %q", h.b.statusL.Text)
	}
	if err := os.WriteFile(filepath.Join(home, "sessions", "20260801_090000.db"), []byte("this is no SQLite database at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyF5})
	if !h.b.refs.loading {
		t.Error("F5 does not read the sessions again")
	}
	h.settle(func() bool { return !h.b.refs.loading })
	if !strings.Contains(h.b.statusL.Text, "20260801_090000.db") {
		t.Errorf("the status bar does not name the unreadable database: %q", h.b.statusL.Text)
	}
	h.b.ed.showCleanup()
	c := h.b.refs.cleanup
	h.settle(func() bool { return strings.Contains(c.summary.Text, "Nothing can be cleaned up") })
	if !strings.Contains(c.summary.Text, "20260801_090000.db") {
		t.Errorf("the refusal does not name the file: %q", c.summary.Text)
	}
	if len(c.items) != 0 || c.list.Length() != 0 || !c.moveBtn.Disabled() {
		t.Errorf("a refusing Clean up offers %d items, button disabled %v", len(c.items), c.moveBtn.Disabled())
	}
}
