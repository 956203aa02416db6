package thumbs

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/disintegration/imaging"

	"lashview/internal/fixture"
	"lashview/store"
)

// storeOpener opens blobs of a store the way lashview must: never
// following a symbolic link. It counts opens.
type storeOpener struct {
	root  string
	opens atomic.Int64
}

func (o *storeOpener) open(id store.ID) (io.ReadCloser, error) {
	o.opens.Add(1)
	p := store.Layout{Root: o.root}.Blob(id)
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// blobIDs lists the ids of the blobs (not sidecars, not strays) in a store.
func blobIDs(t testing.TB, root string) []store.ID {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "sha256", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []store.ID
	for _, p := range paths {
		id, err := store.ParseID(filepath.Base(p))
		if err != nil || filepath.Base(filepath.Dir(p)) != id.Prefix() {
			continue
		}
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

// bigPNGID is the clean fixture's 4000x3000 photo stored as PNG: Go's PNG
// decoder takes about a second on it, and half a minute under -race, so
// only the test that covers every fixture image decodes it.
const bigPNGID = "d7082382f705be4edc9f123f8bea4bb96e360c241fca689fb7ad5170439f455e"

// quickIDs is blobIDs without the big PNG.
func quickIDs(t testing.TB, root string) []store.ID {
	var out []store.ID
	for _, id := range blobIDs(t, root) {
		if id != bigPNGID {
			out = append(out, id)
		}
	}
	return out
}

func fixtureStore(t testing.TB, name string) string {
	return filepath.Join(fixture.Dir(t), name)
}

func newTestCache(t testing.TB, root string, opt Options) (*Cache, *storeOpener) {
	t.Helper()
	o := &storeOpener{root: root}
	if opt.Open == nil {
		opt.Open = o.open
	}
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	c, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, o
}

// quadrants is a w×h image: red top left, green top right, blue bottom
// left, white bottom right. Every one of the eight EXIF orientations puts
// the four colours in a different arrangement.
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c color.RGBA
			switch {
			case x < w/2 && y < h/2:
				c = color.RGBA{255, 0, 0, 255}
			case y < h/2:
				c = color.RGBA{0, 255, 0, 255}
			case x < w/2:
				c = color.RGBA{0, 0, 255, 255}
			default:
				c = color.RGBA{255, 255, 255, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func encodeJPEG(t testing.TB, m image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withEXIFOrientation inserts an APP1 Exif segment holding only the
// orientation tag right after SOI.
func withEXIFOrientation(j []byte, o int, order binary.ByteOrder) []byte {
	var tiff bytes.Buffer
	if order == binary.LittleEndian {
		tiff.WriteString("II")
	} else {
		tiff.WriteString("MM")
	}
	w := func(v any) { binary.Write(&tiff, order, v) }
	w(uint16(42))
	w(uint32(8))
	w(uint16(1))      // one entry
	w(uint16(0x0112)) // Orientation
	w(uint16(3))      // SHORT
	w(uint32(1))      // count
	w(uint16(o))      // value
	w(uint16(0))      // padding of the value field
	w(uint32(0))      // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	app1 := []byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out := append([]byte{}, j[:2]...)
	out = append(out, app1...)
	out = append(out, seg...)
	return append(out, j[2:]...)
}

// pngChunk frames a PNG chunk with its length and CRC.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// pngWithHeader is a syntactically valid PNG whose IHDR claims w×h RGBA
// pixels but whose IDAT holds a few bytes: a decompression bomb's header
// without the bomb.
func pngWithHeader(w, h uint32) []byte {
	var ihdr bytes.Buffer
	binary.Write(&ihdr, binary.BigEndian, w)
	binary.Write(&ihdr, binary.BigEndian, h)
	ihdr.Write([]byte{8, 6, 0, 0, 0})
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 1024))
	zw.Close()
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr.Bytes())...)
	out = append(out, pngChunk("IDAT", z.Bytes())...)
	return append(out, pngChunk("IEND", nil)...)
}

// near reports whether two colours differ by at most tol per channel.
func near(c color.Color, r, g, b, a uint8, tol int) bool {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && v >= -tol }
	return d(n.R, r) && d(n.G, g) && d(n.B, b) && d(n.A, a)
}

func nrgbaAt(m image.Image, x, y int) color.NRGBA {
	b := m.Bounds()
	return color.NRGBAModel.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
}

// listFiles returns every file under dir, relative, slash-separated.
func listFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

func hasTemp(files []string) bool {
	for _, f := range files {
		if strings.HasSuffix(f, ".tmp") {
			return true
		}
	}
	return false
}

// resizeLanczosOnly is the reference: Lanczos from full size.
func resizeLanczosOnly(src image.Image, w, h int) *image.NRGBA {
	return imaging.Resize(src, w, h, imaging.Lanczos)
}
