package ui

import (
	"errors"
	"image"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// gridView is the virtualised grid of attachments. It embeds GridWrap for
// its recycling and scrolling, and takes the keyboard over from it: the
// selection is lashview's (a set of ids), not GridWrap's single index.
type gridView struct {
	widget.GridWrap
	b *Browser

	// labelsDue are cells that came into view with a new attachment and
	// show no label yet; see cell.bind. UI goroutine only.
	labelsDue []*cell
}

func newGridView(b *Browser) *gridView {
	g := &gridView{b: b}
	g.Length = func() int { return len(b.cat.shown) }
	g.CreateItem = func() fyne.CanvasObject { return newCell(b) }
	g.UpdateItem = func(i widget.GridWrapItemID, o fyne.CanvasObject) {
		if i < 0 || i >= len(b.cat.shown) {
			return
		}
		o.(*cell).bind(b.cat.shown[i])
	}
	g.ExtendBaseWidget(g)
	return g
}

// FocusGained keeps GridWrap's own focus mark off: it marks GridWrap's
// keyboard position, which lashview does not use, so it would sit on a
// cell other than the selection.
func (g *gridView) FocusGained() {}

// FocusLost is the counterpart of FocusGained.
func (g *gridView) FocusLost() {}

// TypedKey moves the selection, opens the viewer, rescans.
func (g *gridView) TypedKey(ev *fyne.KeyEvent) { g.b.gridKey(ev) }

// TypedRune starts a search: typing in the grid types into the search field.
func (g *gridView) TypedRune(r rune) {
	if r == ' ' {
		return
	}
	g.b.win.Canvas().Focus(g.b.search)
	g.b.search.TypedRune(r)
}

// Resize lays the grid out and tells the thumbnail pool what is on
// screen now.
func (g *gridView) Resize(s fyne.Size) {
	g.GridWrap.Resize(s)
	g.b.visibleChanged()
}

// relayout applies a new cell size. GridWrap's Refresh measures the new
// cell but keeps its cached column count until its width changes, so a
// Resize to the same size follows, which recounts the columns.
func (g *gridView) relayout() {
	g.Refresh()
	g.Resize(g.Size())
}

// anchor is the id of the first item on screen and its offset from the
// top, so a batch that inserts or removes items above it can restore the view.
type anchor struct {
	id   store.ID
	dy   float32
	zero bool // scrolled to the very top: stay there (new items show)
}

func (g *gridView) rowHeight() float32 {
	return g.b.cellMin().Height + theme.Padding()
}

func (g *gridView) anchor() anchor {
	off := g.GetScrollOffset()
	if off <= 0 || len(g.b.cat.shown) == 0 {
		return anchor{zero: true}
	}
	cols := g.ColumnCount()
	row := int(off / g.rowHeight())
	i := row * cols
	if i >= len(g.b.cat.shown) {
		return anchor{zero: true}
	}
	return anchor{id: g.b.cat.shown[i], dy: off - float32(row)*g.rowHeight()}
}

// restore scrolls so the anchor's item is where it was.
func (g *gridView) restore(a anchor) {
	if a.zero {
		return
	}
	i := g.b.cat.position(a.id)
	if i < 0 {
		return
	}
	row := i / g.ColumnCount()
	g.ScrollToOffset(float32(row)*g.rowHeight() + a.dy)
}

// visibleRange is the first shown index on screen and how many are.
func (g *gridView) visibleRange() (first, n int) {
	cols := g.ColumnCount()
	row := int(g.GetScrollOffset() / g.rowHeight())
	rows := int(math.Ceil(float64(g.Size().Height/g.rowHeight()))) + 1
	return row * cols, rows * cols
}

// pageItems is how many items one screen of the grid holds.
func (g *gridView) pageItems() int {
	rows := int(math.Max(1, math.Floor(float64(g.Size().Height/g.rowHeight()))))
	return rows * g.ColumnCount()
}

// cell is one attachment in the grid: its thumbnail, its label under it,
// and a badge when its status is not ok. It handles the mouse itself so
// that Ctrl- and Shift-click can extend the selection.
type cell struct {
	widget.BaseWidget
	b  *Browser
	id store.ID

	bg          *canvas.Rectangle // selection / new-arrival highlight
	placeholder *canvas.Rectangle // grey while the thumbnail is being made
	img         *canvas.Image
	broken      *canvas.Image // the broken-image mark
	kind, size  *canvas.Text  // the type tile of an attachment that is no image
	label       *canvas.Text  // the label, shortened to the cell's width (see labelFitter)
	fullLabel   string
	labelDue    bool      // in b.grid.labelsDue: the label follows
	boundAt     time.Time // when the cell began to show id
	badgeBg     *canvas.Rectangle
	badge       *canvas.Text
	mods        fyne.KeyModifier // held at the last mouse-down
}

var (
	_ fyne.Tappable       = (*cell)(nil)
	_ fyne.DoubleTappable = (*cell)(nil)
	_ desktop.Hoverable   = (*cell)(nil)
	_ desktop.Mouseable   = (*cell)(nil)
)

func newCell(b *Browser) *cell {
	c := &cell{b: b}
	c.bg = canvas.NewRectangle(theme.Color(theme.ColorNameSelection))
	c.bg.CornerRadius = theme.InputRadiusSize()
	c.bg.Hide()
	c.placeholder = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	c.placeholder.CornerRadius = 4
	// Thumbnails are made at the cell's pixel size, so the GPU draws them
	// 1:1; Smooth would make Fyne rescale each on the CPU (x/image/draw's
	// Catmull-Rom) when a rounding differs by a pixel.
	c.img = &canvas.Image{FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScaleFastest}
	c.broken = canvas.NewImageFromResource(theme.BrokenImageIcon())
	c.broken.FillMode = canvas.ImageFillContain
	c.broken.Hide()
	c.kind = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	c.kind.Alignment = fyne.TextAlignCenter
	c.kind.TextStyle.Bold = true
	c.kind.Hide()
	c.size = canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
	c.size.Alignment = fyne.TextAlignCenter
	c.size.TextSize = theme.CaptionTextSize()
	c.size.Hide()
	c.label = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	c.label.Alignment = fyne.TextAlignCenter
	c.badgeBg = canvas.NewRectangle(theme.Color(theme.ColorNameError))
	c.badgeBg.CornerRadius = 4
	c.badge = canvas.NewText("", theme.Color(theme.ColorNameForegroundOnError))
	c.badge.TextSize = theme.CaptionTextSize()
	c.badge.TextStyle.Bold = true
	c.ExtendBaseWidget(c)
	return c
}

// bind shows attachment id in this (recycled) cell.
//
// A cell that comes into view with a new attachment shows its label once
// it has shown that attachment for labelDelay (three frames). Fyne shapes
// and rasterises every new text on the UI goroutine when it first paints it
// (and measures it again for its MinSize), with a fresh HarfBuzz font each
// time; while a person flings through the grid a cell stays on screen for
// a frame or two, so drawing its label took most of each frame and showed
// nothing anyone could read. Once the grid stops, the labels follow 50 ms
// later.
func (c *cell) bind(id store.ID) {
	b := c.b
	if c.id != "" && b.cellByID[c.id] == c {
		delete(b.cellByID, c.id)
	}
	fresh := c.id != id
	if fresh {
		c.img.Image = nil
		c.img.Refresh()
	}
	c.id = id
	b.cellByID[id] = c
	a, _ := b.cat.get(id)
	if fresh {
		c.fullLabel = ""
		b.grid.labelDue(c)
	} else if !c.labelDue {
		c.fullLabel = oneLine(b.cat.displayLabel(id)) // fitted to the cell by Layout (c.Refresh below)
	}
	if a.Status != store.StatusOK {
		c.badge.Text = badgeText(a.Status)
		c.badge.Show()
		c.badgeBg.Show()
	} else {
		c.badge.Hide()
		c.badgeBg.Hide()
	}
	c.badge.Refresh()
	c.refreshHighlight()
	c.kind.Hide()
	c.size.Hide()
	switch {
	case !a.HasBlob || a.Status == store.StatusSymlink:
		// Nothing to draw from: the badge says why.
		c.setThumb(nil, errNoBlob(a))
	case isTypeTile(a):
		// A PDF, a sound, plain bytes: its type and size stand in for a
		// picture.
		c.setThumb(nil, nil)
		c.kind.Text, c.size.Text = typeWord(a.MIME), humanBytes(a.Size)
		c.kind.Show()
		c.size.Show()
	default:
		b.thumbnail(id, b.cellSize, c.setThumb)
	}
	c.Refresh()
}

// labelDelay is how long a cell shows the same attachment before its label
// is drawn: three frames, too short for a person to notice once the grid
// stops, and longer than a cell stays on screen in a fling.
const labelDelay = 50 * time.Millisecond

// labelDue queues c's label for when it has shown its attachment for
// labelDelay.
func (g *gridView) labelDue(c *cell) {
	c.boundAt = time.Now()
	if c.labelDue {
		return
	}
	c.labelDue = true
	g.labelsDue = append(g.labelsDue, c)
	if len(g.labelsDue) == 1 {
		g.fillLabelsAfter(labelDelay)
	}
}

// fillLabelsAfter runs fillLabels on the UI goroutine after d.
func (g *gridView) fillLabelsAfter(d time.Duration) {
	time.AfterFunc(d, func() { g.b.q.post(g.fillLabels) })
}

// fillLabels gives each cell queued by labelDue that has shown its
// attachment for labelDelay that attachment's label, and waits again for
// the others.
func (g *gridView) fillLabels() {
	due := g.labelsDue
	g.labelsDue = nil
	now := time.Now()
	wait := time.Duration(0)
	for _, c := range due {
		if shown := now.Sub(c.boundAt); shown < labelDelay {
			g.labelsDue = append(g.labelsDue, c)
			wait = max(wait, labelDelay-shown)
			continue
		}
		c.labelDue = false
		if c.id == "" {
			continue
		}
		c.fullLabel = oneLine(g.b.cat.displayLabel(c.id))
		c.fitLabel(c.Size().Width)
	}
	if len(g.labelsDue) > 0 {
		g.fillLabelsAfter(wait)
	}
}

// fitLabel shortens the full label to a cell of width w.
func (c *cell) fitLabel(w float32) {
	if t := c.b.labels.fit(c.fullLabel, c.labelWidth(w), c.label.TextSize); t != c.label.Text {
		c.label.Text = t
		c.label.Refresh()
	}
}

// setThumb shows a thumbnail, the grey placeholder (nil, nil), or the
// broken-image mark (an error).
func (c *cell) setThumb(img image.Image, err error) {
	switch {
	case err != nil:
		c.img.Image = nil
		c.img.Hide()
		c.placeholder.Hide()
		c.broken.Show()
	case img == nil:
		c.img.Image = nil
		c.img.Hide()
		c.placeholder.Show()
		c.broken.Hide()
	default:
		c.img.Image = img
		c.img.Show()
		c.placeholder.Hide()
		c.broken.Hide()
	}
	c.img.Refresh()
}

// drawn reports whether the cell shows what it will: a thumbnail, the
// broken-image mark, or a type tile.
func (c *cell) drawn() bool { return c.img.Image != nil || c.broken.Visible() || c.kind.Visible() }

func (c *cell) refreshHighlight() {
	b := c.b
	c.bg.StrokeWidth = 0
	switch {
	case b.sel.has(c.id):
		c.bg.FillColor = theme.Color(theme.ColorNameSelection)
		c.bg.Show()
	case !b.fresh[c.id].IsZero():
		// Just arrived: outlined for a few seconds so it is noticed.
		c.bg.FillColor = theme.Color(theme.ColorNameHover)
		c.bg.StrokeColor = theme.Color(theme.ColorNamePrimary)
		c.bg.StrokeWidth = 2
		c.bg.Show()
	default:
		c.bg.Hide()
	}
	c.bg.Refresh()
}

// badgeText names a status in a word or two.
func badgeText(s store.Status) string {
	return strings.ReplaceAll(string(s), "_", " ")
}

// MouseDown remembers the modifiers for the tap that follows.
func (c *cell) MouseDown(ev *desktop.MouseEvent) { c.mods = ev.Modifier }

// MouseUp is part of desktop.Mouseable.
func (c *cell) MouseUp(*desktop.MouseEvent) {}

// Tapped selects the attachment; Ctrl toggles it, Shift extends to it.
func (c *cell) Tapped(*fyne.PointEvent) {
	c.b.click(c.id, c.mods)
	c.mods = 0
}

// DoubleTapped opens the viewer.
func (c *cell) DoubleTapped(*fyne.PointEvent) { c.b.openViewer(c.id) }

// MouseIn shows what is wrong with the attachment, if anything, in the
// status bar: Fyne has no tooltips.
func (c *cell) MouseIn(*desktop.MouseEvent) { c.b.hover(c.id) }

// MouseMoved is part of desktop.Hoverable.
func (c *cell) MouseMoved(*desktop.MouseEvent) {}

// MouseOut clears the hover note.
func (c *cell) MouseOut() { c.b.hover("") }

// MinSize is a square thumbnail of the chosen size with a line of label.
func (c *cell) MinSize() fyne.Size { return c.b.cellMin() }

// CreateRenderer lays out the cell.
func (c *cell) CreateRenderer() fyne.WidgetRenderer { return &cellRenderer{c: c} }

type cellRenderer struct{ c *cell }

func (r *cellRenderer) Layout(s fyne.Size) {
	c := r.c
	pad := theme.Padding()
	labelH := c.b.labelLine()
	box := fyne.NewSize(s.Width-2*pad, s.Height-labelH-2*pad)
	c.bg.Move(fyne.NewPos(0, 0))
	c.bg.Resize(s)
	for _, o := range []fyne.CanvasObject{c.placeholder, c.img} {
		o.Move(fyne.NewPos(pad, pad))
		o.Resize(box)
	}
	mark := fyne.NewSize(box.Width/2, box.Height/2)
	c.broken.Move(fyne.NewPos(pad+box.Width/4, pad+box.Height/4))
	c.broken.Resize(mark)
	kh, sh := c.kind.MinSize().Height, c.size.MinSize().Height
	c.kind.Move(fyne.NewPos(pad, pad+(box.Height-kh-sh)/2))
	c.kind.Resize(fyne.NewSize(box.Width, kh))
	c.size.Move(fyne.NewPos(pad, pad+(box.Height+kh-sh)/2))
	c.size.Resize(fyne.NewSize(box.Width, sh))
	th := c.b.labels.height(c.label.TextSize)
	c.label.Move(fyne.NewPos(0, s.Height-labelH-pad/2+(labelH-th)/2))
	c.label.Resize(fyne.NewSize(s.Width, th))
	c.fitLabel(s.Width)
	ts := c.badge.MinSize()
	c.badgeBg.Move(fyne.NewPos(pad+2, pad+2))
	c.badgeBg.Resize(fyne.NewSize(ts.Width+8, ts.Height+2))
	c.badge.Move(fyne.NewPos(pad+6, pad+3))
	c.badge.Resize(ts)
}

func (r *cellRenderer) MinSize() fyne.Size { return r.c.MinSize() }

func (r *cellRenderer) Refresh() {
	c := r.c
	c.placeholder.FillColor = theme.Color(theme.ColorNameInputBackground)
	c.badgeBg.FillColor = theme.Color(theme.ColorNameError)
	c.badge.Color = theme.Color(theme.ColorNameForegroundOnError)
	c.label.Color = theme.Color(theme.ColorNameForeground)
	c.label.TextSize = theme.TextSize()
	c.kind.Color = theme.Color(theme.ColorNameForeground)
	c.kind.TextSize = theme.TextSize() * 1.5
	c.size.Color = theme.Color(theme.ColorNamePlaceHolder)
	c.refreshHighlight()
	r.Layout(c.Size())
	canvas.Refresh(c)
}

func (r *cellRenderer) Objects() []fyne.CanvasObject {
	c := r.c
	return []fyne.CanvasObject{c.bg, c.placeholder, c.img, c.broken, c.kind, c.size, c.label, c.badgeBg, c.badge}
}

func (r *cellRenderer) Destroy() {}

// cellMin is the size of every cell: the thumbnail box plus a label line.
func (b *Browser) cellMin() fyne.Size {
	pad := theme.Padding()
	return fyne.NewSize(b.cellSize+2*pad, b.cellSize+b.labelLine()+2*pad)
}

// labelLine is the height of a cell's label line, measured once.
func (b *Browser) labelLine() float32 {
	if b.labelH == 0 {
		b.labelH = widget.NewLabel("Ag").MinSize().Height
	}
	return b.labelH
}

// errNoBlob says why an attachment has no picture to draw.
func errNoBlob(a store.Attachment) error {
	if a.Status == store.StatusSymlink {
		return errors.New("the blob is a symbolic link, which lashview does not follow")
	}
	return errors.New("the blob is missing: only its sidecar is in the store")
}

// labelWidth is the room for the label in a cell of width w: the cell less
// the padding a widget.Label would keep.
func (c *cell) labelWidth(w float32) float32 {
	return w - 2*theme.InnerPadding()
}

// labelFitter shortens labels to a width, ending them with "…". It is
// what widget.Label's ellipsis truncation does, at a fraction of the cost:
// Fyne shapes the whole text again with a fresh HarfBuzz font for every
// truncated label it lays out, and scrolling a large store lays out
// thousands of new labels a second. The fitter measures each rune once
// and adds up the advances. Kerning and ligatures only make real text
// narrower than that sum, so a fitted label never overflows the cell.
type labelFitter struct {
	size  float32
	adv   map[rune]float32
	lineH float32
}

// height is the height of a line of text at size.
func (f *labelFitter) height(size float32) float32 {
	f.reset(size)
	if f.lineH == 0 {
		f.lineH = fyne.MeasureText("Ag", size, fyne.TextStyle{}).Height
	}
	return f.lineH
}

// reset forgets the measures when the text size changed.
func (f *labelFitter) reset(size float32) {
	if f.adv == nil || size != f.size {
		f.size, f.adv, f.lineH = size, map[rune]float32{}, 0
	}
}

// advance is the width of r drawn alone at the fitter's size.
func (f *labelFitter) advance(r rune) float32 {
	w, ok := f.adv[r]
	if !ok {
		w = fyne.MeasureText(string(r), f.size, fyne.TextStyle{}).Width
		f.adv[r] = w
	}
	return w
}

// fit returns s, or its longest start that fits width with "…" after it.
func (f *labelFitter) fit(s string, width, size float32) string {
	if s == "" || width <= 0 {
		return s
	}
	f.reset(size)
	ell := f.advance('…')
	total := float32(0)
	cut := 0 // s[:cut] and the ellipsis fit
	for i, r := range s {
		if total+ell <= width {
			cut = i
		}
		total += f.advance(r)
	}
	if total <= width {
		return s
	}
	return strings.TrimRight(s[:cut], " ") + "…"
}

// isTypeTile reports whether an attachment is shown as a tile with its type
// and size rather than a picture: its bytes are there but are none of the
// image types (lash alpha.111 stores PDFs, sounds, any file).
func isTypeTile(a store.Attachment) bool {
	return a.HasBlob && a.MediaType == "" && a.MIME != ""
}

// typeWord is a short name for a MIME type on a tile: PDF, MPEG, TEXT, DATA.
func typeWord(mime string) string {
	switch mime {
	case "application/octet-stream":
		return "DATA"
	case "text/plain":
		return "TEXT"
	}
	_, sub, _ := strings.Cut(mime, "/")
	sub, _, _ = strings.Cut(sub, "+")
	sub = strings.TrimPrefix(sub, "x-")
	if sub == "" {
		sub = mime
	}
	if len(sub) > 8 {
		sub = sub[:8]
	}
	return strings.ToUpper(sub)
}
