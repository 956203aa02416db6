package imgfmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"io"
	"runtime"
	"strings"
	"testing"
)

// Every image lash alpha.43 wrote reads with the type and size of its
// sidecar, passes the default cap, and decodes to that size.
func TestReadHeaderAndDecodeFixtures(t *testing.T) {
	for _, b := range cleanBlobs(t) {
		h, err := ReadHeader(bytes.NewReader(b.data))
		if err != nil {
			t.Errorf("%s: %v", b.id[:12], err)
			continue
		}
		if h.Format.MIME() != b.mime || (b.width != 0 && h.Width != b.width) || (b.height != 0 && h.Height != b.height) {
			t.Errorf("%s: header %+v, sidecar %s %dx%d", b.id[:12], h, b.mime, b.width, b.height)
		}
		if err := h.Check(0); err != nil {
			t.Errorf("%s: %v", b.id[:12], err)
		}
		m, err := Decode(bytes.NewReader(b.data), h)
		if err != nil {
			t.Errorf("%s (%s): decode: %v", b.id[:12], h.Format, err)
			continue
		}
		if h.Format != GIF && m.Bounds().Size() != image.Pt(h.Width, h.Height) {
			t.Errorf("%s: decoded %v, header %dx%d", b.id[:12], m.Bounds(), h.Width, h.Height)
		}
	}
}

// pngHeader is a PNG signature and IHDR claiming w×h RGBA pixels, and no
// pixel data.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.WriteString("IHDR")
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return b.Bytes()
}

// A decompression bomb is refused from its header: a few dozen bytes
// read, nothing allocated for its pixels.
func TestCheckRefusesBombs(t *testing.T) {
	bomb := pngHeader(50000, 50000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h, err := ReadHeader(bytes.NewReader(bomb))
	runtime.ReadMemStats(&after)
	if err != nil || h != (Header{Format: PNG, Width: 50000, Height: 50000}) {
		t.Fatalf("bomb header: %+v %v", h, err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 256<<10 {
		t.Errorf("reading the header allocated %d bytes", grown)
	}
	err = h.Check(0)
	if !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrHeaderLies) || err.Error() != "50000x50000 is 2500.0 megapixels, over the 100-megapixel cap" {
		t.Errorf("default cap: %v", err)
	}
	if err := h.Check(2_500_000_000); err != nil {
		t.Errorf("a cap of exactly its pixels: %v", err)
	}
	if err := h.Check(2_499_999_999); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a cap one pixel short: %v", err)
	}
	for _, hd := range []Header{{Format: PNG, Width: 0, Height: 5}, {Format: BMP, Width: 5, Height: -1}} {
		if err := hd.Check(0); !errors.Is(err, ErrHeaderLies) || !strings.Contains(err.Error(), "claims") {
			t.Errorf("%+v: %v", hd, err)
		}
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// ReadHeader's error says which step failed.
func TestReadHeaderErrors(t *testing.T) {
	h, err := ReadHeader(strings.NewReader("%PDF-1.4 not an image"))
	if !errors.Is(err, ErrNotImage) || h != (Header{}) {
		t.Errorf("pdf: %+v %v", h, err)
	}
	h, err = ReadHeader(bytes.NewReader(nil))
	if !errors.Is(err, ErrNotImage) || h != (Header{}) {
		t.Errorf("empty: %+v %v", h, err)
	}
	cut := pngHeader(10, 10)[:20]
	h, err = ReadHeader(bytes.NewReader(cut))
	if h.Format != PNG || !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrNotImage) {
		t.Errorf("cut png: %+v %v", h, err)
	}
	disk := errors.New("input/output error")
	h, err = ReadHeader(failingReader{disk})
	if !errors.Is(err, disk) || h != (Header{}) {
		t.Errorf("failing reader: %+v %v", h, err)
	}
	if _, err := Decode(strings.NewReader("x"), Header{}); !errors.Is(err, ErrNotImage) {
		t.Errorf("Decode without a format: %v", err)
	}
	if _, err := DecodeConfig("tiff", strings.NewReader("II*\x00")); !errors.Is(err, ErrNotImage) {
		t.Errorf("DecodeConfig of tiff: %v", err)
	}
}
