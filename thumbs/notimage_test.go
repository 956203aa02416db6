package thumbs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lashview/internal/fixture"
	"lashview/internal/imgfmt"
	"lashview/store"
)

// notImageStore lays out, in a temp store, blobs that are no image: a PDF
// and raw bytes as lash alpha.111 stores them, and the messy fixture's
// empty and plain-text blobs. It returns the root and each id's MIME.
func notImageStore(t *testing.T) (string, map[store.ID]string) {
	t.Helper()
	alpha111 := filepath.Join(fixture.Dir(t), "..", "lash-sessions", "alpha111", "lash-home", "attachments")
	messy := fixtureStore(t, "messy")
	want := map[store.ID]string{
		"9e6506e7a063781cac34b0df903f4549cc248a2a284ea89ce56f8194215331dc": "application/pdf",
		"2b1c7cf630671f275630a515ca59ef43df678cbbc83b84aa37e8d7c95ba11d73": "application/octet-stream",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": "application/octet-stream", // zero bytes
		"f2be81e11fbac9adb336e49270bb24c06924da22092106be1839425a9c4c1767": "text/plain",
	}
	root := t.TempDir()
	for id := range want {
		from := filepath.Join(alpha111, "sha256", id.Prefix(), string(id))
		if strings.HasPrefix(string(id), "e3") || strings.HasPrefix(string(id), "f2") {
			from = filepath.Join(messy, "sha256", id.Prefix(), string(id))
		}
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, "sha256", id.Prefix())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, string(id)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root, want
}

// Bytes that are no image give a *NotImage naming their sniffed type: not
// a *Failure, kept in memory, never written to the disk cache; an older
// generation's remembered "not an image" failure is not believed.
func TestNotImage(t *testing.T) {
	root, want := notImageStore(t)
	dir := t.TempDir()
	c, o := newTestCache(t, root, Options{Dir: dir})
	for id, mime := range want {
		img, err := c.Get(context.Background(), id, 256)
		var ni *NotImage
		if img != nil || !errors.As(err, &ni) {
			t.Fatalf("%s: %v, %v: want a *NotImage", id.Short(), img, err)
		}
		if ni.ID != id || ni.MIME != mime {
			t.Errorf("%s: %+v, want MIME %s", id.Short(), ni, mime)
		}
		var f *Failure
		if !errors.Is(err, ErrNotImage) || errors.As(err, &f) || errors.Is(err, ErrHeaderLies) {
			t.Errorf("%s: %v: want ErrNotImage and no Failure", id.Short(), err)
		}
		if !strings.Contains(err.Error(), mime) {
			t.Errorf("%s: message %q does not name %s", id.Short(), err, mime)
		}
	}
	if files := listFiles(t, dir); len(files) != 0 {
		t.Errorf("the disk cache holds %v, want nothing for non-images", files)
	}
	opens := o.opens.Load()
	for id, mime := range want {
		r, done := c.Request(id, 256)
		var ni *NotImage
		if !done || !errors.As(r.Err, &ni) || ni.MIME != mime {
			t.Errorf("%s: request from memory: %+v done %v", id.Short(), r, done)
		}
	}
	if n := o.opens.Load(); n != opens {
		t.Errorf("answers in memory opened the blob %d more times", n-opens)
	}
	if s := c.Stats(); s.NotImages != int64(len(want)) || s.Failed != 0 || s.Unreadable != 0 {
		t.Errorf("stats %+v, want %d not images and no failures", s, len(want))
	}
	c.Close()

	// What generation 1 wrote for a PDF.
	pdf := store.ID("9e6506e7a063781cac34b0df903f4549cc248a2a284ea89ce56f8194215331dc")
	old := filepath.Join(dir, "256", pdf.Prefix(), string(pdf)+".fail")
	os.MkdirAll(filepath.Dir(old), 0o755)
	os.WriteFile(old, []byte("lashview-thumbs-fail 1\nnot a PNG, JPEG, GIF, WebP or BMP image (starts with \"%PDF-1.4\")\n"), 0o644)
	c2, o2 := newTestCache(t, root, Options{Dir: dir})
	_, err := c2.Get(context.Background(), pdf, 256)
	var ni *NotImage
	if !errors.As(err, &ni) || ni.MIME != "application/pdf" || o2.opens.Load() != 1 {
		t.Errorf("after an old .fail: %v (%d opens), want the PDF sniffed again", err, o2.opens.Load())
	}
	st, err := c2.Fill(context.Background(), []store.ID{pdf, "2b1c7cf630671f275630a515ca59ef43df678cbbc83b84aa37e8d7c95ba11d73"}, 128, nil)
	if err != nil || st.NotImages != 2 || st.Unreadable != 0 || st.Failed != 0 || len(st.Problems) != 0 {
		t.Errorf("fill of non-images: %+v, %v: want 2 not images, no problems", st, err)
	}
}

// Thumbnail names the type from as many bytes as imgfmt.SniffMIME reads,
// not only the guard's first headLen: text with a NUL byte after them is
// binary, as the store would call it.
func TestNotImageSniffsLikeTheStore(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"text", bytes.Repeat([]byte("plain words "), 100)},
		{"NUL after the header", append(bytes.Repeat([]byte("a"), headLen+40), 0, 'b')},
		{"NUL past SniffLen", append(bytes.Repeat([]byte("a"), imgfmt.SniffLen+10), 0)},
		{"WAV", append([]byte("RIFF\x24\x08\x00\x00WAVEfmt "), make([]byte, 300)...)},
		{"zero bytes", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Thumbnail(bytes.NewReader(tc.data), 64, 0)
			var ni *NotImage
			if !errors.As(err, &ni) {
				t.Fatalf("%v, want a *NotImage", err)
			}
			if want := imgfmt.SniffMIME(tc.data[:min(len(tc.data), imgfmt.SniffLen)]); ni.MIME != want || ni.ID != "" {
				t.Errorf("MIME %q, want %q", ni.MIME, want)
			}
		})
	}
}
