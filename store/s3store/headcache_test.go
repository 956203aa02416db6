package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"

	"lashview/internal/s3test"
	"lashview/internal/storecases"
	"lashview/store"
	"lashview/store/s3store"
)

// objectGets counts the requests for objects' bytes (GETs that are not
// listings) in a minio-go trace.
var objectGets = regexp.MustCompile(`(?m)^GET /[^?\s]+/[^?\s]+ HTTP`)

// cachedStore opens the store with the head cache in dir and traces its
// requests into trace.
func cachedStore(t *testing.T, srv *s3test.Server, bucket, prefix, dir string, opt store.Options, trace *lockedBuffer) *store.Objects {
	t.Helper()
	cfg := config(srv)
	cfg.HeadCache = dir
	s, err := s3store.OpenWith(t.Context(), bucket, prefix, cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, ok := s3store.BackendOf(s)
	if !ok {
		t.Fatalf("the store's backend is a %T", s.Backend())
	}
	if _, ok := s.Backend().(*s3store.Cached); !ok {
		t.Fatalf("with a HeadCache the backend is a %T", s.Backend())
	}
	b.Client().TraceOn(trace)
	return s
}

// TestHeadCache lists every case of the conformance table through the
// head cache twice, each time from a new process's view (a new store on
// the same cache folder): both listings say what the folder readers say,
// and the second fetches no object's bytes.
func TestHeadCache(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	for _, c := range storecases.Cases(t) {
		t.Run(c.Name, func(t *testing.T) {
			bucket := srv.Bucket(t)
			links := s3test.Upload(t, client, bucket, "p", c.Root)
			c := storecases.WithoutLinks(t, c, links)
			dir := t.TempDir()
			var cold, warm lockedBuffer
			res, err := cachedStore(t, srv, bucket, "p", dir, c.Options, &cold).Scan(t.Context(), store.ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			storecases.CheckScan(t, "cold Scan", res, c)
			res, err = cachedStore(t, srv, bucket, "p", dir, c.Options, &warm).Scan(t.Context(), store.ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			storecases.CheckScan(t, "warm Scan", res, c)
			coldGets := len(objectGets.FindAllString(cold.String(), -1))
			if len(c.Attachments) > 0 && coldGets == 0 {
				t.Fatalf("the cold listing's trace shows no GET of an object: the count measures nothing")
			}
			if n := len(objectGets.FindAllString(warm.String(), -1)); n > 0 {
				t.Errorf("the warm listing fetched %d objects (the cold one %d)", n, coldGets)
			}
		})
	}
}

// TestHeadCacheChanges checks that the cache never serves what changed: a
// sidecar rewritten by another client is read again, a blob's bytes read
// whole are the server's, and a damaged cache file is an empty cache.
func TestHeadCacheChanges(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	bucket := srv.Bucket(t)
	ctx := t.Context()
	data := benchPNG(7)
	id := store.IDOf(sha256Of(data))
	w, h := uint32(2), uint32(2)
	sidecar := func(label string) []byte {
		return store.Sidecar{ID: string(id), MediaType: store.PNG, ByteLen: uint64(len(data)), Width: &w, Height: &h, Label: &label}.Encode()
	}
	putKey(t, client, bucket, store.BlobKey(id), data)
	putKey(t, client, bucket, store.SidecarKey(id), sidecar("before"))
	dir := t.TempDir()
	label := func() string {
		var trace lockedBuffer
		s := cachedStore(t, srv, bucket, "", dir, store.Options{}, &trace)
		res, err := s.Scan(ctx, store.ScanOptions{})
		if err != nil || len(res.Attachments) != 1 || res.Attachments[0].Label == nil {
			t.Fatalf("Scan: %v %+v", err, res)
		}
		got, _, err := s.Get(ctx, id)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Get: %v, %d bytes, want %d", err, len(got), len(data))
		}
		return *res.Attachments[0].Label
	}
	if l := label(); l != "before" {
		t.Fatalf("label %q", l)
	}
	putKey(t, client, bucket, store.SidecarKey(id), sidecar("after, and longer"))
	if l := label(); l != "after, and longer" {
		t.Errorf("after another client relabelled: label %q", l)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.heads"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	fi, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(files[0], fi.Size()-3); err != nil {
		t.Fatal(err)
	}
	putKey(t, client, bucket, store.SidecarKey(id), sidecar("third"))
	if l := label(); l != "third" {
		t.Errorf("with a damaged cache file: label %q", l)
	}
	if l := label(); l != "third" {
		t.Errorf("after the damaged cache file was rewritten: label %q", l)
	}
}

func putKey(t *testing.T, c *minio.Client, bucket, key string, data []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

func sha256Of(data []byte) [32]byte { return sha256.Sum256(data) }

// lockedBuffer is a trace that the client's goroutines write at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
