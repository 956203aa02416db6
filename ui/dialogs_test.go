package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"lashview/store"
)

// While the "Move to Trash?" question is over the window, the keys are
// its: Escape answers no (nothing moves, no viewer opens behind it) and
// Return answers yes (the attachment goes to the Trash); neither reaches
// the grid, where Return would open the viewer.
func TestDialogTakesTheKeys(t *testing.T) {
	dir, newest := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	useTrash(t, h)
	key := func(name fyne.KeyName) { h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: name}) }

	h.b.click(newest[2], 0)
	key(fyne.KeyDelete)
	if msg := overlayText(h.w); !strings.Contains(msg, "to the Trash?") {
		t.Fatalf("Delete asks:\n%s", msg)
	}
	key(fyne.KeyEscape)
	if h.w.Canvas().Overlays().Top() != nil {
		t.Fatalf("Escape left the dialog open:\n%s", overlayText(h.w))
	}
	if h.b.viewer.visible() {
		t.Error("a key meant for the dialog opened the viewer")
	}
	if _, ok := store.New(dir).Examine(newest[2]); !ok {
		t.Fatal("Escape moved the attachment to the Trash")
	}

	key(fyne.KeyDelete)
	if h.w.Canvas().Overlays().Top() == nil {
		t.Fatal("Delete asked nothing the second time")
	}
	key(fyne.KeyReturn)
	if h.b.viewer.visible() {
		t.Error("Return under the dialog opened the viewer")
	}
	h.settle(func() bool { return !h.b.ed.busy && h.w.Canvas().Overlays().Top() == nil })
	if _, ok := store.New(dir).Examine(newest[2]); ok {
		t.Error("Return did not answer the question yes: the attachment is still in the store")
	}
	if _, ok := h.b.cat.get(newest[2]); ok {
		t.Error("the attachment is still in the grid")
	}
	if len(h.b.dialogs) != 0 {
		t.Errorf("%d dialogs still kept after they closed", len(h.b.dialogs))
	}
}
