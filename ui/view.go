package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// allTypes is the type filter's "no filter" choice.
const allTypes = "All types"

// build makes every widget of the window once; Open only changes what they show.
func (b *Browser) build() {
	b.refs = newRefView(b)
	b.ed = newEditor(b)
	b.grid = newGridView(b)
	b.details = newDetailsPanel(b)
	b.viewer = newViewer(b)
	b.welcome = newWelcomeView(b)

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
	if b.st == nil || b.root.Objects[0] != b.stack {
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
	if b.viewer.visible() {
		b.viewer.TypedKey(ev)
		return
	}
	if b.root.Objects[0] == b.stack {
		b.gridKey(ev)
	}
}

// hover shows why a hovered attachment is not healthy, or why its
// thumbnail could not be made.
func (b *Browser) hover(id store.ID) {
	if id == "" {
		b.hoverL.SetText("")
		return
	}
	a, ok := b.cat.get(id)
	if !ok {
		return
	}
	var note string
	if a.Status != store.StatusOK {
		note = a.Status.Explain()
		if a.Detail != "" {
			note = a.Detail + ". " + note
		}
	}
	if err := b.thumbErrs[id]; err != nil {
		note = "No picture: " + err.Error()
	}
	if note == "" {
		note = oneLine(b.cat.displayLabel(id))
	}
	b.hoverL.SetText(note)
}

// flash shows a passing note in the status bar.
func (b *Browser) flash(s string) {
	b.hoverL.SetText(s)
	time.AfterFunc(4*time.Second, func() {
		b.q.post(func() {
			if b.hoverL.Text == s {
				b.hoverL.SetText("")
			}
		})
	})
}

// showError tells the person what went wrong, in words.
func (b *Browser) showError(err error) {
	dialog.ShowError(err, b.win)
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
		b.sel.only(id)
		b.grid.Refresh()
		b.refreshDetails()
	}
	b.viewer.open(id)
}

// closeViewer returns to the grid with the viewed item selected and shown.
func (b *Browser) closeViewer() {
	b.viewer.close()
	b.revealFocus()
	b.win.Canvas().Focus(b.grid)
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

// statusLayout puts the status bar's two texts side by side: the store's
// path, count, size and what is being done get the width they need (up to
// three quarters of the bar), the hover and flash notes the rest. Half
// each cut the listing's progress off the end.
type statusLayout struct {
	left    *widget.Label
	measure *widget.Label // the left text untruncated, for its width
}

func (l *statusLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if l.measure == nil {
		l.measure = widget.NewLabel("")
	}
	if l.measure.Text != l.left.Text {
		l.measure.SetText(l.left.Text)
	}
	// Fyne's ellipsis cuts text a padding short of the label's own minimum
	// width, so ask for that much more.
	want := l.measure.MinSize().Width + 2*theme.InnerPadding()
	w := min(want, size.Width*3/4)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(w, size.Height))
	objs[1].Move(fyne.NewPos(w+theme.Padding(), 0))
	objs[1].Resize(fyne.NewSize(max(0, size.Width-w-theme.Padding()), size.Height))
}

func (l *statusLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(a.Width+theme.Padding()+b.Width, max(a.Height, b.Height))
}
