package s3store_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"lashview/internal/s3test"
	"lashview/store"
	"lashview/store/s3store"
)

// failingReader gives n bytes of data and then fails.
type failingReader struct {
	r io.Reader
	n int64
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("the source broke off")
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	k, err := f.r.Read(p)
	f.n -= int64(k)
	return k, err
}

// noObjects checks that nothing lies under the store's prefix.
func noObjects(t *testing.T, s *store.Objects) {
	t.Helper()
	if err := s.Backend().List(t.Context(), "", func(o store.Object) error {
		t.Errorf("an object is left: %s (%d bytes)", o.Key, o.Size)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPutFailingSourceLeavesNothing: a multipart upload whose source fails
// after its first part is aborted: no object, no unfinished upload.
func TestPutFailingSourceLeavesNothing(t *testing.T) {
	srv := s3test.Start(t)
	cfg := config(srv)
	cfg.PartSize = 5 << 20
	s, err := s3store.OpenWith(t.Context(), srv.Bucket(t), "p", cfg, store.Options{NewerLash: true})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 12<<20)
	rand.New(rand.NewSource(1)).Read(data)
	key := store.BlobKey(store.ID(strings.Repeat("ab", 32)))
	_, err = s.Backend().Put(t.Context(), key, &failingReader{r: bytes.NewReader(data), n: 7 << 20}, int64(len(data)))
	if err == nil {
		t.Fatal("a put whose source failed succeeded")
	}
	noObjects(t, s)
	ups, err := s.Backend().(store.Uploads).Unfinished(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 0 {
		t.Errorf("unfinished uploads left: %+v", ups)
	}
}

// cutProxy forwards connections to the server until it has passed limit
// bytes from client to server, then cuts every connection and refuses new
// ones: the network going away mid-upload.
type cutProxy struct {
	ln     net.Listener
	target string
	limit  int64

	mu    sync.Mutex
	sent  int64
	conns []net.Conn
	cut   bool
}

func newCutProxy(t *testing.T, target string, limit int64) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, limit: limit}
	t.Cleanup(p.cutAll)
	go p.serve()
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			up.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(c, up); c.Close() }()
		go func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					p.mu.Lock()
					p.sent += int64(n)
					over := p.sent > p.limit
					p.mu.Unlock()
					if over {
						p.cutAll()
						return
					}
					if _, err := up.Write(buf[:n]); err != nil {
						return
					}
				}
				if err != nil {
					up.Close()
					return
				}
			}
		}()
	}
}

func (p *cutProxy) cutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestPutCutConnectionLeavesNothing: a put whose connection is cut
// mid-upload (a proxy on 127.0.0.1 between lashview and the real server
// closes every connection after 6 MiB and refuses new ones) fails, and
// leaves no object in the bucket, whole or partial, for a single PUT and a
// multipart upload alike.
func TestPutCutConnectionLeavesNothing(t *testing.T) {
	srv := s3test.Start(t)
	for _, size := range []int64{8 << 20, 13 << 20} {
		bucket := srv.Bucket(t)
		proxy := newCutProxy(t, strings.TrimPrefix(srv.Endpoint, "http://"), 6<<20)
		cfg := config(srv)
		cfg.Endpoint = "http://" + proxy.ln.Addr().String()
		cfg.PartSize = 10 << 20 // 8 MiB: one PUT; 13 MiB: two parts
		cfg.MaxRetries = 1
		s, err := s3store.OpenWith(t.Context(), bucket, "team/lash", cfg, store.Options{NewerLash: true})
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, size)
		rand.New(rand.NewSource(size)).Read(data)
		file := filepath.Join(t.TempDir(), "big.bin")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.PutFile(t.Context(), file, store.PutFileOptions{}); err == nil {
			t.Fatalf("%d bytes: a put through a cut connection succeeded", size)
		} else {
			t.Logf("%d bytes: %v", size, err)
		}
		direct, err := s3store.OpenWith(t.Context(), bucket, "team/lash", config(srv), store.Options{NewerLash: true})
		if err != nil {
			t.Fatal(err)
		}
		noObjects(t, direct)
		// An upload the cut left unfinished is doctor's litter to abort.
		if _, err := direct.Doctor(t.Context(), store.DoctorOptions{Fix: true, MinTempAge: 1}); err != nil {
			t.Fatal(err)
		}
		ups, err := direct.Backend().(store.Uploads).Unfinished(t.Context(), "")
		if err != nil || len(ups) != 0 {
			t.Errorf("after doctor --fix: %v %+v", err, ups)
		}
		noObjects(t, direct)
	}
}
