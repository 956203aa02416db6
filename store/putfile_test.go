package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPutFile: a file is put with its base name as label unless one is
// given; again without KeepExisting it is relabelled, with it the
// attachment already there comes back untouched; what is not a regular
// file, missing or not an image is refused without a path in the error.
func TestPutFile(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "store"))
	src := t.TempDir()
	img := filepath.Join(src, "shot.png")
	data := pngBytes(t, 3, 2)
	if err := os.WriteFile(img, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	var read int64
	sc, have, err := s.PutFile(ctx, img, PutFileOptions{Progress: func(n int64) { read += n }})
	if err != nil || have != nil {
		t.Fatalf("first put: %v, existing %v", err, have)
	}
	if sc.Label == nil || *sc.Label != "shot.png" || *sc.Width != 3 || read != int64(len(data)) {
		t.Fatalf("first put recorded %+v after %d bytes read", sc, read)
	}
	id := ID(sc.ID)

	other := "other"
	sc, have, err = s.PutFile(ctx, img, PutFileOptions{Label: &other})
	if err != nil || have != nil || *sc.Label != "other" {
		t.Fatalf("second put: %+v %v %v", sc, have, err)
	}
	if m, err := s.Meta(id); err != nil || *m.Label != "other" {
		t.Fatalf("the second put did not relabel: %+v %v", m, err)
	}

	read = 0
	kept := "kept?"
	sc, have, err = s.PutFile(ctx, img, PutFileOptions{Label: &kept, KeepExisting: true, Progress: func(n int64) { read += n }})
	if err != nil || have == nil || have.ID != id || *have.Label != "other" || sc.ID != "" {
		t.Fatalf("put of a duplicate with KeepExisting: %+v %+v %v", sc, have, err)
	}
	if read != int64(len(data)) {
		t.Errorf("a kept duplicate counted %d bytes, want %d", read, len(data))
	}
	if m, _ := s.Meta(id); *m.Label != "other" {
		t.Errorf("KeepExisting changed the label to %q", *m.Label)
	}

	// A damaged blob is no duplicate: KeepExisting puts the bytes again.
	if err := os.WriteFile(s.Layout().Blob(id), []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, have, err := s.PutFile(ctx, img, PutFileOptions{KeepExisting: true}); err != nil || have != nil {
		t.Fatalf("put over a damaged blob: existing %v, %v", have, err)
	}
	if got, _ := os.ReadFile(s.Layout().Blob(id)); !bytes.Equal(got, data) {
		t.Error("the damaged blob was not replaced")
	}

	fifo := filepath.Join(src, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	txt := filepath.Join(src, "notes.txt")
	os.WriteFile(txt, []byte("not an image"), 0o644)
	for _, c := range []struct {
		path string
		is   error
		says string
	}{
		{fifo, nil, "not a regular file"},
		{src, nil, "not a regular file"},
		{filepath.Join(src, "gone.png"), fs.ErrNotExist, "no such file or directory"},
		{txt, ErrNotImage, AcceptedTypes},
	} {
		for _, keep := range []bool{false, true} {
			_, _, err := s.PutFile(ctx, c.path, PutFileOptions{KeepExisting: keep})
			if err == nil || !strings.Contains(err.Error(), c.says) || (c.is != nil && !errors.Is(err, c.is)) {
				t.Errorf("put %s (keep %v): %v; want %q", c.path, keep, err, c.says)
			}
			if c.is != ErrNotImage && strings.Contains(err.Error(), c.path) {
				t.Errorf("put %s: the error %q names the path the caller names", c.path, err)
			}
		}
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.PutFile(cctx, img, PutFileOptions{KeepExisting: true}); !errors.Is(err, context.Canceled) {
		t.Errorf("put with a cancelled context: %v", err)
	}
}

// TestWriteFile: the bytes land whole under the name, an existing file is
// replaced, and a failed read or a missing folder leaves the name as it
// was and no temp behind.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "copy.png")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, strings.NewReader("new bytes")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new bytes" {
		t.Fatalf("wrote %q", got)
	}

	boom := errors.New("the disk went away")
	err := WriteFile(path, io.MultiReader(strings.NewReader("half"), &failingReader{boom}))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Fatalf("failed read: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new bytes" {
		t.Errorf("a failed write changed the file to %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a failed write left %d entries, want 1", len(entries))
	}

	missing := filepath.Join(dir, "no-dir", "x.png")
	if err := WriteFile(missing, strings.NewReader("x")); !errors.Is(err, ErrIo) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("write into a missing folder: %v", err)
	}
}

type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }
