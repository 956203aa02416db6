package ui

import (
	"context"
	"fmt"
	"image"
	_ "image/gif" // the viewer decodes every type lash stores
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	_ "golang.org/x/image/bmp"
	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"lashview/store"
)

// Limits of the full-size viewer. The pixel cap is checked on the header
// before any pixel is decoded; textures wider than maxTexture are shrunk
// because GL drivers refuse them (the shown zoom still counts image pixels).
const (
	maxViewPixels = 150_000_000
	maxTexture    = 8192
	minZoom       = 0.02
	maxZoom       = 32
)

// viewer shows one attachment's full image over the grid: fit to the
// window, 100%, zoom with keys and the wheel, pan by dragging, Left/Right
// for the previous and next attachment, Escape back to the grid.
type viewer struct {
	host viewerHost
	cat  *catalog
	// under is the window's main view, hidden while the viewer covers it.
	under fyne.CanvasObject
	obj   *fyne.Container
	area  *viewArea
	info  *widget.Label
	id    store.ID
	gen   int // bumps per image: a decode that finishes late is dropped
}

func newViewer(host viewerHost, cat *catalog) *viewer {
	v := &viewer{host: host, cat: cat}
	v.area = newViewArea(v)
	v.info = widget.NewLabel("")
	v.info.Truncation = fyne.TextTruncateEllipsis
	bar := container.NewBorder(nil, nil,
		container.NewHBox(
			widget.NewButtonWithIcon("Grid", theme.NavigateBackIcon(), host.closeViewer),
			widget.NewButtonWithIcon("", theme.MediaSkipPreviousIcon(), func() { v.step(-1) }),
			widget.NewButtonWithIcon("", theme.MediaSkipNextIcon(), func() { v.step(1) }),
		),
		container.NewHBox(
			widget.NewButton("Fit", func() { v.area.setZoom(0) }),
			widget.NewButton("100%", func() { v.area.setZoom(1) }),
			widget.NewButtonWithIcon("", theme.ZoomOutIcon(), func() { v.area.zoomBy(1 / 1.25) }),
			widget.NewButtonWithIcon("", theme.ZoomInIcon(), func() { v.area.zoomBy(1.25) }),
		),
		v.info)
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	v.obj = container.NewStack(bg, container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, v.area))
	return v
}

func (v *viewer) visible() bool { return v.obj.Visible() }

// showing reports whether the viewer is open on id.
func (v *viewer) showing(id store.ID) bool { return v.visible() && v.id == id }

// open shows id, decoding its image off the UI goroutine.
func (v *viewer) open(id store.ID) {
	v.id = id
	v.gen++
	gen := v.gen
	v.area.set(nil, nil, "Loading…")
	v.obj.Show()
	v.under.Hide()
	v.updateInfo()
	v.host.canvas().Focus(v.area)
	if a, ok := v.cat.get(id); ok && (!a.HasBlob || a.Status == store.StatusSymlink) {
		v.area.set(nil, errNoBlob(a), "")
		return
	}
	st, ctx := v.host.current(), v.host.lifetime()
	go func() {
		img, err := decodeFull(ctx, st, id)
		v.host.post(func() {
			if gen != v.gen || v.id != id {
				return
			}
			v.area.set(img, err, "")
			v.updateInfo()
		})
	}()
}

func (v *viewer) close() {
	if v == nil || v.obj == nil {
		return
	}
	v.gen++
	v.id = ""
	v.area.set(nil, nil, "") // let the full image go
	v.obj.Hide()
	if v.under != nil {
		v.under.Show()
	}
}

// step shows the previous (-1) or next (+1) attachment in the grid's order.
func (v *viewer) step(d int) {
	i := v.cat.position(v.id)
	if i < 0 {
		return
	}
	j := i + d
	if j < 0 || j >= len(v.cat.shown) {
		return
	}
	v.host.selectOnly(v.cat.shown[j])
	v.open(v.cat.shown[j])
}

func (v *viewer) updateInfo() {
	a, ok := v.cat.get(v.id)
	if !ok {
		v.info.SetText("")
		return
	}
	s := oneLine(v.cat.displayLabel(a.ID))
	if i := v.cat.position(v.id); i >= 0 {
		s = fmt.Sprintf("%s  ·  %s of %s", s, thousands(i+1), thousands(len(v.cat.shown)))
	}
	if a.Width > 0 {
		s += fmt.Sprintf("  ·  %d × %d", a.Width, a.Height)
	}
	if v.area.img != nil {
		s += fmt.Sprintf("  ·  %.0f%%", v.area.effectiveZoom()*100)
	}
	v.info.SetText(s)
}

// TypedKey is the viewer's keyboard: steps and panning here, Escape and
// F5 are commands (windowCommands).
func (v *viewer) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyLeft, fyne.KeyPageUp:
		v.step(-1)
	case fyne.KeyRight, fyne.KeyPageDown, fyne.KeySpace:
		v.step(1)
	case fyne.KeyHome:
		if len(v.cat.shown) > 0 {
			v.step(-v.cat.position(v.id))
		}
	case fyne.KeyEnd:
		v.step(len(v.cat.shown) - 1 - v.cat.position(v.id))
	case fyne.KeyUp:
		v.area.pan(0, 40)
	case fyne.KeyDown:
		v.area.pan(0, -40)
	default:
		v.host.doKey(inViewer, ev.Name)
	}
}

// TypedRune: + and - zoom, 0 or f fits, 1 shows 100%.
func (v *viewer) TypedRune(r rune) {
	switch r {
	case '+', '=':
		v.area.zoomBy(1.25)
	case '-':
		v.area.zoomBy(1 / 1.25)
	case '0', 'f', 'F':
		v.area.setZoom(0)
	case '1':
		v.area.setZoom(1)
	}
}

// decodeFull decodes an attachment's whole image, refusing one over the
// pixel cap before decoding it and shrinking one too wide for a texture.
func decodeFull(ctx context.Context, st store.Face, id store.ID) (image.Image, error) {
	f, _, err := openBlobOf(ctx, st, id)
	if err != nil {
		return nil, err
	}
	defer func() { f.Close() }()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("the bytes are not an image lashview can decode: %w", err)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxViewPixels {
		return nil, fmt.Errorf("the image is %d × %d pixels, over the viewer's limit of %d megapixels", cfg.Width, cfg.Height, maxViewPixels/1_000_000)
	}
	// From the start again: a file seeks, a bucket's object is fetched
	// again (the header alone was read of it).
	if sk, ok := f.(io.Seeker); ok {
		if _, err := sk.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("cannot read the blob again: %w", err)
		}
	} else {
		f.Close()
		if f, _, err = openBlobOf(ctx, st, id); err != nil {
			return nil, fmt.Errorf("cannot read the blob again: %w", err)
		}
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("the %s image cannot be decoded: %w", format, err)
	}
	b := img.Bounds()
	if b.Dx() > maxTexture || b.Dy() > maxTexture {
		s := float64(maxTexture) / float64(max(b.Dx(), b.Dy()))
		dst := image.NewRGBA(image.Rect(0, 0, max(1, int(float64(b.Dx())*s)), max(1, int(float64(b.Dy())*s))))
		xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
		return scaledImage{dst, b.Dx(), b.Dy()}, nil
	}
	return img, nil
}

// scaledImage is a shrunk image that remembers its real size, so zoom
// percentages stay true to the attachment.
type scaledImage struct {
	*image.RGBA
	w, h int
}

// realSize is an image's size in its own pixels.
func realSize(img image.Image) (int, int) {
	if s, ok := img.(scaledImage); ok {
		return s.w, s.h
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

// viewArea draws the image at a zoom and offset and takes the wheel,
// drags and double-clicks.
type viewArea struct {
	widget.BaseWidget
	v      *viewer
	img    image.Image
	cimg   *canvas.Image
	msg    *widget.Label
	zoom   float32       // 0: fit to the window
	offset fyne.Position // of the image's centre from the area's centre
}

var (
	_ fyne.Scrollable     = (*viewArea)(nil)
	_ fyne.Draggable      = (*viewArea)(nil)
	_ fyne.Focusable      = (*viewArea)(nil)
	_ fyne.DoubleTappable = (*viewArea)(nil)
)

func newViewArea(v *viewer) *viewArea {
	a := &viewArea{v: v}
	a.cimg = &canvas.Image{FillMode: canvas.ImageFillStretch, ScaleMode: canvas.ImageScaleSmooth}
	a.cimg.Hide()
	a.msg = widget.NewLabel("")
	a.msg.Alignment = fyne.TextAlignCenter
	a.msg.Wrapping = fyne.TextWrapWord
	a.ExtendBaseWidget(a)
	return a
}

func (a *viewArea) set(img image.Image, err error, msg string) {
	a.img, a.zoom, a.offset = img, 0, fyne.Position{}
	a.cimg.Image = img
	if img == nil {
		a.cimg.Hide()
	} else {
		a.cimg.Show()
	}
	if err != nil {
		msg = "⚠ This image cannot be shown.\n" + err.Error()
	}
	a.msg.SetText(msg)
	a.cimg.Refresh()
	a.Refresh()
}

// fitZoom is the zoom at which the whole image fits, never above 100%.
func (a *viewArea) fitZoom() float32 {
	if a.img == nil {
		return 1
	}
	w, h := realSize(a.img)
	nat := a.natural(w, h)
	s := a.Size()
	if nat.Width <= 0 || nat.Height <= 0 || s.Width <= 0 || s.Height <= 0 {
		return 1
	}
	return min(1, s.Width/nat.Width, s.Height/nat.Height)
}

// natural is the image's size in device-independent pixels at 100%: one
// image pixel per screen pixel.
func (a *viewArea) natural(w, h int) fyne.Size {
	scale := a.v.host.canvas().Scale()
	if scale <= 0 {
		scale = 1
	}
	return fyne.NewSize(float32(w)/scale, float32(h)/scale)
}

func (a *viewArea) effectiveZoom() float32 {
	if a.zoom == 0 {
		return a.fitZoom()
	}
	return a.zoom
}

func (a *viewArea) setZoom(z float32) {
	a.zoom = z
	if z == 0 {
		a.offset = fyne.Position{}
	}
	a.Refresh()
	a.v.updateInfo()
}

// zoomBy zooms about the area's centre.
func (a *viewArea) zoomBy(f float32) {
	a.zoomAt(f, fyne.NewPos(a.Size().Width/2, a.Size().Height/2))
}

// zoomAt zooms keeping the image point under p where it is.
func (a *viewArea) zoomAt(f float32, p fyne.Position) {
	if a.img == nil {
		return
	}
	z1 := a.effectiveZoom()
	z2 := float32(math.Min(maxZoom, math.Max(minZoom, float64(z1*f))))
	c := fyne.NewPos(a.Size().Width/2, a.Size().Height/2)
	rel := p.Subtract(c)
	r := z2 / z1
	a.offset = fyne.NewPos((a.offset.X-rel.X)*r+rel.X, (a.offset.Y-rel.Y)*r+rel.Y)
	a.zoom = z2
	a.Refresh()
	a.v.updateInfo()
}

func (a *viewArea) pan(dx, dy float32) {
	a.offset = a.offset.Add(fyne.NewPos(dx, dy))
	a.Refresh()
}

// Scrolled zooms with the wheel, about the pointer.
func (a *viewArea) Scrolled(ev *fyne.ScrollEvent) {
	switch {
	case ev.Scrolled.DY > 0:
		a.zoomAt(1.15, ev.Position)
	case ev.Scrolled.DY < 0:
		a.zoomAt(1/1.15, ev.Position)
	}
}

// Dragged pans.
func (a *viewArea) Dragged(ev *fyne.DragEvent) { a.pan(ev.Dragged.DX, ev.Dragged.DY) }

// DragEnd is part of fyne.Draggable.
func (a *viewArea) DragEnd() {}

// DoubleTapped switches between fit and 100%.
func (a *viewArea) DoubleTapped(*fyne.PointEvent) {
	if a.zoom == 0 && a.fitZoom() < 1 {
		a.setZoom(1)
	} else {
		a.setZoom(0)
	}
}

// FocusGained is part of fyne.Focusable.
func (a *viewArea) FocusGained() {}

// FocusLost is part of fyne.Focusable.
func (a *viewArea) FocusLost() {}

// TypedKey passes keys to the viewer.
func (a *viewArea) TypedKey(ev *fyne.KeyEvent) { a.v.TypedKey(ev) }

// TypedRune passes runes to the viewer.
func (a *viewArea) TypedRune(r rune) { a.v.TypedRune(r) }

// CreateRenderer places the image by zoom and offset.
func (a *viewArea) CreateRenderer() fyne.WidgetRenderer { return &viewAreaRenderer{a: a} }

type viewAreaRenderer struct{ a *viewArea }

func (r *viewAreaRenderer) Layout(s fyne.Size) {
	a := r.a
	a.msg.Resize(fyne.NewSize(s.Width, a.msg.MinSize().Height))
	a.msg.Move(fyne.NewPos(0, (s.Height-a.msg.MinSize().Height)/2))
	if a.img == nil {
		return
	}
	w, h := realSize(a.img)
	z := a.effectiveZoom()
	nat := a.natural(w, h)
	d := fyne.NewSize(nat.Width*z, nat.Height*z)
	// Keep the image on screen: centred along an axis where it fits, no
	// further than its edge along one where it does not.
	limit := func(off, dim, view float32) float32 {
		if dim <= view {
			return 0
		}
		m := (dim - view) / 2
		return float32(math.Max(float64(-m), math.Min(float64(m), float64(off))))
	}
	a.offset = fyne.NewPos(limit(a.offset.X, d.Width, s.Width), limit(a.offset.Y, d.Height, s.Height))
	a.cimg.Resize(d)
	a.cimg.Move(fyne.NewPos((s.Width-d.Width)/2+a.offset.X, (s.Height-d.Height)/2+a.offset.Y))
}

func (r *viewAreaRenderer) MinSize() fyne.Size { return fyne.NewSize(100, 100) }

func (r *viewAreaRenderer) Refresh() {
	r.Layout(r.a.Size())
	canvas.Refresh(r.a)
}

func (r *viewAreaRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.a.cimg, r.a.msg}
}

func (r *viewAreaRenderer) Destroy() {}
