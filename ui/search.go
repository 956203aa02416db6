package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// allTypes is the type filter's "no filter" choice.
const allTypes = "All types"

func (b *Browser) focusSearch() {
	if b.viewer.visible() {
		b.closeViewer()
	}
	b.win.Canvas().Focus(b.search)
}

// applyFilter reads the search field and filters and re-lists the grid.
func (b *Browser) applyFilter() {
	if b.cat == nil || b.count == nil {
		return // still building
	}
	f := gridFilter{Query: b.search.Text, ProblemsOnly: b.problems.Checked}
	if i := b.typeSel.SelectedIndex(); i > 0 {
		f.MediaType = store.MediaTypes[i-1]
	}
	b.cat.filter = f
	b.cat.rebuild()
	b.grid.ScrollToTop()
	b.refreshAll()
	b.revealFocus()
}

// setSort changes the order and remembers it.
func (b *Browser) setSort(o sortOrder) {
	if b.cat == nil || b.count == nil {
		return
	}
	b.cat.order = o
	b.prefs.setSortOrder(o)
	if b.sortSel.Selected != o.String() {
		b.sortSel.SetSelected(o.String())
	}
	b.cat.rebuild()
	b.grid.ScrollToTop()
	b.refreshAll()
	b.revealFocus()
}

// searchEntry is the search field. It hands the window's keys (Down/Enter
// to the grid, Escape, F5, Ctrl+O) back to the window instead of eating them.
type searchEntry struct {
	widget.Entry
	b *Browser
}

func newSearchEntry(b *Browser) *searchEntry {
	e := &searchEntry{b: b}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey sends Down and Enter to the grid, Escape clears; F5 is a command.
func (e *searchEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyDown, fyne.KeyReturn, fyne.KeyEnter:
		e.b.win.Canvas().Focus(e.b.grid)
		if e.b.cat.position(e.b.sel.focus) < 0 {
			e.b.selectIndex(0)
		}
	case fyne.KeyEscape:
		if e.Text != "" {
			e.SetText("")
		} else {
			e.b.win.Canvas().Focus(e.b.grid)
		}
	default:
		if !e.b.doKey(inSearch, ev.Name) {
			e.Entry.TypedKey(ev)
		}
	}
}

// TypedShortcut lets the window's Ctrl shortcuts through.
func (e *searchEntry) TypedShortcut(s fyne.Shortcut) {
	if !e.b.doShortcut(s) {
		e.Entry.TypedShortcut(s)
	}
}
