package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// build makes every widget of the window once; Open only changes what they show.
func (b *Browser) build() {
	b.refs = newRefView(b)
	b.ed = newEditor(b)
	b.grid = newGridView(b)
	b.details = newDetailsPanel(b, b.cat, b.actions, b.ed.relabel, newUsedBySection(b.refs, b.cat))
	b.viewer = newViewer(b, b.cat)
	b.welcome = newWelcomeView(b.actions.createStore, b.action("open"), b.actions.openDemo)

	b.search = newSearchEntry(b)
	b.search.SetPlaceHolder("Find by label or id (Ctrl+F)")
	b.search.OnChanged = func(string) { b.applyFilter() }

	types := []string{allTypes}
	for _, m := range store.MediaTypes {
		types = append(types, m.MIME())
	}
	b.typeSel = widget.NewSelect(types, func(string) { b.applyFilter() })
	b.typeSel.SetSelectedIndex(0)
	b.problems = widget.NewCheck("Problems only", func(bool) { b.applyFilter() })
	b.sortSel = widget.NewSelect(sortNames, func(s string) { b.setSort(parseSortOrder(s)) })
	b.sortSel.SetSelected(b.cat.order.String())
	b.sizeSlider = widget.NewSlider(minThumb, maxThumb)
	b.sizeSlider.Step = 8
	b.sizeSlider.Value = float64(b.cellSize)
	b.sizeSlider.OnChangeEnded = func(v float64) { b.setThumbSize(float32(v)) }
	b.count = widget.NewLabel("")

	zoomOut := widget.NewButtonWithIcon("", theme.ZoomOutIcon(), b.action("smaller"))
	zoomIn := widget.NewButtonWithIcon("", theme.ZoomInIcon(), b.action("bigger"))
	sizeBox := container.NewBorder(nil, nil, zoomOut, zoomIn, container.NewGridWrap(fyne.NewSize(110, b.sizeSlider.MinSize().Height), b.sizeSlider))
	openBtn := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), b.action("open"))
	rescanBtn := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), b.action("rescan"))
	right := container.NewHBox(b.typeSel, b.problems, b.sortSel, sizeBox)
	toolbar := container.NewBorder(nil, nil, container.NewHBox(openBtn, rescanBtn, b.ed.tools), right, b.search)

	b.statusL = widget.NewLabel("")
	b.statusL.Truncation = fyne.TextTruncateEllipsis
	b.liveL = widget.NewLabel("")
	b.hoverL = widget.NewLabel("")
	b.hoverL.Truncation = fyne.TextTruncateEllipsis
	b.progress = widget.NewProgressBarInfinite()
	b.progress.Hide()
	b.statusBar = container.NewBorder(nil, nil, nil, container.NewHBox(b.progress, b.count, widget.NewSeparator(), b.liveL),
		container.New(&statusLayout{left: b.statusL}, b.statusL, b.hoverL))

	split := newSplit(b.grid, b.details.obj)
	b.main = container.NewBorder(container.NewVBox(toolbar, b.refs.bar, widget.NewSeparator(), b.ed.banner), container.NewVBox(widget.NewSeparator(), b.statusBar), nil, nil, split)
	b.viewer.under = b.main
	b.viewer.obj.Hide()
	b.stack = container.NewStack(b.main, b.viewer.obj)
	b.root = container.NewStack(b.stack)
	b.win.Canvas().SetOnTypedKey(b.canvasKey)
	b.win.SetOnDropped(b.onDropped)
}

// onDropped imports files dropped anywhere on the window into the open
// store. (The desktop driver calls it; tests call it directly, since the
// test window ignores drops.)
func (b *Browser) onDropped(_ fyne.Position, uris []fyne.URI) {
	if b.face == nil || b.root.Objects[0] != b.stack {
		b.showError(fmt.Errorf("open a store before dropping images on the window"))
		return
	}
	var paths []string
	for _, u := range uris {
		if u.Scheme() != "file" {
			b.showError(fmt.Errorf("%s is not a local file; only files can be imported", u))
			continue
		}
		paths = append(paths, u.Path())
	}
	b.ed.importPaths(paths)
}

// copyShortcut is Ctrl+C: the search field's text when it has the focus,
// else the focused attachment's reference.
func (b *Browser) copyShortcut() {
	if b.win.Canvas().Focused() == b.search {
		b.search.TypedShortcut(&fyne.ShortcutCopy{Clipboard: b.app.Clipboard()})
		return
	}
	b.actions.copyRef()
}

// setThumbSize changes the cell size and remembers it; thumbnails are
// requested again at the new size (the cache keys them by size).
func (b *Browser) setThumbSize(s float32) {
	s = clampThumb(s)
	if b.sizeSlider.Value != float64(s) {
		b.sizeSlider.Value = float64(s)
		b.sizeSlider.Refresh()
	}
	if s == b.cellSize {
		return
	}
	anchor := b.grid.anchor()
	b.cellSize = s
	b.prefs.setThumbSize(s)
	b.grid.relayout()
	b.grid.restore(anchor)
}

// chooseStore asks for another store folder (Ctrl+O).
func (b *Browser) chooseStore() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			b.showError(fmt.Errorf("cannot open that folder: %w", err))
			return
		}
		if u == nil {
			return // cancelled
		}
		b.Open(u.Path())
	}, b.win)
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// openViewer shows id's full image over the grid.
func (b *Browser) openViewer(id store.ID) {
	if _, ok := b.cat.get(id); !ok {
		return
	}
	if !b.sel.has(id) {
		b.selectOnly(id)
	}
	b.viewer.open(id)
}

// closeViewer returns to the grid with the viewed item selected and shown.
func (b *Browser) closeViewer() {
	b.viewer.close()
	b.revealFocus()
	b.win.Canvas().Focus(b.grid)
}
