package ui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lashview/internal/s3test"
	"lashview/internal/storecases"
	"lashview/thumbs"
)

// newBucketHarness is a window on the bucket store at url (the test server
// named by the environment, srv.SetEnv) with lash's sessions at sess ("":
// none named), the real bucket services and a thumbnail cache in a temp
// folder.
func newBucketHarness(t *testing.T, url, sess string) *harness {
	return newPolledHarness(t, url, sess, 0)
}

// newPolledHarness is newBucketHarness polling every pollEvery (0: the
// default).
func newPolledHarness(t *testing.T, url, sess string, pollEvery time.Duration) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	h := &harness{t: t, w: w, loop: &uiLoop{}, live: &fakeLive{}, dir: url}
	thumbDir := t.TempDir()
	t.Setenv("LASH_HOME", t.TempDir()) // no sessions of the developer's own
	t.Setenv("LASH_POSTGRES_DATABASE_URL", "")
	cfg := Config{
		StoreDir:     url,
		DefaultStore: url,
		Sessions:     sess,
		RunOnUI:      h.loop.run,
		Now:          func() time.Time { return fixedNow },
		Services: func(v storeView, onResult func(thumbs.Result)) (thumbnailer, liveSource, error) {
			return bucketServices(v, thumbs.Options{Dir: thumbDir, OnResult: onResult, Workers: 2}, pollEvery)
		},
	}
	h.b = New(a, w, cfg)
	w.Resize(fyne.NewSize(1100, 720))
	t.Cleanup(func() { h.b.Close(); h.loop.drain() })
	return h
}

// TestBucketConformance lists every case of the conformance table from a
// bucket of a real S3 server, at the bucket's top and under a prefix: the
// window must say of each attachment what the store's other readers say.
func TestBucketConformance(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	client := srv.Client(t)
	for _, c := range storecases.Cases(t) {
		for _, prefix := range []string{"", "team/lash"} {
			t.Run(c.Name+"/prefix="+prefix, func(t *testing.T) {
				bucket := srv.Bucket(t)
				c := storecases.WithoutLinks(t, c, s3test.Upload(t, client, bucket, prefix, c.Root))
				url := "s3://" + bucket
				if prefix != "" {
					url += "/" + prefix
				}
				// The sessions beside the case's folder say what lash writes it.
				h := newBucketHarness(t, url, filepath.Join(filepath.Dir(c.Root), "sessions"))
				h.loaded()
				if h.b.face == nil {
					t.Fatalf("the bucket did not open: %s", h.b.welcome.why.Text)
				}
				if n := h.b.cat.total(); n != len(c.Attachments) {
					t.Errorf("the window lists %d attachments, want %d", n, len(c.Attachments))
				}
				for id, w := range c.Attachments {
					a, ok := h.b.cat.get(id)
					if !ok {
						t.Errorf("%s: not listed", id.Short())
						continue
					}
					storecases.Check(t, "the window", a, w)
				}
				if s := h.b.statusL.Text; !strings.Contains(s, url) {
					t.Errorf("the status bar %q does not name %s", s, url)
				}
			})
		}
	}
}

// TestBucketThumbnails: the grid's cells get their thumbnails from the
// bucket, and a second window on the same bucket with the same disk cache
// fetches none of them again.
func TestBucketThumbnails(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	dir, newest := cleanStore(t)
	bucket := srv.Bucket(t)
	s3test.Upload(t, srv.Client(t), bucket, "p", dir)
	h := newBucketHarness(t, "s3://"+bucket+"/p", "")
	h.loaded()
	if n := h.b.cat.total(); n != len(newest) {
		t.Fatalf("the window lists %d attachments, want %d", n, len(newest))
	}
	h.b.click(newest[0], 0)
	h.settle(func() bool {
		if len(h.b.cellByID) == 0 {
			return false
		}
		for id, c := range h.b.cellByID {
			if c != nil && c.id == id && c.img.Image == nil && !c.broken.Visible() {
				return false
			}
		}
		return h.b.details.preview.Image != nil
	})
	shown := 0
	for id, c := range h.b.cellByID {
		if c != nil && c.id == id && c.img.Image != nil {
			shown++
		}
	}
	if shown == 0 {
		t.Error("no cell shows a thumbnail")
	}
	if p := h.b.details.fields["Path"].Text; !strings.HasPrefix(p, "s3://"+bucket+"/p/sha256/") {
		t.Errorf("the details name the blob %q", p)
	}
}
