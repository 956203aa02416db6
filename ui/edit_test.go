package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lashview/internal/fixture"
	"lashview/store"
)

// snapshot is every file under a store root: relative path → bytes, with
// symbolic links recorded by their target.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			files[rel] = "-> " + target
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[rel] = string(data)
		case d.IsDir() && rel != ".":
			files[rel+"/"] = ""
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sameFiles reports the differences between two snapshots.
func sameFiles(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var diffs []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			diffs = append(diffs, "missing "+p)
		} else if g != w {
			diffs = append(diffs, "differs "+p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, "extra "+p)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s: the store is not as expected:\n%s", what, strings.Join(diffs, "\n"))
	}
}

// overlayText is every text shown in the window's top overlay (a dialog).
func overlayText(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var parts []string
	for _, o := range test.LaidOutObjects(top) {
		switch x := o.(type) {
		case *widget.Label:
			parts = append(parts, x.Text)
		case *canvas.Text:
			parts = append(parts, x.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// tapOverlayButton taps the button with text in the top overlay.
func tapOverlayButton(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog to tap %q in", text)
	}
	for _, o := range test.LaidOutObjects(top) {
		if btn, ok := o.(*widget.Button); ok && btn.Text == text {
			test.Tap(btn)
			return
		}
	}
	t.Fatalf("the dialog has no %q button; it says:\n%s", text, overlayText(w))
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Dropping a clean image, a duplicate, a text file and a folder leaves
// exactly what `lashview put` (store.Put labelled with the base name)
// writes for the images, says what was a duplicate and what was refused,
// changes nothing at the source, and selects what was imported.
func TestDropHandler(t *testing.T) {
	dir, newest := cleanStore(t)
	want := fixture.Copy(t, "clean")
	h := newHarness(t, dir)
	h.loaded()

	src := t.TempDir()
	fresh := pngBytes(t, color.RGBA{200, 10, 90, 255}, 30, 12)
	writeFile(t, filepath.Join(src, "fresh shot.png"), fresh)
	existing, _, err := store.New(dir).Get(newest[2])
	if err != nil {
		t.Fatal(err)
	}
	dupMeta, _ := store.New(dir).Meta(newest[2])
	writeFile(t, filepath.Join(src, "again.png"), existing)
	writeFile(t, filepath.Join(src, "notes.txt"), []byte("not an image at all\n"))
	inner1 := pngBytes(t, color.RGBA{1, 2, 3, 255}, 8, 8)
	inner2 := pngBytes(t, color.RGBA{4, 5, 6, 255}, 9, 7)
	writeFile(t, filepath.Join(src, "album", "a.png"), inner1)
	writeFile(t, filepath.Join(src, "album", "deeper", "b.png"), inner2)
	writeFile(t, filepath.Join(src, "album", "readme.md"), []byte("# album\n"))
	before := snapshot(t, src)

	var uris []fyne.URI
	for _, n := range []string{"fresh shot.png", "again.png", "notes.txt", "album"} {
		uris = append(uris, storage.NewFileURI(filepath.Join(src, n)))
	}
	h.b.onDropped(fyne.NewPos(5, 5), uris)
	h.settle(func() bool { return !h.b.ed.imp.running() })

	// What `lashview put` would have written.
	ref := store.New(want)
	for _, f := range []struct {
		name string
		data []byte
	}{{"fresh shot.png", fresh}, {"a.png", inner1}, {"b.png", inner2}} {
		label := f.name
		if _, err := ref.Put(context.Background(), bytes.NewReader(f.data), store.PutOptions{Label: &label}); err != nil {
			t.Fatal(err)
		}
	}
	sameFiles(t, "after the drop", snapshot(t, dir), snapshot(t, want))
	sameFiles(t, "the dropped files", snapshot(t, src), before)

	msg := overlayText(h.w)
	for _, s := range []string{
		"Imported 3 images",
		fmt.Sprintf("again.png was already in the store, labelled “%s”", *dupMeta.Label),
		"notes.txt: not a PNG, JPEG, GIF, WebP or BMP image",
		"1 file was not imported",
		"1 file in the dropped folders is not an image and was left alone",
	} {
		if !strings.Contains(msg, s) {
			t.Errorf("the message lacks %q; it says:\n%s", s, msg)
		}
	}
	if strings.Contains(msg, "readme.md:") {
		t.Errorf("a non-image inside a folder is listed as refused:\n%s", msg)
	}
	wantSel := map[store.ID]bool{newest[2]: true}
	for _, d := range [][]byte{fresh, inner1, inner2} {
		wantSel[store.IDOf(sha256.Sum256(d))] = true
	}
	if len(h.b.sel.ids) != len(wantSel) {
		t.Errorf("%d selected after the drop, want %d", len(h.b.sel.ids), len(wantSel))
	}
	for id := range wantSel {
		if !h.b.sel.has(id) {
			t.Errorf("%s is not selected after the drop", id.Short())
		}
		if _, ok := h.b.cat.get(id); !ok {
			t.Errorf("%s is not in the grid after the drop", id.Short())
		}
	}
	if h.b.ed.imp.box.Visible() {
		t.Error("the progress strip is still shown after the drop")
	}
}

// A folder with more than 100 images asks first; saying no imports nothing.
func TestDropBigFolderAsks(t *testing.T) {
	dir, _ := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	before := snapshot(t, dir)
	src := t.TempDir()
	for i := 0; i <= askAbove; i++ {
		writeFile(t, filepath.Join(src, "many", fmt.Sprintf("%03d.png", i)), pngBytes(t, color.RGBA{uint8(i), 1, 2, 255}, 2, 2))
	}
	h.b.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(filepath.Join(src, "many"))})
	h.settle(func() bool { return h.w.Canvas().Overlays().Top() != nil })
	if msg := overlayText(h.w); !strings.Contains(msg, "The folder holds 101 images") {
		t.Fatalf("no confirmation for 101 images; the window says:\n%s", msg)
	}
	tapOverlayButton(t, h.w, "No")
	h.settle(func() bool { return !h.b.ed.imp.running() })
	sameFiles(t, "after saying no", snapshot(t, dir), before)
}

// useTrash gives the window a Trash and journal of its own.
func useTrash(t *testing.T, h *harness) *store.TrashCan {
	t.Helper()
	base := t.TempDir()
	can := store.NewTrashCan(filepath.Join(base, "data"), filepath.Join(base, "state"))
	h.b.cfg.Trash = can
	return can
}

// Ctrl-click and Shift-click build a selection; Delete (confirmed) moves
// it to the Trash; the banner's Undo and Ctrl+Z bring it back, leaving
// the store byte-identical.
func TestTrashAndUndo(t *testing.T) {
	dir, newest := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	can := useTrash(t, h)
	before := snapshot(t, dir)

	h.b.click(newest[1], 0)
	h.b.click(newest[3], fyne.KeyModifierShift)
	h.b.click(newest[6], fyne.KeyModifierShortcutDefault)
	picked := []store.ID{newest[1], newest[2], newest[3], newest[6]}
	if len(h.b.sel.ids) != len(picked) {
		t.Fatalf("%d selected, want %d", len(h.b.sel.ids), len(picked))
	}
	if c := h.b.cellByID[newest[2]]; c == nil || !c.bg.Visible() {
		t.Error("a selected cell is not highlighted")
	}
	var size int64
	for _, id := range picked {
		a, _ := h.b.cat.get(id)
		size += a.Size
	}
	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	msg := overlayText(h.w)
	if !strings.Contains(msg, "Move 4 attachments ("+humanBytes(size)+") to the Trash?") {
		t.Fatalf("the confirmation says:\n%s", msg)
	}
	tapOverlayButton(t, h.w, "Move to Trash")
	h.settle(func() bool { return !h.b.ed.busy })
	for _, id := range picked {
		if _, ok := store.New(dir).Examine(id); ok {
			t.Errorf("%s is still in the store", id.Short())
		}
		if _, ok := h.b.cat.get(id); ok {
			t.Errorf("%s is still in the grid", id.Short())
		}
	}
	if !h.b.ed.undoBox.Visible() || !strings.Contains(h.b.ed.undoText.Text, "Moved 4 attachments") {
		t.Errorf("banner %v %q", h.b.ed.undoBox.Visible(), h.b.ed.undoText.Text)
	}
	batches, err := can.Batches()
	if err != nil || len(batches) != 1 || len(batches[0].Items) != 8 {
		t.Fatalf("the journal holds %v (%v), want one batch of 8 files", batches, err)
	}
	test.Tap(h.b.ed.undoBtn)
	h.settle(func() bool { return !h.b.ed.busy })
	sameFiles(t, "after Undo", snapshot(t, dir), before)
	if h.b.ed.undoBox.Visible() {
		t.Error("the banner stays after Undo")
	}
	for _, id := range picked {
		if !h.b.sel.has(id) {
			t.Errorf("%s is not selected after Undo", id.Short())
		}
	}

	// Again without asking, undone with Ctrl+Z; Ctrl+A first selects all.
	h.b.ed.setConfirmTrash(false)
	if item := h.b.cmds.items["confirm-trash"]; item == nil || item.Checked {
		t.Error("the menu still ticks Ask Before Moving to the Trash")
	}
	h.b.click(newest[0], 0)
	h.w.Canvas().(fyne.Shortcutable).TypedShortcut(&fyne.ShortcutSelectAll{})
	if len(h.b.sel.ids) != len(newest) {
		t.Fatalf("Ctrl+A selects %d, want %d", len(h.b.sel.ids), len(newest))
	}
	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	h.settle(func() bool { return !h.b.ed.busy })
	if n := h.b.cat.total(); n != 0 {
		t.Fatalf("%d attachments left in the grid after deleting all", n)
	}
	h.w.Canvas().(fyne.Shortcutable).TypedShortcut(&fyne.ShortcutUndo{})
	h.settle(func() bool { return !h.b.ed.busy })
	sameFiles(t, "after Ctrl+Z", snapshot(t, dir), before)
	if n := h.b.cat.total(); n != len(newest) {
		t.Errorf("%d attachments in the grid after Ctrl+Z, want %d", n, len(newest))
	}
}

// The label in the details panel: Enter saves a sidecar equal to what lash
// writes, shown at once and unchanged by the watcher's echo; Escape cancels.
func TestRelabel(t *testing.T) {
	dir, newest := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	st := store.New(dir)
	var id store.ID
	var old store.Sidecar
	for _, x := range newest {
		m, err := st.Meta(x)
		if err == nil && m.Label != nil && *m.Label != "" {
			id, old = x, m
			break
		}
	}
	if id == "" {
		t.Fatal("no labelled attachment in the clean fixture")
	}
	side := st.Layout().Sidecar(id)
	oldBytes, _ := os.ReadFile(side)

	h.b.click(id, 0)
	r := h.b.ed.relabel
	// Escape cancels: nothing is written.
	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyF2})
	if !r.entry.Visible() || r.entry.Text != *old.Label {
		t.Fatalf("F2 opens %v with %q", r.entry.Visible(), r.entry.Text)
	}
	r.entry.SetText("never saved")
	r.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.settle(func() bool { return true })
	if got, _ := os.ReadFile(side); !bytes.Equal(got, oldBytes) || r.entry.Visible() {
		t.Fatal("Escape changed the sidecar or left the field open")
	}

	test.Tap(r.editBtn)
	r.entry.SetText("")
	test.Type(r.entry, "Kitchen — before")
	r.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := h.b.details.title.Text; got != "Kitchen — before" {
		t.Errorf("the title shows %q at once", got)
	}
	label := "Kitchen — before"
	want := store.Sidecar{ID: old.ID, MediaType: old.MediaType, ByteLen: old.ByteLen, Width: old.Width, Height: old.Height, Label: &label}.Encode()
	h.settle(func() bool { got, _ := os.ReadFile(side); return bytes.Equal(got, want) })
	// The watcher's echo of the rewrite changes nothing on screen.
	echo, _ := st.Examine(id)
	h.live.send(t, change{Changed: []store.Attachment{echo}})
	h.settle(func() bool { return true })
	if got := h.b.details.title.Text; got != label {
		t.Errorf("after the echo the title shows %q", got)
	}
	if c := h.b.cellByID[id]; c == nil || c.label.Text != label {
		t.Error("the grid cell does not show the new label")
	}
}

// The Health view on the messy fixture: Fix all, then a fresh scan shows
// only the findings doctor reports and never fixes (symlink, foreign); the
// toolbar badge follows; verify reports what only hashing finds.
func TestHealthFixAll(t *testing.T) {
	dir := fixture.Copy(t, "messy")
	old := time.Now().Add(-2 * time.Hour)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir)
	h.loaded()
	useTrash(t, h)
	h.b.ed.showHealth()
	hv := h.b.ed.health
	h.settle(func() bool { return !hv.busy() && hv.report != nil })
	first := len(hv.report.Problems)
	if first == 0 {
		t.Fatal("doctor found nothing in the messy store")
	}
	if h.b.ed.healthBtn.Text != fmt.Sprintf("Health · %d", first) {
		t.Errorf("the badge says %q with %d problems", h.b.ed.healthBtn.Text, first)
	}
	if !strings.Contains(overlayText(h.w), kindExplain[string(store.FindingTempLitter)]) {
		t.Error("the temp litter group is not explained")
	}
	test.Tap(hv.fixAll)
	h.settle(func() bool { return !hv.busy() && hv.result.Visible() })
	if !strings.Contains(hv.result.Text, "Fixed ") {
		t.Errorf("the report says %q", hv.result.Text)
	}
	rep, err := store.New(dir).Doctor(context.Background(), store.DoctorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range [][]store.Problem{hv.report.Problems, rep.Problems} {
		if len(list) == 0 {
			t.Error("nothing is left, but the symlink and foreign findings are report-only")
		}
		for _, p := range list {
			if p.Kind != string(store.FindingSymlink) && p.Kind != string(store.FindingForeign) {
				t.Errorf("after Fix all: %s %s (%s)", p.Kind, p.Path, p.Detail)
			}
		}
	}
	if len(hv.checks) != 0 || !hv.fixAll.Disabled() {
		t.Error("report-only findings offer a fix")
	}

	test.Tap(hv.verBtn)
	h.settle(func() bool { return !hv.busy() && strings.HasPrefix(hv.result.Text, "Verified") })
	if len(hv.verified) == 0 {
		t.Error("verify found nothing in the messy store")
	}
	if !strings.Contains(overlayText(h.w), "Verify: corrupt (") {
		t.Error("verify's findings are not listed")
	}
}

// Fix selected applies only the ticked fixes.
func TestHealthFixSelected(t *testing.T) {
	dir := fixture.Copy(t, "messy")
	h := newHarness(t, dir)
	h.loaded()
	useTrash(t, h)
	h.b.ed.showHealth()
	hv := h.b.ed.health
	h.settle(func() bool { return !hv.busy() && hv.report != nil })
	var pick string
	for _, p := range hv.report.Problems {
		if p.Kind == string(store.StatusMissingMeta) {
			pick = p.Path
			break
		}
	}
	if pick == "" {
		t.Fatal("no missing_meta problem in the messy store")
	}
	n := len(hv.report.Problems)
	hv.checks[pick].SetChecked(true)
	test.Tap(hv.fixSel)
	h.settle(func() bool { return !hv.busy() && hv.result.Visible() })
	if len(hv.report.Problems) != n-1 {
		t.Errorf("after fixing one, %d problems, want %d", len(hv.report.Problems), n-1)
	}
	for _, p := range hv.report.Problems {
		if p.Path == pick {
			t.Errorf("%s is still a problem", pick)
		}
	}
}

// Several files show the progress strip with Cancel; cancelling leaves the
// store as it was.
func TestDropCancel(t *testing.T) {
	dir, _ := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	before := snapshot(t, dir)
	src := t.TempDir()
	var uris []fyne.URI
	for i := 0; i < 3; i++ {
		p := filepath.Join(src, fmt.Sprintf("%d.png", i))
		writeFile(t, p, pngBytes(t, color.RGBA{9, uint8(i), 9, 255}, 3, 3))
		uris = append(uris, storage.NewFileURI(p))
	}
	h.b.onDropped(fyne.Position{}, uris)
	if !h.b.ed.imp.box.Visible() || !h.b.ed.imp.running() {
		t.Fatal("three files show no progress strip")
	}
	var cancel *widget.Button
	for _, o := range test.LaidOutObjects(h.b.ed.imp.box) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Cancel" {
			cancel = b
		}
	}
	if cancel == nil {
		t.Fatal("the progress strip has no Cancel button")
	}
	test.Tap(cancel)
	h.settle(func() bool { return !h.b.ed.imp.running() })
	sameFiles(t, "after Cancel", snapshot(t, dir), before)
	if !strings.Contains(h.b.hoverL.Text, "cancelled") {
		t.Errorf("the status bar says %q", h.b.hoverL.Text)
	}
}
