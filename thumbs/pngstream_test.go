package thumbs

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"image"
	"image/png"
	iopkg "io"
	"math/rand"
	"os"
	"testing"

	"lashview/internal/imgfmt"
	"lashview/store"
)

// rawPNG builds a PNG from unfiltered rows, filtering row y with filter
// y%5 (so every filter type, and every one against a first row, is used),
// with optional chunks (PLTE, tRNS) before IDAT.
func rawPNG(w, h int, colorType, depth byte, rows [][]byte, chunks ...[]byte) []byte {
	bits := map[byte]int{pngGrey: 1, pngRGB: 3, pngPalette: 1, pngGreyAlpha: 2, pngRGBA: 4}[colorType] * int(depth)
	bpp := max(1, bits/8)
	var raw bytes.Buffer
	prev := make([]byte, len(rows[0]))
	for y, row := range rows {
		f := byte(y % 5)
		out := make([]byte, len(row))
		for i := range row {
			var a, b, c int
			if i >= bpp {
				a, c = int(row[i-bpp]), int(prev[i-bpp])
			}
			b = int(prev[i])
			var pred int
			switch f {
			case 1:
				pred = a
			case 2:
				pred = b
			case 3:
				pred = (a + b) / 2
			case 4:
				pa, pb, pc := abs(b-c), abs(a-c), abs(a+b-2*c)
				switch {
				case pa <= pb && pa <= pc:
					pred = a
				case pb <= pc:
					pred = b
				default:
					pred = c
				}
			}
			out[i] = row[i] - byte(pred)
		}
		raw.WriteByte(f)
		raw.Write(out)
		prev = row
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	var ihdr bytes.Buffer
	binary.Write(&ihdr, binary.BigEndian, uint32(w))
	binary.Write(&ihdr, binary.BigEndian, uint32(h))
	ihdr.Write([]byte{depth, colorType, 0, 0, 0})
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr.Bytes())...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	// Split the data over two IDAT chunks, as encoders do.
	zb := z.Bytes()
	out = append(out, pngChunk("IDAT", zb[:len(zb)/2])...)
	out = append(out, pngChunk("IDAT", zb[len(zb)/2:])...)
	return append(out, pngChunk("IEND", nil)...)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// pngCorpus is every kind of PNG the streaming decoder reads, at sizes that
// take both of its paths (box pre-shrink and whole), plus kinds it leaves
// to image/png.
func pngCorpus(t testing.TB) map[string][]byte {
	rng := rand.New(rand.NewSource(7))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Intn(64)) + byte(i%7)*30 // smooth-ish, compressible
		}
		return b
	}
	rowsOf := func(h, n int) [][]byte {
		rows := make([][]byte, h)
		for y := range rows {
			rows[y] = noise(n)
		}
		return rows
	}
	plte := func(n int) []byte {
		b := make([]byte, 3*n)
		for i := range b {
			b[i] = byte(i * 37)
		}
		return pngChunk("PLTE", b)
	}
	out := map[string][]byte{}
	for _, sz := range []image.Point{{37, 23}, {300, 131}} {
		w, h := sz.X, sz.Y
		name := func(s string) string { return s + "-" + itoa(w) }
		out[name("rgba")] = rawPNG(w, h, pngRGBA, 8, rowsOf(h, 4*w))
		out[name("rgb")] = rawPNG(w, h, pngRGB, 8, rowsOf(h, 3*w))
		out[name("rgb-trns")] = rawPNG(w, h, pngRGB, 8, rowsOf(h, 3*w), pngChunk("tRNS", []byte{0, 10, 0, 40, 0, 70}))
		out[name("grey")] = rawPNG(w, h, pngGrey, 8, rowsOf(h, w))
		out[name("grey-trns")] = rawPNG(w, h, pngGrey, 8, rowsOf(h, w), pngChunk("tRNS", []byte{0, 20}))
		out[name("grey-alpha")] = rawPNG(w, h, pngGreyAlpha, 8, rowsOf(h, 2*w))
		for _, d := range []byte{1, 2, 4, 8} {
			n := 1 << d
			rows := make([][]byte, h)
			for y := range rows {
				rows[y] = noise((w*int(d) + 7) / 8)
			}
			trns := make([]byte, n/2+1)
			for i := range trns {
				trns[i] = byte(i * 60)
			}
			out[name("palette"+itoa(int(d)))] = rawPNG(w, h, pngPalette, d, rows, plte(n), pngChunk("tRNS", trns))
		}
	}
	// What image/png's own encoder writes, and 16-bit (left to image/png).
	var b bytes.Buffer
	png.Encode(&b, quadrants(320, 240))
	out["go-encoder"] = append([]byte(nil), b.Bytes()...)
	b.Reset()
	m16 := image.NewNRGBA64(image.Rect(0, 0, 300, 200))
	for i := range m16.Pix {
		m16.Pix[i] = byte(i * 13)
	}
	png.Encode(&b, m16)
	out["nrgba64"] = b.Bytes()
	return out
}

func itoa(v int) string {
	return string(rune('0'+v/100%10)) + string(rune('0'+v/10%10)) + string(rune('0'+v%10))
}

func thumbBoth(t testing.TB, data []byte, px int) (stream, whole *image.NRGBA, errS, errW error) {
	lim := limits{ctx: context.Background(), maxPixels: DefaultMaxPixels}
	stream, errS = makeThumb(bytes.NewReader(data), int64(len(data)), px, lim)
	lim.wholePNG = true
	whole, errW = makeThumb(bytes.NewReader(data), int64(len(data)), px, lim)
	return
}

// The streaming decoder and image/png make the same thumbnails, pixel for
// pixel, from every kind of PNG, the fixtures' included.
func TestPNGStreamMatchesImagePNG(t *testing.T) {
	corpus := pngCorpus(t)
	clean := fixtureStore(t, "clean")
	for _, id := range quickIDs(t, clean) {
		data, err := os.ReadFile(store.Layout{Root: clean}.Blob(id))
		if err != nil {
			t.Fatal(err)
		}
		if imgfmt.Sniff(data) == imgfmt.PNG {
			corpus[id.Short()] = data
		}
	}
	streamed := 0
	for name, data := range corpus {
		if pngStreamable(data) {
			streamed++
		}
		pxs := []int{256, 64} // the whole-picture path, and the box path
		if len(data) > 20000 {
			pxs = pxs[1:] // big fixtures: one size is enough (and -race is slow)
		}
		for _, px := range pxs {
			s, w, errS, errW := thumbBoth(t, data, px)
			if errS != nil || errW != nil {
				t.Fatalf("%s: stream %v, image/png %v", name, errS, errW)
			}
			if s.Rect != w.Rect || !bytes.Equal(s.Pix, w.Pix) {
				t.Errorf("%s px=%d: thumbnails differ (%.3f/255)", name, px, meanAbsDiff(s, w))
			}
		}
	}
	if streamed < 20 {
		t.Errorf("only %d of %d PNGs took the streaming path", streamed, len(corpus))
	}
}

// Damage that image/png refuses, the streaming decoder refuses too.
func TestPNGStreamRefusesDamage(t *testing.T) {
	good := rawPNG(64, 48, pngRGB, 8, func() [][]byte {
		rows := make([][]byte, 48)
		for y := range rows {
			rows[y] = bytes.Repeat([]byte{byte(y), 100, 200}, 64)
		}
		return rows
	}())
	iend := len(good) - 12
	damaged := map[string][]byte{
		"truncated in IDAT": good[:len(good)/2],
		"no IEND":           good[:iend],
		"IDAT CRC":          flip(good, iend-6),
		"bad filter":        rawWithFilterByte(good, 9),
		"IEND before IDAT":  append(append([]byte(nil), good[:33]...), pngChunk("IEND", nil)...),
	}
	for name, data := range damaged {
		_, _, errS, errW := thumbBoth(t, data, 16)
		if errS == nil || errW == nil {
			t.Errorf("%s: stream %v, image/png %v: want both to fail", name, errS, errW)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

// rawWithFilterByte re-encodes good's first row with an invalid filter
// type (keeping the CRCs right, so only the filter is wrong).
func rawWithFilterByte(good []byte, f byte) []byte {
	p, err := newPNGStream(bytes.NewReader(good))
	if err != nil {
		panic(err)
	}
	var raw bytes.Buffer
	io := make([]byte, 1+3*64)
	for y := 0; y < 48; y++ {
		if _, err := iopkg.ReadFull(p.zr, io); err != nil {
			panic(err)
		}
		if y == 0 {
			io[0] = f
		}
		raw.Write(io)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	out := append([]byte(nil), good[:33]...)
	out = append(out, pngChunk("IDAT", z.Bytes())...)
	return append(out, pngChunk("IEND", nil)...)
}

// Whatever the bytes, the streaming decoder and image/png agree: both make
// the same thumbnail, or both refuse.
func FuzzPNGStream(f *testing.F) {
	for name, data := range pngCorpus(f) {
		if len(data) < 20000 && name != "nrgba64" {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if imgfmt.Sniff(data) != imgfmt.PNG {
			return
		}
		s, w, errS, errW := thumbBoth(t, data, 32)
		if (errS == nil) != (errW == nil) {
			t.Fatalf("stream %v, image/png %v", errS, errW)
		}
		if errS == nil && (s.Rect != w.Rect || !bytes.Equal(s.Pix, w.Pix)) {
			t.Fatalf("thumbnails differ")
		}
	})
}
