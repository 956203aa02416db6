package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

type refLine struct {
	Source string          `json:"source"`
	Ref    json.RawMessage `json:"ref"`
}

// TestPutSidecarsByteIdenticalToLash puts every blob of the clean fixture
// with the metadata lash was given and compares the sidecar and the returned
// AttachmentRef byte for byte with what lash wrote.
func TestPutSidecarsByteIdenticalToLash(t *testing.T) {
	clean := filepath.Join(fixtures(t), "clean")
	f, err := os.Open(filepath.Join(fixtures(t), "clean.refs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := New(t.TempDir())
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		var rl refLine
		if err := json.Unmarshal(line, &rl); err != nil {
			t.Fatal(err)
		}
		want, err := DecodeSidecar(rl.Ref)
		if err != nil {
			t.Fatalf("%s: %v", rl.Source, err)
		}
		id := ID(want.ID)
		blob, err := os.ReadFile(Layout{clean}.Blob(id))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Put(context.Background(), bytes.NewReader(blob), PutOptions{
			Label: want.Label, MediaType: want.MediaType, Width: want.Width, Height: want.Height, ExactSize: true})
		if err != nil {
			t.Fatalf("put %s: %v", rl.Source, err)
		}
		if string(got.EncodeCompact()) != string(rl.Ref) {
			t.Errorf("%s: ref\n got %s\nwant %s", rl.Source, got.EncodeCompact(), rl.Ref)
		}
		wantSide, err := os.ReadFile(Layout{clean}.Sidecar(id))
		if err != nil {
			t.Fatal(err)
		}
		gotSide, err := os.ReadFile(s.Layout().Sidecar(id))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gotSide, wantSide) {
			t.Errorf("%s: sidecar differs from lash's\n got %q\nwant %q", rl.Source, gotSide, wantSide)
		}
		gotBlob, err := os.ReadFile(s.Layout().Blob(id))
		if err != nil || !bytes.Equal(gotBlob, blob) {
			t.Errorf("%s: blob not stored byte-identical (%v)", rl.Source, err)
		}
		n++
	}
	if n != 17 {
		t.Fatalf("compared %d refs, want 17", n)
	}
}

// TestPutSniffsWhatTheBytesSay: with no metadata given, the media type and
// the size come from the bytes and agree with lash's refs where lash had both.
func TestPutSniffsWhatTheBytesSay(t *testing.T) {
	clean := New(filepath.Join(fixtures(t), "clean"))
	res, err := clean.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(t.TempDir())
	for _, a := range res.Attachments {
		data, _, err := clean.Get(a.ID)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := s.Put(context.Background(), bytes.NewReader(data), PutOptions{})
		if err != nil {
			t.Fatalf("%s: %v", a.ID.Short(), err)
		}
		if ref.ID != string(a.ID) || ref.MediaType != a.MediaType || ref.ByteLen != uint64(len(data)) || ref.Label != nil {
			t.Errorf("%s: sniffed %+v", a.ID.Short(), ref)
		}
		if ref.Width == nil || ref.Height == nil || *ref.Width == 0 || *ref.Height == 0 {
			t.Errorf("%s (%s): no size sniffed", a.ID.Short(), a.MediaType)
			continue
		}
		if a.Meta.Width != nil && *a.Meta.Width != *ref.Width || a.Meta.Height != nil && *a.Meta.Height != *ref.Height {
			t.Errorf("%s: sniffed %dx%d, lash recorded %v x %v", a.ID.Short(), *ref.Width, *ref.Height, a.Width, a.Height)
		}
	}
}

// The conformance suite of lash's FileAttachmentStore, ported.
func TestConformanceRoundTrip(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	data := pngBytes(t, 3, 2)
	label := "pixel"
	ref, err := s.Put(context.Background(), bytes.NewReader(data), PutOptions{Label: &label})
	if err != nil {
		t.Fatal(err)
	}
	// content addressing
	sum := sha256.Sum256(data)
	if ref.ID != string(IDOf(sum)) {
		t.Fatalf("id %s is not the sha256 of the bytes", ref.ID)
	}
	if *ref.Width != 3 || *ref.Height != 2 || ref.MediaType != PNG || ref.ByteLen != uint64(len(data)) || *ref.Label != "pixel" {
		t.Fatalf("ref %+v", ref)
	}
	// round trip, also after reopening the store
	for _, st := range []*Store{s, New(root)} {
		got, meta, err := st.Get(ID(ref.ID))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) || string(meta.Encode()) != string(ref.Encode()) {
			t.Fatalf("round trip: %d bytes, meta %+v", len(got), meta)
		}
	}
	// the same bytes again: one blob, the sidecar rewritten with the new label
	other := "again"
	ref2, err := s.Put(context.Background(), bytes.NewReader(data), PutOptions{Label: &other})
	if err != nil || ref2.ID != ref.ID {
		t.Fatalf("second put: %v %s", err, ref2.ID)
	}
	if _, meta, _ := s.Get(ID(ref.ID)); *meta.Label != "again" {
		t.Fatalf("label after second put %q", *meta.Label)
	}
	entries, _ := os.ReadDir(s.Layout().PrefixDir(ID(ref.ID)))
	if len(entries) != 2 {
		t.Fatalf("prefix folder holds %d entries, want blob and sidecar", len(entries))
	}
	// unknown id is NotFound
	unknown := IDOf(sha256.Sum256([]byte("nothing")))
	if _, _, err := s.Get(unknown); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	// blob without sidecar is MissingMeta; broken sidecar is MetadataDecode
	os.Remove(s.Layout().Sidecar(ID(ref.ID)))
	if _, _, err := s.Get(ID(ref.ID)); !errors.Is(err, ErrMissingMeta) {
		t.Fatalf("no sidecar: %v", err)
	}
	os.WriteFile(s.Layout().Sidecar(ID(ref.ID)), []byte(`{"id":`), 0o644)
	_, _, err = s.Get(ID(ref.ID))
	var se *Error
	if !errors.Is(err, ErrMetadataDecode) || !errors.As(err, &se) || se.Path != s.Layout().Sidecar(ID(ref.ID)) {
		t.Fatalf("broken sidecar: %v", err)
	}
}

func pngBytes(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.NRGBA{1, 2, 3, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPutRefusesNonImages(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	for _, data := range [][]byte{nil, []byte("hello, world"), []byte("%PDF-1.7\n")} {
		_, err := s.Put(context.Background(), bytes.NewReader(data), PutOptions{})
		if !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), AcceptedTypes) {
			t.Errorf("put %q: %v", data, err)
		}
	}
	_, err := s.Put(context.Background(), bytes.NewReader(pngBytes(t, 1, 1)), PutOptions{MediaType: JPEG})
	if !errors.Is(err, ErrNotImage) {
		t.Errorf("png put as jpeg: %v", err)
	}
	// nothing but the empty sha256/ folder remains
	entries, _ := os.ReadDir(s.Layout().Dir())
	if len(entries) != 0 {
		t.Errorf("refused puts left %d entries", len(entries))
	}
}

func TestPutCancelledLeavesNothing(t *testing.T) {
	s := New(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	r := io.MultiReader(bytes.NewReader(pngBytes(t, 4, 4)), &cancelAfter{cancel: cancel, n: 8 << 20})
	if _, err := s.Put(ctx, r, PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put: %v", err)
	}
	entries, _ := os.ReadDir(s.Layout().Dir())
	if len(entries) != 0 {
		t.Fatalf("cancelled put left %v", entries)
	}
}

// cancelAfter yields zero bytes and cancels once n were read.
type cancelAfter struct {
	cancel func()
	n      int
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
		return 0, io.EOF
	}
	k := min(len(p), c.n)
	clear(p[:k])
	c.n -= k
	if c.n <= 0 {
		c.cancel()
	}
	return k, nil
}

// TestPutReplacesBadBlobs: an empty, corrupt or non-regular blob under the
// final name is replaced; a healthy one is not rewritten.
func TestPutReplacesBadBlobs(t *testing.T) {
	data := pngBytes(t, 5, 5)
	id := IDOf(sha256.Sum256(data))
	for name, spoil := range map[string]func(path string){
		"empty":   func(p string) { os.WriteFile(p, nil, 0o644) },
		"corrupt": func(p string) { b := bytes.Clone(data); b[len(b)-1] ^= 1; os.WriteFile(p, b, 0o644) },
		"symlink": func(p string) { os.Symlink("/etc/passwd", p) },
		"short":   func(p string) { os.WriteFile(p, data[:10], 0o644) },
	} {
		t.Run(name, func(t *testing.T) {
			s := New(t.TempDir())
			os.MkdirAll(s.Layout().PrefixDir(id), 0o755)
			spoil(s.Layout().Blob(id))
			if _, err := s.Put(context.Background(), bytes.NewReader(data), PutOptions{}); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(s.Layout().Blob(id))
			got, _ := os.ReadFile(s.Layout().Blob(id))
			if err != nil || !fi.Mode().IsRegular() || !bytes.Equal(got, data) {
				t.Fatalf("blob not replaced: %v %v", err, fi.Mode())
			}
		})
	}
	t.Run("healthy kept", func(t *testing.T) {
		s := New(t.TempDir())
		if _, err := s.Put(context.Background(), bytes.NewReader(data), PutOptions{}); err != nil {
			t.Fatal(err)
		}
		before, _ := os.Stat(s.Layout().Blob(id))
		if _, err := s.Put(context.Background(), bytes.NewReader(data), PutOptions{}); err != nil {
			t.Fatal(err)
		}
		after, _ := os.Stat(s.Layout().Blob(id))
		if !os.SameFile(before, after) {
			t.Fatal("a healthy blob was rewritten")
		}
	})
}

// TestPutConcurrentGoroutines: many writers of the same bytes all succeed
// with one intact blob and one sidecar.
func TestPutConcurrentGoroutines(t *testing.T) {
	s := New(t.TempDir())
	data := pngBytes(t, 64, 64)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Put(context.Background(), bytes.NewReader(data), PutOptions{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	assertOnlyHealthy(t, s, 1)
}

// assertOnlyHealthy checks the store holds exactly n attachments, all ok and
// hashing to their names, and no other file.
func assertOnlyHealthy(t *testing.T, s *Store, n int) {
	t.Helper()
	res, err := s.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attachments) != n || len(res.Findings) != 0 {
		t.Fatalf("%d attachments, findings %+v; want %d and none", len(res.Attachments), res.Findings, n)
	}
	for _, a := range res.Attachments {
		got, _, err := HashFile(s.Layout().Blob(a.ID))
		if a.Status != StatusOK || err != nil || got != a.ID {
			t.Fatalf("%s: %s %v hash %s", a.ID.Short(), a.Status, err, got)
		}
	}
}
