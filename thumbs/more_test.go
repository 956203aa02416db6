package thumbs

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lashview/store"
)

// A truncated JPEG is a remembered failure on both paths (libjpeg would
// otherwise fill the missing rows grey and call it a picture).
func TestTruncatedJPEG(t *testing.T) {
	data := encodeJPEG(t, quadrants(640, 480), 90)
	cut := data[:len(data)*2/3]
	for _, pure := range []bool{false, true} {
		_, err := makeThumb(bytes.NewReader(cut), int64(len(cut)), 64, limits{ctx: context.Background(), maxPixels: DefaultMaxPixels, pureGo: pure})
		var f *Failure
		if !errors.As(err, &f) || !strings.HasPrefix(f.Reason, "jpeg decode: ") {
			t.Errorf("pure=%v: %v, want a jpeg decode failure", pure, err)
		}
		t.Logf("pure=%v: %v", pure, err)
	}
}

// Both JPEG encoders write a file that decodes to the thumbnail.
func TestEncoders(t *testing.T) {
	src := resizeTo(quadrants(400, 300), 256, 192)
	enc, err := encode(src)
	if err != nil || enc.ext != ".jpg" {
		t.Fatalf("encode: %q %v", enc.ext, err)
	}
	files := map[string][]byte{"encode": enc.data}
	if haveLibjpeg {
		data, err := libjpegEncode(src, 85)
		if err != nil {
			t.Fatal(err)
		}
		files["libjpeg"] = data
	}
	for name, data := range files {
		m, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := meanAbsDiff(src, toNRGBA(m)); d > 3 {
			t.Errorf("%s: decodes %.2f/255 away from the thumbnail", name, d)
		}
	}
}

// After Close, every entry point says so.
func TestClosedCache(t *testing.T) {
	root := fixtureStore(t, "clean")
	c, _ := newTestCache(t, root, Options{})
	c.Close()
	if _, err := c.Get(context.Background(), photoID, 256); !errors.Is(err, ErrClosed) {
		t.Errorf("Get: %v", err)
	}
	if _, err := c.Fill(context.Background(), []store.ID{photoID}, 256, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Fill: %v", err)
	}
}

// Whatever the bytes, Thumbnail returns a thumbnail within the box or an
// error, and no decoder panics (a recovered panic is reported as a crash,
// which the fuzzer treats as a bug).
func FuzzThumbnail(f *testing.F) {
	for _, id := range blobIDs(f, fixtureStore(f, "clean")) {
		data, err := os.ReadFile(store.Layout{Root: fixtureStore(f, "clean")}.Blob(id))
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 64<<10 {
			f.Add(data)
		}
	}
	for _, p := range []string{"testdata/lossy.webp", "testdata/lossy-alpha.webp"} {
		data, err := os.ReadFile(filepath.FromSlash(p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(pngWithHeader(50000, 50000))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := makeThumb(bytes.NewReader(data), int64(len(data)), 64,
			limits{ctx: context.Background(), maxPixels: 1 << 18})
		var fail *Failure
		if errors.As(err, &fail) && strings.Contains(fail.Reason, "crashed") {
			t.Fatalf("decoder panic: %s", fail.Reason)
		}
		if err == nil {
			if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 || b.Dx() > 64 || b.Dy() > 64 || b.Min != (image.Point{}) {
				t.Fatalf("thumbnail bounds %v", b)
			}
		}
	})
}
