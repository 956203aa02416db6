package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"lashview/store"
)

func TestGridNewestFirst(t *testing.T) {
	dir, newest := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	if got := h.b.grid.Length(); got != 17 {
		t.Fatalf("the grid has %d cells, want 17", got)
	}
	for i, id := range newest {
		if h.b.cat.shown[i] != id {
			t.Fatalf("cell %d is %s, want %s (newest first)", i, h.b.cat.shown[i].Short(), id.Short())
		}
	}
	if got, want := h.w.Title(), "lashview — "+tildePath(dir)+" (17)"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	if !strings.Contains(h.b.count.Text, "17 shown") {
		t.Errorf("count %q", h.b.count.Text)
	}
}

func TestSelectShowsDetails(t *testing.T) {
	dir, newest := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	id := newest[3]
	h.b.click(id, 0)
	a, _ := h.b.cat.get(id)
	d := h.b.details
	if d.id != id {
		t.Fatalf("details show %s, want %s", d.id, id)
	}
	checks := map[string]string{
		"ID":         string(id),
		"Reference":  "sha256:" + string(id),
		"Media type": a.MediaType.MIME(),
		"Path":       tildePath(filepath.Join(dir, "sha256", string(id[:2]), string(id))),
	}
	for k, want := range checks {
		if got := d.fields[k].Text; got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(d.fields["Size"].Text, humanBytes(a.Size)) {
		t.Errorf("size %q lacks %q", d.fields["Size"].Text, humanBytes(a.Size))
	}
	if d.status.Text != "ok" || !strings.Contains(d.explain.Text, "Healthy") {
		t.Errorf("status %q %q", d.status.Text, d.explain.Text)
	}
	// Keyboard: Right moves to the next cell, Home and End to the ends.
	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	if h.b.sel.focus != newest[4] {
		t.Errorf("Right: focus %s, want %s", h.b.sel.focus.Short(), newest[4].Short())
	}
	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
	if h.b.sel.focus != newest[16] {
		t.Errorf("End: focus %s", h.b.sel.focus.Short())
	}
	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyHome})
	if h.b.sel.focus != newest[0] {
		t.Errorf("Home: focus %s", h.b.sel.focus.Short())
	}
	// Ctrl+C copies the reference.
	h.b.copyShortcut()
	if got := fyne.CurrentApp().Clipboard().Content(); got != newest[0].Ref() {
		t.Errorf("clipboard %q, want %q", got, newest[0].Ref())
	}
	// Enter opens the viewer, Right steps, Escape goes back.
	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle(func() bool { return h.b.viewer.area.img != nil })
	if !h.b.viewer.visible() || h.b.viewer.id != newest[0] {
		t.Fatal("Enter did not open the viewer on the selection")
	}
	h.b.viewer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	if h.b.viewer.id != newest[1] || h.b.sel.focus != newest[1] {
		t.Errorf("Right in the viewer: %s", h.b.viewer.id.Short())
	}
	h.b.viewer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.b.viewer.visible() {
		t.Error("Escape did not close the viewer")
	}
}

func TestSearchAndSort(t *testing.T) {
	dir, newest := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	// An id prefix finds exactly that attachment.
	test.Type(h.b.search, string(newest[5][:10]))
	if len(h.b.cat.shown) != 1 || h.b.cat.shown[0] != newest[5] {
		t.Errorf("id prefix search shows %v", h.b.cat.shown)
	}
	if !strings.Contains(h.b.count.Text, "1 of 17") {
		t.Errorf("count %q, want 1 of 17", h.b.count.Text)
	}
	// Label text, case-insensitively.
	var labelled store.Attachment
	for _, id := range newest {
		a, _ := h.b.cat.get(id)
		if a.Label != nil && len(strings.TrimSpace(*a.Label)) > 3 {
			labelled = a
			break
		}
	}
	word := strings.ToUpper(strings.TrimSpace(*labelled.Label))[:3]
	h.b.search.SetText(word)
	found := false
	for _, id := range h.b.cat.shown {
		a, _ := h.b.cat.get(id)
		if !strings.Contains(strings.ToLower(a.DisplayLabel()), strings.ToLower(word)) && !strings.HasPrefix(string(id), strings.ToLower(word)) {
			t.Errorf("%s matches %q neither by label nor id", id.Short(), word)
		}
		found = found || id == labelled.ID
	}
	if !found {
		t.Errorf("searching %q did not find %q", word, *labelled.Label)
	}
	h.b.search.SetText("")
	// The type filter.
	h.b.typeSel.SetSelected("image/png")
	for _, id := range h.b.cat.shown {
		if a, _ := h.b.cat.get(id); a.MediaType != store.PNG {
			t.Errorf("png filter shows %s", a.MediaType)
		}
	}
	if len(h.b.cat.shown) == 0 || len(h.b.cat.shown) == 17 {
		t.Errorf("png filter shows %d", len(h.b.cat.shown))
	}
	h.b.typeSel.SetSelected(allTypes)
	h.b.problems.SetChecked(true)
	if len(h.b.cat.shown) != 0 {
		t.Errorf("problems only on a clean store shows %d", len(h.b.cat.shown))
	}
	h.b.problems.SetChecked(false)

	atts := func() []store.Attachment {
		var out []store.Attachment
		for _, id := range h.b.cat.shown {
			a, _ := h.b.cat.get(id)
			out = append(out, a)
		}
		return out
	}
	cases := map[sortOrder]func(a, b store.Attachment) bool{
		sortNewest: func(a, b store.Attachment) bool { return !a.Modified.Before(b.Modified) },
		sortOldest: func(a, b store.Attachment) bool { return !a.Modified.After(b.Modified) },
		sortSize:   func(a, b store.Attachment) bool { return a.Size >= b.Size },
		sortType:   func(a, b store.Attachment) bool { return a.MediaType <= b.MediaType },
		sortLabel: func(a, b store.Attachment) bool {
			an, bn := a.Label != nil && strings.TrimSpace(*a.Label) != "", b.Label != nil && strings.TrimSpace(*b.Label) != ""
			if an != bn {
				return an
			}
			return strings.ToLower(a.DisplayLabel()) <= strings.ToLower(b.DisplayLabel())
		},
	}
	for o, ok := range cases {
		h.b.sortSel.SetSelected(o.String())
		if h.b.cat.order != o {
			t.Fatalf("sort menu did not set %s", o)
		}
		got := atts()
		if len(got) != 17 {
			t.Fatalf("%s shows %d", o, len(got))
		}
		for i := 1; i < len(got); i++ {
			if !ok(got[i-1], got[i]) {
				t.Errorf("%s: %s before %s", o, got[i-1].ID.Short(), got[i].ID.Short())
			}
		}
		if h.b.prefs.sortOrder() != o {
			t.Errorf("%s was not remembered", o)
		}
	}
}

// pngBytes is a small PNG of one colour.
func pngBytes(t *testing.T, c color.RGBA, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLiveBatchKeepsSelection(t *testing.T) {
	dir, newest := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	st := store.New(dir)
	selected := newest[6]
	h.b.click(selected, 0)

	label := "brand new"
	meta, err := st.Put(context.Background(), bytes.NewReader(pngBytes(t, color.RGBA{200, 30, 30, 255}, 40, 30)), store.PutOptions{Label: &label})
	if err != nil {
		t.Fatal(err)
	}
	added, _ := st.Examine(store.ID(meta.ID))
	gone := newest[2]
	lay := st.Layout()
	os.Remove(lay.Blob(gone))
	os.Remove(lay.Sidecar(gone))
	if _, err := st.SetLabel(selected, "relabelled"); err != nil {
		t.Fatal(err)
	}
	changed, _ := st.Examine(selected)

	h.live.send(t, change{Added: []store.Attachment{added}, Removed: []store.ID{gone}, Changed: []store.Attachment{changed}})
	h.settle(func() bool { return true })

	if n := h.b.grid.Length(); n != 17 {
		t.Errorf("after +1 -1 the grid has %d cells, want 17", n)
	}
	if h.b.cat.position(gone) >= 0 {
		t.Error("the removed attachment is still shown")
	}
	if h.b.cat.position(added.ID) < 0 {
		t.Error("the added attachment is not shown")
	}
	if h.b.fresh[added.ID].IsZero() {
		t.Error("the added attachment is not highlighted")
	}
	if h.b.sel.focus != selected || !h.b.sel.has(selected) {
		t.Errorf("the selection moved to %q", h.b.sel.focus)
	}
	if h.b.details.title.Text != "relabelled" {
		t.Errorf("details title %q, want the new label", h.b.details.title.Text)
	}
	if c := h.b.cellByID[selected]; c != nil && c.id == selected && c.label.Text != "relabelled" {
		t.Errorf("cell label %q", c.label.Text)
	}
	if !strings.Contains(h.w.Title(), "(17)") {
		t.Errorf("title %q", h.w.Title())
	}
	// A full listing (a rescan) with one id missing drops it and keeps the rest.
	var listing []store.Attachment
	for _, id := range h.b.cat.shown {
		if id != newest[10] {
			a, _ := h.b.cat.get(id)
			listing = append(listing, a)
		}
	}
	h.live.send(t, change{Full: true, Listing: listing})
	h.settle(func() bool { return true })
	if h.b.grid.Length() != 16 || h.b.sel.focus != selected {
		t.Errorf("after a rescan: %d cells, focus %s", h.b.grid.Length(), h.b.sel.focus.Short())
	}
}

func TestWelcome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home) // the missing store shows as ~/nowhere/attachments on every run
	dir := filepath.Join(home, "nowhere", "attachments")
	h := newHarness(t, dir)
	h.settle(func() bool { return true })
	if h.b.root.Objects[0] != h.b.welcome.obj {
		t.Fatal("a missing store does not show the welcome view")
	}
	if !strings.Contains(h.b.welcome.why.Text, "There is no store at") {
		t.Errorf("welcome says %q", h.b.welcome.why.Text)
	}
	test.AssertRendersToMarkup(t, "welcome.xml", h.w.Canvas())
	test.AssertImageMatches(t, "welcome.png", h.w.Canvas().Capture())
	test.Tap(h.b.welcome.create)
	h.settle(func() bool { return !h.b.loading })
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("Create it did not create the store: %v", err)
	}
	if h.b.root.Objects[0] != h.b.stack {
		t.Error("after Create it the grid is not shown")
	}
	if got := h.w.Title(); !strings.HasSuffix(got, "(0)") {
		t.Errorf("title %q", got)
	}
}

func TestDemoStore(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "missing"))
	h.settle(func() bool { return true })
	h.b.actions.openDemo()
	h.settle(func() bool { return h.b.st != nil && h.b.st.Root() == h.b.cfg.DemoDir && !h.b.loading })
	if n := h.b.cat.total(); n != len(demoImages) {
		t.Errorf("the demo store has %d attachments, want %d", n, len(demoImages))
	}
	if !strings.Contains(h.w.Title(), "demo store") {
		t.Errorf("title %q does not say demo", h.w.Title())
	}
}

func TestGolden(t *testing.T) {
	dir, newest := cleanStore(t)
	t.Setenv("HOME", filepath.Dir(dir)) // the store shows as ~/clean, the same on every run
	h := newHarness(t, dir)
	h.loaded()
	h.b.click(newest[0], 0)
	// Wait for every thumbnail the grid made a cell for (all that the
	// markup shows) and the preview.
	h.settle(func() bool {
		for id, c := range h.b.cellByID {
			if c != nil && c.id == id && c.img.Image == nil && !c.broken.Visible() {
				return false
			}
		}
		return h.b.details.preview.Image != nil && !h.b.refs.loading
	})
	// Markup, not pixels: thumbnail pixels belong to package thumbs, whose
	// resampling may change; the layout and the words are this package's.
	test.AssertRendersToMarkup(t, "main.xml", h.w.Canvas())
	test.AssertRendersToMarkup(t, "details.xml", test.NewTempWindow(t, h.b.details.obj).Canvas())
}

func TestDropImports(t *testing.T) {
	dir, _ := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	src := filepath.Join(t.TempDir(), "holiday snap.png")
	data := pngBytes(t, color.RGBA{10, 200, 90, 255}, 20, 10)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	h.b.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(src)})
	id := store.IDOf(sha256.Sum256(data))
	h.settle(func() bool { _, ok := store.New(dir).Examine(id); return ok })
	a, _ := store.New(dir).Examine(id)
	if a.Label == nil || *a.Label != "holiday snap.png" || a.Status != store.StatusOK {
		t.Errorf("dropped file stored as %+v", a)
	}
}

func TestThumbSizeRemembered(t *testing.T) {
	dir, _ := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	cols := h.b.grid.ColumnCount()
	h.b.setThumbSize(96)
	if h.b.prefs.thumbSize() != 96 || h.b.sizeSlider.Value != 96 {
		t.Errorf("size %v, slider %v", h.b.prefs.thumbSize(), h.b.sizeSlider.Value)
	}
	if h.b.grid.ColumnCount() <= cols {
		t.Errorf("smaller cells: %d columns, was %d", h.b.grid.ColumnCount(), cols)
	}
	h.b.setThumbSize(10_000)
	if h.b.cellSize != maxThumb {
		t.Errorf("size not clamped: %v", h.b.cellSize)
	}
}
