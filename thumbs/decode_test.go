package thumbs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"

	"lashview/store"
)

const exif6ID = "35fd0c90ba9c26233d9272b9c309f38dcef87cd53038d3fb3af3db25ad72541d"

// Every image in the clean fixture gets a thumbnail of the right size and
// orientation, with both JPEG paths.
func TestCleanFixtureThumbnails(t *testing.T) {
	root := fixtureStore(t, "clean")
	ids := blobIDs(t, root)
	if len(ids) != 17 {
		t.Fatalf("clean fixture: %d blobs, want 17", len(ids))
	}
	for _, pure := range []bool{false, true} {
		name := "libjpeg"
		if pure || !haveLibjpeg {
			name = "pure-go"
		}
		t.Run(name, func(t *testing.T) {
			c, _ := newTestCache(t, root, Options{pureGo: pure})
			for _, id := range ids {
				cfg, format := decodeConfig(t, store.Layout{Root: root}.Blob(id))
				if pure && format != "jpeg" {
					continue // the same path as above
				}
				w, h := fitBox(cfg.Width, cfg.Height, DefaultSize)
				if id == exif6ID {
					w, h = h, w
				}
				img, err := c.Get(context.Background(), id, DefaultSize)
				if err != nil {
					t.Errorf("%s: %v", id.Short(), err)
					continue
				}
				if got := img.Bounds().Size(); got != image.Pt(w, h) {
					t.Errorf("%s (%dx%d): thumbnail %v, want %dx%d", id.Short(), cfg.Width, cfg.Height, got, w, h)
				}
				files, _ := filepath.Glob(filepath.Join(c.Dir(), "256", id.Prefix(), string(id)+".*"))
				if len(files) != 1 || !(strings.HasSuffix(files[0], ".jpg") || strings.HasSuffix(files[0], ".png")) {
					t.Errorf("%s: cache files %v, want one .jpg or .png", id.Short(), files)
				}
			}
			if hasTemp(listFiles(t, c.Dir())) {
				t.Errorf("temp files left in the cache: %v", listFiles(t, c.Dir()))
			}
		})
	}
}

func decodeConfig(t testing.TB, p string) (image.Config, string) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return cfg, format
}

// The EXIF-6 fixture is stored 800x600 with yellow at the top and purple
// at the bottom; shown upright it is portrait with purple on the left and
// yellow on the right.
func TestEXIF6FixtureUpright(t *testing.T) {
	root := fixtureStore(t, "clean")
	for _, pure := range []bool{false, true} {
		c, _ := newTestCache(t, root, Options{pureGo: pure})
		img, err := c.Get(context.Background(), exif6ID, 256)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		if b.Dx() != 192 || b.Dy() != 256 {
			t.Fatalf("pure=%v: %v, want 192x256 portrait", pure, b.Size())
		}
		left, right := nrgbaAt(img, 2, 128), nrgbaAt(img, 189, 128)
		if !(left.B > 80 && left.G < 60) {
			t.Errorf("pure=%v: left edge %v, want purple", pure, left)
		}
		if !(right.R > 200 && right.G > 200 && right.B < 80) {
			t.Errorf("pure=%v: right edge %v, want yellow", pure, right)
		}
	}
}

// All eight orientations, both byte orders, both JPEG paths: the corners
// of a quadrant image land where a viewer shows them.
func TestEXIFOrientations(t *testing.T) {
	src := encodeJPEG(t, quadrants(80, 40), 95)
	// Where the stored corners TL(red) TR(green) BL(blue) BR(white) end up,
	// listed as the colours seen at the upright TL, TR, BL, BR.
	red, green, blue, white := [3]uint8{255, 0, 0}, [3]uint8{0, 255, 0}, [3]uint8{0, 0, 255}, [3]uint8{255, 255, 255}
	want := map[int][4][3]uint8{
		1: {red, green, blue, white},
		2: {green, red, white, blue},
		3: {white, blue, green, red},
		4: {blue, white, red, green},
		5: {red, blue, green, white},
		6: {blue, red, white, green},
		7: {white, green, blue, red},
		8: {green, white, red, blue},
	}
	for o := 1; o <= 8; o++ {
		for _, order := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
			for _, pure := range []bool{false, true} {
				data := withEXIFOrientation(src, o, order)
				img, err := makeThumb(bytes.NewReader(data), int64(len(data)), 64, limits{ctx: context.Background(), maxPixels: DefaultMaxPixels, pureGo: pure})
				if err != nil {
					t.Fatalf("orientation %d: %v", o, err)
				}
				w, h := 64, 32
				if o >= 5 {
					w, h = 32, 64
				}
				if img.Bounds().Dx() != w || img.Bounds().Dy() != h {
					t.Fatalf("orientation %d: %v, want %dx%d", o, img.Bounds().Size(), w, h)
				}
				pts := [4]image.Point{{3, 3}, {w - 4, 3}, {3, h - 4}, {w - 4, h - 4}}
				for i, p := range pts {
					c := want[o][i]
					if got := nrgbaAt(img, p.X, p.Y); !near(got, c[0], c[1], c[2], 255, 40) {
						t.Errorf("orientation %d (%v, pure=%v): corner %d is %v, want %v", o, order, pure, i, got, c)
					}
				}
			}
		}
	}
}

// The undecodable images of the messy fixture get remembered failures with
// a reason, and a second cache over the same folder does not open them.
// (Its empty and plain-text blobs are no images: TestNotImage.)
func TestMessyUndecodableRemembered(t *testing.T) {
	root := fixtureStore(t, "messy")
	cases := map[store.ID]string{
		"93f9291118544463ca7b4a4080dae3f9654cc1af4c770b9f2d49f9096140c93a": "png decode",
		"f3818ee4c13060cc2292a0e3bb3bde4c185b73a050660bf597c9dc34e2f39d41": "png decode",
	}
	dir := t.TempDir()
	c, o := newTestCache(t, root, Options{Dir: dir})
	for id, reason := range cases {
		_, err := c.Get(context.Background(), id, 256)
		var f *Failure
		if !errors.As(err, &f) {
			t.Fatalf("%s: error %v, want a *Failure", id.Short(), err)
		}
		if f.ID != id || !strings.Contains(f.Reason, reason) {
			t.Errorf("%s: failure %q, want a reason containing %q", id.Short(), f.Reason, reason)
		}
		data, err := os.ReadFile(filepath.Join(dir, "256", id.Prefix(), string(id)+".fail"))
		if err != nil || !strings.Contains(string(data), f.Reason) {
			t.Errorf("%s: .fail file %q (%v), want the reason", id.Short(), data, err)
		}
		t.Logf("%s: %s", id.Short(), f.Reason)
	}
	if n := o.opens.Load(); n != int64(len(cases)) {
		t.Errorf("%d opens, want %d", n, len(cases))
	}
	c.Close()

	c2, o2 := newTestCache(t, root, Options{Dir: dir})
	for id := range cases {
		if _, err := c2.Get(context.Background(), id, 256); err == nil {
			t.Errorf("%s: remembered failure not returned", id.Short())
		}
	}
	if n := o2.opens.Load(); n != 0 {
		t.Errorf("remembered failures opened their blob %d times", n)
	}
	if s := c2.Stats(); s.Remembered != int64(len(cases)) || s.Decodes != 0 {
		t.Errorf("stats %+v, want %d remembered and no decodes", s, len(cases))
	}
}

// A header claiming 50000x50000 is refused from the header: no pixel
// buffer, a few kilobytes at most, whether or not the size is known.
func TestDecompressionBombRefused(t *testing.T) {
	bomb := pngWithHeader(50000, 50000)
	for _, r := range []func() io.Reader{
		func() io.Reader { return bytes.NewReader(bomb) },
		func() io.Reader { return io.MultiReader(bytes.NewReader(bomb)) }, // size unknown
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Thumbnail(r(), 256, 0)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err %v, want ErrTooLarge", err)
		}
		var f *Failure
		if !errors.As(err, &f) || !strings.Contains(f.Reason, "50000x50000") {
			t.Errorf("reason %v does not name the size", err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<10 {
			t.Errorf("refusing the bomb allocated %d bytes", alloc)
		}
	}
}

// Headers that claim more pixels than their file can hold are refused
// before decoding, under the pixel cap too.
func TestLyingHeadersRefused(t *testing.T) {
	bmpHeader := func(w, h int32) []byte {
		b := make([]byte, 54+100)
		copy(b, "BM")
		binary.LittleEndian.PutUint32(b[2:], uint32(len(b)))
		binary.LittleEndian.PutUint32(b[10:], 54)
		binary.LittleEndian.PutUint32(b[14:], 40)
		binary.LittleEndian.PutUint32(b[18:], uint32(w))
		binary.LittleEndian.PutUint32(b[22:], uint32(h))
		binary.LittleEndian.PutUint16(b[26:], 1)
		binary.LittleEndian.PutUint16(b[28:], 24)
		return b
	}
	// A baseline JPEG's header with the SOF rewritten to 9000x9000.
	jpg := encodeJPEG(t, quadrants(16, 16), 90)
	for i := 2; i+9 < len(jpg); i++ {
		if jpg[i] == 0xFF && jpg[i+1] == 0xC0 {
			binary.BigEndian.PutUint16(jpg[i+5:], 9000)
			binary.BigEndian.PutUint16(jpg[i+7:], 9000)
			break
		}
	}
	cases := map[string][]byte{
		"png 9000x9000":  pngWithHeader(9000, 9000),
		"bmp 9000x9000":  bmpHeader(9000, 9000),
		"jpeg 9000x9000": jpg,
	}
	for name, data := range cases {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Thumbnail(bytes.NewReader(data), 256, 0)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrHeaderLies) {
			t.Errorf("%s: err %v, want ErrHeaderLies", name, err)
			continue
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<10 {
			t.Errorf("%s: refusing allocated %d bytes", name, alloc)
		}
		t.Logf("%s: %v", name, err)
	}
}

// The animated WebP fixture's first frame is orange, its second purple.
func TestAnimatedWebPFixtureFirstFrame(t *testing.T) {
	p := store.Layout{Root: fixtureStore(t, "clean")}.Blob("3d332ec96aafa79d2b93cd57b0ac6eb20e39c2678d1b7860a88d450899b422ff")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, pure := range []bool{false, true} {
		img, err := makeThumb(bytes.NewReader(data), int64(len(data)), 256, limits{ctx: context.Background(), maxPixels: DefaultMaxPixels, pureGo: pure})
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Size() != image.Pt(32, 32) {
			t.Fatalf("size %v, want 32x32", img.Bounds().Size())
		}
		if c := nrgbaAt(img, 16, 16); !near(c, 255, 166, 0, 255, 8) {
			t.Errorf("pure=%v: centre %v, want the first frame's orange", pure, c)
		}
	}
}

// An animated WebP whose first frame is lossy with an ALPH chunk and
// covers part of the canvas: the frame lands at its offset, the rest is
// transparent. The same with a lossless (VP8L) frame.
func TestAnimatedWebPOffsetFrames(t *testing.T) {
	lossy, err := os.ReadFile("testdata/lossy-alpha.webp") // 40x30, left red, right half-transparent blue
	if err != nil {
		t.Fatal(err)
	}
	lossless, err := os.ReadFile(store.Layout{Root: fixtureStore(t, "clean")}.Blob("4bec7bc20c3e4a0ae366cd4a57c0625e3b7cb65135013d3af401924d99df6a06"))
	if err != nil {
		t.Fatal(err)
	}
	for name, still := range map[string][]byte{"lossy+ALPH": lossy, "lossless": lossless} {
		for _, pure := range []bool{false, true} {
			name := fmt.Sprintf("%s pure=%v", name, pure)
			lim := limits{ctx: context.Background(), maxPixels: DefaultMaxPixels, pureGo: pure}
			frame := stillChunks(t, still)
			ref, err := makeThumb(bytes.NewReader(still), int64(len(still)), 256, lim)
			if err != nil {
				t.Fatal(err)
			}
			fw, fh := ref.Bounds().Dx(), ref.Bounds().Dy()
			anim := animatedWebP(100, 80, 20, 10, fw, fh, frame)
			img, err := makeThumb(bytes.NewReader(anim), int64(len(anim)), 256, lim)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if img.Bounds().Size() != image.Pt(100, 80) {
				t.Fatalf("%s: size %v, want the 100x80 canvas", name, img.Bounds().Size())
			}
			if c := nrgbaAt(img, 5, 5); c.A != 0 {
				t.Errorf("%s: outside the frame %v, want transparent", name, c)
			}
			for _, p := range []image.Point{{2, 2}, {fw - 3, 2}, {fw / 2, fh / 2}, {2, fh - 3}} {
				want, got := nrgbaAt(ref, p.X, p.Y), nrgbaAt(img, 20+p.X, 10+p.Y)
				if !near(got, want.R, want.G, want.B, want.A, 2) {
					t.Errorf("%s: frame pixel %v is %v, want %v", name, p, got, want)
				}
			}
		}
	}
}

// stillChunks returns the chunks after a still WebP's RIFF header, minus
// any VP8X (the ANMF frame carries its own size).
func stillChunks(t *testing.T, webp []byte) []byte {
	t.Helper()
	var out []byte
	for rest := webp[12:]; len(rest) >= 8; {
		n := int(binary.LittleEndian.Uint32(rest[4:]))
		end := min(len(rest), 8+n+n&1)
		if string(rest[:4]) != "VP8X" {
			out = append(out, rest[:end]...)
		}
		rest = rest[end:]
	}
	return out
}

// animatedWebP builds a two-frame animation on a cw×ch canvas whose first
// frame is fw×fh at (x, y) (even offsets) made of the given chunks.
func animatedWebP(cw, ch, x, y, fw, fh int, frame []byte) []byte {
	u24 := func(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }
	chunk := func(id string, data []byte) []byte {
		b := []byte(id)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
		b = append(b, data...)
		if len(data)&1 == 1 {
			b = append(b, 0)
		}
		return b
	}
	vp8x := append([]byte{0x12, 0, 0, 0}, append(u24(cw-1), u24(ch-1)...)...) // animation + alpha
	anmf := func(x, y int) []byte {
		h := append(u24(x/2), u24(y/2)...)
		h = append(h, u24(fw-1)...)
		h = append(h, u24(fh-1)...)
		h = append(h, u24(100)...)
		h = append(h, 0)
		return chunk("ANMF", append(h, frame...))
	}
	body := []byte("WEBP")
	body = append(body, chunk("VP8X", vp8x)...)
	body = append(body, chunk("ANIM", []byte{0, 0, 0, 0, 0, 0})...)
	body = append(body, anmf(x, y)...)
	body = append(body, anmf(0, 0)...)
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

// A GIF whose first frame covers part of the logical screen keeps the
// screen's size, with the frame at its place.
func TestGIFFirstFrameOnScreen(t *testing.T) {
	pal := color.Palette{color.Transparent, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}}
	f1 := image.NewPaletted(image.Rect(40, 20, 60, 40), pal)
	for i := range f1.Pix {
		f1.Pix[i] = 1
	}
	f2 := image.NewPaletted(image.Rect(0, 0, 100, 60), pal)
	for i := range f2.Pix {
		f2.Pix[i] = 2
	}
	var b bytes.Buffer
	err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{f1, f2}, Delay: []int{10, 10},
		Config: image.Config{ColorModel: pal, Width: 100, Height: 60}})
	if err != nil {
		t.Fatal(err)
	}
	for _, px := range []int{256, 50} {
		img, err := Thumbnail(bytes.NewReader(b.Bytes()), px, 0)
		if err != nil {
			t.Fatal(err)
		}
		s := float64(min(px, 100)) / 100
		if img.Bounds().Size() != image.Pt(int(100*s), int(60*s)) {
			t.Fatalf("px %d: size %v", px, img.Bounds().Size())
		}
		if c := nrgbaAt(img, int(50*s), int(30*s)); !near(c, 255, 0, 0, 255, 2) {
			t.Errorf("px %d: frame centre %v, want red", px, c)
		}
		if c := nrgbaAt(img, int(10*s), int(10*s)); c.A != 0 {
			t.Errorf("px %d: outside the first frame %v, want transparent (not the second frame's blue)", px, c)
		}
	}
}

// BMPs golang.org/x/image/bmp refuses: v5 X8R8G8B8 with BI_BITFIELDS, a
// v3 R5G6B5 with masks after the header, a v5 with an alpha mask and all
// alpha bytes zero (shown opaque).
func TestBMPBitfields(t *testing.T) {
	for _, tc := range []struct {
		name     string
		infoLen  int
		bpp      int
		masks    [4]uint32
		pixel    func(r, g, b uint8) []byte
		topDown  bool
		wantOpaq bool
	}{
		{"v5 xrgb32", 124, 32, [4]uint32{0xFF0000, 0xFF00, 0xFF, 0}, func(r, g, b uint8) []byte { return []byte{b, g, r, 0x55} }, false, true},
		{"v3 rgb565", 40, 16, [4]uint32{0xF800, 0x07E0, 0x001F, 0}, func(r, g, b uint8) []byte {
			v := uint16(r>>3)<<11 | uint16(g>>2)<<5 | uint16(b>>3)
			return []byte{byte(v), byte(v >> 8)}
		}, true, true},
		{"v5 argb zero alpha", 124, 32, [4]uint32{0xFF0000, 0xFF00, 0xFF, 0xFF000000}, func(r, g, b uint8) []byte { return []byte{b, g, r, 0} }, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const w, h = 6, 4
			src := quadrants(w, h)
			stride := (w*tc.bpp + 31) / 32 * 4
			off := 14 + tc.infoLen
			if tc.infoLen == 40 {
				off += 12
			}
			data := make([]byte, off+stride*h)
			copy(data, "BM")
			le := binary.LittleEndian
			le.PutUint32(data[2:], uint32(len(data)))
			le.PutUint32(data[10:], uint32(off))
			le.PutUint32(data[14:], uint32(tc.infoLen))
			le.PutUint32(data[18:], w)
			hh := int32(h)
			if tc.topDown {
				hh = -hh
			}
			le.PutUint32(data[22:], uint32(hh))
			le.PutUint16(data[26:], 1)
			le.PutUint16(data[28:], uint16(tc.bpp))
			le.PutUint32(data[30:], biBitfields)
			for i, m := range tc.masks {
				if tc.infoLen == 40 && i == 3 {
					break
				}
				le.PutUint32(data[54+4*i:], m)
			}
			for y := 0; y < h; y++ {
				row := y
				if !tc.topDown {
					row = h - 1 - y
				}
				for x := 0; x < w; x++ {
					c := src.RGBAAt(x, y)
					copy(data[off+row*stride+x*tc.bpp/8:], tc.pixel(c.R, c.G, c.B))
				}
			}
			img, err := Thumbnail(bytes.NewReader(data), 256, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []image.Point{{0, 0}, {5, 0}, {0, 3}, {5, 3}} {
				want := src.RGBAAt(p.X, p.Y)
				if got := nrgbaAt(img, p.X, p.Y); !near(got, want.R, want.G, want.B, 255, 8) {
					t.Errorf("pixel %v = %v, want %v", p, got, want)
				}
			}
		})
	}
}

// Small images are never enlarged; large ones keep their aspect ratio.
func TestFitBox(t *testing.T) {
	for _, tc := range []struct{ w, h, px, ww, wh int }{
		{10, 5, 256, 10, 5},
		{256, 256, 256, 256, 256},
		{4000, 3000, 256, 256, 192},
		{1080, 1920, 256, 144, 256},
		{50000, 1, 256, 256, 1},
		{1, 1, 256, 1, 1},
	} {
		if w, h := fitBox(tc.w, tc.h, tc.px); w != tc.ww || h != tc.wh {
			t.Errorf("fitBox(%d, %d, %d) = %d, %d, want %d, %d", tc.w, tc.h, tc.px, w, h, tc.ww, tc.wh)
		}
	}
}

// Alpha survives: a transparent PNG makes a PNG thumbnail with the same
// transparency, and the hidden colour of transparent pixels does not bleed
// into the visible ones.
func TestAlphaKept(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 1200, 600))
	for y := 0; y < 600; y++ {
		for x := 0; x < 1200; x++ {
			if x < 600 {
				m.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 0}) // invisible red
			} else {
				m.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, m)
	img, err := Thumbnail(bytes.NewReader(b.Bytes()), 256, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c := nrgbaAt(img, 10, 64); c.A != 0 {
		t.Errorf("transparent half became %v", c)
	}
	for x := 129; x < 256; x++ {
		if c := nrgbaAt(img, x, 64); c.A > 0 && c.R > 8 {
			t.Errorf("x=%d: %v: the invisible red bled into the blue", x, c)
		}
	}
	enc, err := encode(img)
	if err != nil || enc.ext != ".png" {
		t.Errorf("encoded as %q (%v), want .png", enc.ext, err)
	}
}

// The box pre-shrink (or DCT scaling) plus Lanczos looks the same as
// Lanczos from full size, on a JPEG (both paths) and an RGBA PNG.
func TestPreShrinkLooksTheSame(t *testing.T) {
	root := fixtureStore(t, "clean")
	for _, tc := range []struct {
		id   store.ID
		pure bool
	}{
		{"c4af20a6f7217a88d2439be75d5a27b1e7c70ddb7285784a67801b7f8214a466", true},
		{"c4af20a6f7217a88d2439be75d5a27b1e7c70ddb7285784a67801b7f8214a466", false},
		{"6637dced2b8c5c9ef71e1eebec805bd6e41279cb15fbe8bb7ae3fe0372f5b420", false},
	} {
		data, err := os.ReadFile(store.Layout{Root: root}.Blob(tc.id))
		if err != nil {
			t.Fatal(err)
		}
		full, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		w, h := fitBox(full.Bounds().Dx(), full.Bounds().Dy(), 256)
		ref := resizeLanczosOnly(full, w, h)
		got, err := makeThumb(bytes.NewReader(data), int64(len(data)), 256, limits{ctx: context.Background(), maxPixels: DefaultMaxPixels, pureGo: tc.pure})
		if err != nil {
			t.Fatal(err)
		}
		if d := meanAbsDiff(ref, got); d > 2.0 {
			t.Errorf("%s pure=%v: mean difference %.2f/255 from a full-size Lanczos, want ≤ 2", tc.id.Short(), tc.pure, d)
		} else {
			t.Logf("%s pure=%v: mean difference %.2f/255", tc.id.Short(), tc.pure, d)
		}
	}
}

func meanAbsDiff(a, b *image.NRGBA) float64 {
	if a.Rect != b.Rect {
		return math.Inf(1)
	}
	var sum float64
	for i := range a.Pix {
		sum += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
	}
	return sum / float64(len(a.Pix))
}

// A read error is not the image's fault: it is returned as such and not
// remembered; a decoder panic is a failure, not a crash.
func TestReadErrorNotAFailure(t *testing.T) {
	data := pngWithHeader(64, 64)
	r := io.MultiReader(bytes.NewReader(data[:40]), errReader{errors.New("input/output error")})
	_, err := Thumbnail(r, 256, 0)
	var f *Failure
	if err == nil || errors.As(err, &f) || !strings.Contains(err.Error(), "input/output error") {
		t.Errorf("err %v, want the read error and no *Failure", err)
	}
	_, err = Thumbnail(io.MultiReader(bytes.NewReader(data[:20]), panicReader{}), 256, 0)
	if !errors.As(err, &f) || !strings.Contains(f.Reason, "crashed") {
		t.Errorf("err %v, want a *Failure for the panic", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("boom") }

// Lossy WebP colours match libwebp (the reference decoder, as vips shows
// them) on both paths: VP8 uses the BT.601 video range, which
// golang.org/x/image/webp leaves to the caller.
func TestWebPColours(t *testing.T) {
	for _, tc := range []struct {
		file string
		pts  map[image.Point][4]uint8
	}{
		{"testdata/lossy.webp", map[image.Point][4]uint8{
			{6, 4}: {192, 49, 31, 255}, {40, 4}: {31, 160, 64, 255}, {6, 28}: {48, 80, 208, 255}, {40, 28}: {224, 224, 224, 255}}},
		{"testdata/lossy-alpha.webp", map[image.Point][4]uint8{
			{5, 5}: {255, 0, 2, 255}, {35, 5}: {0, 0, 255, 127}}},
	} {
		data, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, pure := range []bool{false, true} {
			img, err := makeThumb(bytes.NewReader(data), int64(len(data)), 256, limits{ctx: context.Background(), maxPixels: DefaultMaxPixels, pureGo: pure})
			if err != nil {
				t.Fatal(err)
			}
			for p, want := range tc.pts {
				if got := nrgbaAt(img, p.X, p.Y); !near(got, want[0], want[1], want[2], want[3], 4) {
					t.Errorf("%s pure=%v: %v is %v, want %v", tc.file, pure, p, got, want)
				}
			}
		}
	}
}
