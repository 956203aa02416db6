package ui

import (
	"fyne.io/fyne/v2"

	"lashview/store"
)

// click handles a click on a cell: select it alone; Ctrl toggles it in the
// selection, Shift selects the range from the focus to it.
func (b *Browser) click(id store.ID, mods fyne.KeyModifier) {
	switch {
	case mods&fyne.KeyModifierShortcutDefault != 0:
		b.sel.toggle(id)
	case mods&fyne.KeyModifierShift != 0 && b.sel.focus != "":
		from, to := b.cat.position(b.sel.focus), b.cat.position(id)
		if from < 0 {
			b.sel.only(id)
			break
		}
		if from > to {
			from, to = to, from
		}
		for i := from; i <= to; i++ {
			b.sel.ids[b.cat.shown[i]] = struct{}{}
		}
		b.sel.focus = id
	default:
		b.sel.only(id)
	}
	b.win.Canvas().Focus(b.grid)
	b.grid.Refresh()
	b.refreshDetails()
}

// selectIndex makes the i-th shown item the selection and scrolls to it.
func (b *Browser) selectIndex(i int) {
	n := len(b.cat.shown)
	if n == 0 {
		return
	}
	i = min(max(i, 0), n-1)
	b.sel.only(b.cat.shown[i])
	b.grid.ScrollTo(i)
	b.grid.Refresh()
	b.refreshDetails()
}

// revealFocus scrolls the focused item into view if it is shown.
func (b *Browser) revealFocus() {
	if i := b.cat.position(b.sel.focus); i >= 0 {
		b.grid.ScrollTo(i)
	}
}

// gridKey is the grid's keyboard: arrows, Home/End, PageUp/PageDown move
// the selection; other keys are commands (Enter opens the viewer, Escape
// clears the search, F5 rescans, Delete, F2: windowCommands).
func (b *Browser) gridKey(ev *fyne.KeyEvent) {
	n := len(b.cat.shown)
	cur := b.cat.position(b.sel.focus)
	cols := b.grid.ColumnCount()
	move := func(to int) {
		if cur < 0 {
			to = 0
		}
		b.selectIndex(to)
	}
	switch ev.Name {
	case fyne.KeyRight:
		move(cur + 1)
	case fyne.KeyLeft:
		move(cur - 1)
	case fyne.KeyDown:
		move(cur + cols)
	case fyne.KeyUp:
		move(cur - cols)
	case fyne.KeyHome:
		b.selectIndex(0)
	case fyne.KeyEnd:
		b.selectIndex(n - 1)
	case fyne.KeyPageDown:
		move(cur + b.grid.pageItems())
	case fyne.KeyPageUp:
		move(cur - b.grid.pageItems())
	default:
		b.doKey(inGrid, ev.Name)
	}
}

// canvasKey gets the keys no focused widget took.
func (b *Browser) canvasKey(ev *fyne.KeyEvent) {
	if b.win.Canvas().Overlays().Top() != nil {
		b.dialogKey(ev)
		return
	}
	if b.viewer.visible() {
		b.viewer.TypedKey(ev)
		return
	}
	if b.root.Objects[0] == b.stack {
		b.gridKey(ev)
	}
}
