package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// welcomeView is shown instead of the grid when the store to open does
// not exist (or cannot be opened): it says so and offers a way on.
type welcomeView struct {
	obj    fyne.CanvasObject
	dir    string
	why    *widget.Label
	create *widget.Button
	note   *widget.Label
}

// newWelcomeView makes the view; its buttons create the store named (dir),
// open another folder, and open the demo store.
func newWelcomeView(create func(dir string), open, demo func()) *welcomeView {
	w := &welcomeView{}
	heading := widget.NewLabelWithStyle("Welcome to lashview", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	heading.SizeName = theme.SizeNameHeadingText
	w.why = widget.NewLabel("")
	w.why.Alignment = fyne.TextAlignCenter
	w.why.Wrapping = fyne.TextWrapWord
	about := widget.NewLabel("lashview browses the attachments the lash agent runtime keeps: images named by their SHA-256, each with a small JSON sidecar.")
	about.Alignment = fyne.TextAlignCenter
	about.Wrapping = fyne.TextWrapWord
	w.create = widget.NewButtonWithIcon("Create it", theme.FolderNewIcon(), func() { create(w.dir) })
	w.create.Importance = widget.HighImportance
	other := widget.NewButtonWithIcon("Open another folder…", theme.FolderOpenIcon(), open)
	demoBtn := widget.NewButtonWithIcon("Open a demo store", theme.MediaPhotoIcon(), demo)
	w.note = widget.NewLabel("")
	w.note.Alignment = fyne.TextAlignCenter
	w.note.Hide()
	box := container.NewVBox(heading, w.why, about, container.NewCenter(container.NewHBox(w.create, other, demoBtn)), w.note)
	w.obj = container.NewCenter(container.NewGridWrap(fyne.NewSize(620, box.MinSize().Height+80), box))
	return w
}

// busy shows what is being done (the demo store being written), or
// nothing when s is empty.
func (w *welcomeView) busy(s string) {
	w.note.SetText(s)
	if s == "" {
		w.note.Hide()
	} else {
		w.note.Show()
	}
}

// showWelcome replaces the grid with the welcome view for dir.
func (b *Browser) showWelcome(dir, why string, canCreate bool) {
	b.welcome.dir = dir
	b.welcome.why.SetText(why)
	if canCreate {
		b.welcome.create.Show()
	} else {
		b.welcome.create.Hide()
	}
	b.welcome.busy("")
	b.root.Objects = []fyne.CanvasObject{b.welcome.obj}
	b.root.Refresh()
	b.win.SetTitle(b.title())
}

// demoImage is one picture of the demo store: how to draw it and its label.
type demoImage struct {
	label string
	jpeg  bool
	w, h  int
	draw  func(img *image.RGBA)
}

// demoImages are drawn in code, so the demo store needs no files and
// shows what lashview does: labels first, types, sizes, one unlabelled.
var demoImages = []demoImage{
	{"Demo: sunset gradient", true, 640, 400, func(m *image.RGBA) {
		vertical(m, color.RGBA{255, 140, 60, 255}, color.RGBA{70, 30, 120, 255})
		disc(m, 320, 300, 90, color.RGBA{255, 220, 120, 255})
	}},
	{"Demo: checkerboard", false, 256, 256, func(m *image.RGBA) {
		checker(m, 32, color.RGBA{40, 40, 40, 255}, color.RGBA{230, 230, 230, 255})
	}},
	{"Demo: ocean", true, 800, 450, func(m *image.RGBA) {
		vertical(m, color.RGBA{150, 210, 255, 255}, color.RGBA{0, 60, 130, 255})
		waves(m, color.RGBA{255, 255, 255, 90})
	}},
	{"Demo: traffic lights", false, 120, 320, func(m *image.RGBA) {
		fill(m, color.RGBA{30, 30, 30, 255})
		disc(m, 60, 60, 40, color.RGBA{230, 40, 40, 255})
		disc(m, 60, 160, 40, color.RGBA{240, 200, 30, 255})
		disc(m, 60, 260, 40, color.RGBA{40, 200, 70, 255})
	}},
	{"Demo: stripes", false, 400, 300, func(m *image.RGBA) {
		stripes(m, 25, []color.RGBA{{230, 57, 70, 255}, {241, 250, 238, 255}, {168, 218, 220, 255}, {69, 123, 157, 255}})
	}},
	{"Demo: transparent circle", false, 300, 300, func(m *image.RGBA) {
		disc(m, 150, 150, 120, color.RGBA{90, 60, 200, 200})
	}},
	{"Demo: forest", true, 600, 600, func(m *image.RGBA) {
		vertical(m, color.RGBA{200, 235, 200, 255}, color.RGBA{20, 80, 30, 255})
		for i := 0; i < 7; i++ {
			triangle(m, 40+i*85, 520, 70, 300, color.RGBA{uint8(20 + i*10), uint8(100 + i*12), 40, 255})
		}
	}},
	{"Demo: tiny 16×16 icon", false, 16, 16, func(m *image.RGBA) {
		checker(m, 4, color.RGBA{255, 200, 0, 255}, color.RGBA{0, 120, 255, 255})
	}},
	{"Demo: a wide panorama", true, 1600, 300, func(m *image.RGBA) {
		horizontal(m, color.RGBA{255, 90, 90, 255}, color.RGBA{90, 90, 255, 255})
	}},
	{"", false, 320, 240, func(m *image.RGBA) { // an attachment without a label
		vertical(m, color.RGBA{60, 60, 60, 255}, color.RGBA{180, 180, 180, 255})
	}},
	{"Demo: rings", false, 360, 360, func(m *image.RGBA) {
		fill(m, color.RGBA{250, 245, 230, 255})
		for r := 160; r > 0; r -= 20 {
			c := color.RGBA{uint8(40 + r), 80, uint8(200 - r), 255}
			disc(m, 180, 180, float64(r), c)
		}
	}},
	{"Demo: night sky", true, 640, 480, func(m *image.RGBA) {
		vertical(m, color.RGBA{5, 5, 30, 255}, color.RGBA{30, 30, 80, 255})
		for i := 0; i < 120; i++ {
			x, y := (i*7919)%640, (i*104729)%480
			disc(m, float64(x), float64(y), 1.5, color.RGBA{255, 255, 230, 255})
		}
		disc(m, 500, 100, 45, color.RGBA{245, 245, 220, 255})
	}},
}

// writeDemoStore puts the demo images into st (a put of bytes already there
// changes nothing, so writing it twice is harmless).
func writeDemoStore(ctx context.Context, st *store.Store) error {
	if err := os.MkdirAll(st.Root(), 0o755); err != nil {
		return err
	}
	for _, d := range demoImages {
		m := image.NewRGBA(image.Rect(0, 0, d.w, d.h))
		d.draw(m)
		var buf bytes.Buffer
		var err error
		if d.jpeg {
			err = jpeg.Encode(&buf, m, &jpeg.Options{Quality: 88})
		} else {
			err = png.Encode(&buf, m)
		}
		if err != nil {
			return fmt.Errorf("encode %q: %w", d.label, err)
		}
		var opt store.PutOptions
		if d.label != "" {
			l := d.label
			opt.Label = &l
		}
		if _, err := st.Put(ctx, &buf, opt); err != nil {
			return err
		}
	}
	return nil
}

func fill(m *image.RGBA, c color.RGBA) {
	draw.Draw(m, m.Bounds(), &image.Uniform{c}, image.Point{}, draw.Src)
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), l(a.A, b.A)}
}

func vertical(m *image.RGBA, top, bottom color.RGBA) {
	r := m.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		c := mix(top, bottom, float64(y)/float64(max(1, r.Dy()-1)))
		draw.Draw(m, image.Rect(r.Min.X, y, r.Max.X, y+1), &image.Uniform{c}, image.Point{}, draw.Src)
	}
}

func horizontal(m *image.RGBA, left, right color.RGBA) {
	r := m.Bounds()
	for x := r.Min.X; x < r.Max.X; x++ {
		c := mix(left, right, float64(x)/float64(max(1, r.Dx()-1)))
		draw.Draw(m, image.Rect(x, r.Min.Y, x+1, r.Max.Y), &image.Uniform{c}, image.Point{}, draw.Src)
	}
}

func checker(m *image.RGBA, n int, a, b color.RGBA) {
	r := m.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += n {
		for x := r.Min.X; x < r.Max.X; x += n {
			c := a
			if (x/n+y/n)%2 == 1 {
				c = b
			}
			draw.Draw(m, image.Rect(x, y, x+n, y+n), &image.Uniform{c}, image.Point{}, draw.Src)
		}
	}
}

func stripes(m *image.RGBA, w int, cs []color.RGBA) {
	r := m.Bounds()
	for x := r.Min.X; x < r.Max.X; x += w {
		draw.Draw(m, image.Rect(x, r.Min.Y, x+w, r.Max.Y), &image.Uniform{cs[(x/w)%len(cs)]}, image.Point{}, draw.Src)
	}
}

// disc draws a filled circle over what is there (alpha blended).
func disc(m *image.RGBA, cx, cy, r float64, c color.RGBA) {
	b := image.Rect(int(cx-r), int(cy-r), int(cx+r)+1, int(cy+r)+1).Intersect(m.Bounds())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if math.Hypot(float64(x)-cx, float64(y)-cy) <= r {
				draw.Draw(m, image.Rect(x, y, x+1, y+1), &image.Uniform{c}, image.Point{}, draw.Over)
			}
		}
	}
}

func waves(m *image.RGBA, c color.RGBA) {
	r := m.Bounds()
	for row := 0; row < 6; row++ {
		base := float64(r.Dy()/2 + row*35)
		for x := r.Min.X; x < r.Max.X; x++ {
			y := int(base + 8*math.Sin(float64(x)/30+float64(row)))
			draw.Draw(m, image.Rect(x, y, x+1, y+3), &image.Uniform{c}, image.Point{}, draw.Over)
		}
	}
}

// triangle draws a fir tree: apex at (cx, base-h), base width w.
func triangle(m *image.RGBA, cx, base, w, h int, c color.RGBA) {
	for y := base - h; y < base; y++ {
		half := w / 2 * (y - (base - h)) / h
		draw.Draw(m, image.Rect(cx-half, y, cx+half+1, y+1), &image.Uniform{c}, image.Point{}, draw.Src)
	}
}
