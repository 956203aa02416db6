package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"lashview/internal/s3test"
	"lashview/internal/storecases"
	"lashview/store"
	"lashview/store/s3store"
	"lashview/thumbs"
)

// newBucketHarness is a window on the bucket store at url (the test server
// named by the environment, srv.SetEnv) with lash's sessions at sess ("":
// none named), the real bucket services and a thumbnail cache in a temp
// folder.
func newBucketHarness(t *testing.T, url, sess string) *harness {
	return newPolledHarness(t, url, sess, 0, t.TempDir())
}

// newPolledHarness is newBucketHarness polling every pollEvery (0: the
// default), with its thumbnail cache in thumbDir.
func newPolledHarness(t *testing.T, url, sess string, pollEvery time.Duration, thumbDir string) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	h := &harness{t: t, w: w, loop: &uiLoop{}, live: &fakeLive{}, dir: url}
	t.Setenv("LASH_HOME", t.TempDir()) // no sessions of the developer's own
	t.Setenv("LASH_POSTGRES_DATABASE_URL", "")
	cfg := Config{
		StoreDir:     url,
		DefaultStore: url,
		Sessions:     sess,
		ListingDir:   thumbDir, // beside the thumbnails: a second window finds both
		RunOnUI:      h.loop.run,
		Now:          func() time.Time { return fixedNow },
		Services: func(v store.Face, onResult func(thumbs.Result)) (thumbnailer, liveSource, error) {
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
	thumbDir := t.TempDir()
	var made int64
	gone := newest[len(newest)-1]
	for round := range 2 {
		if round == 1 {
			// Deleted by another client between the two windows: the
			// second shows what the first listed, then what is there.
			for _, k := range []string{store.BlobKey(gone), store.SidecarKey(gone)} {
				must(t, srv.Client(t).RemoveObject(t.Context(), bucket, "p/"+k, minio.RemoveObjectOptions{}))
			}
		}
		h := newPolledHarness(t, "s3://"+bucket+"/p", "", 0, thumbDir)
		h.loaded()
		want := len(newest) - round
		if n := h.b.cat.total(); n != want {
			t.Fatalf("round %d: the window lists %d attachments, want %d", round, n, want)
		}
		if _, ok := h.b.cat.get(gone); ok && round == 1 {
			t.Error("an attachment deleted since the last listing is still shown")
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
			t.Errorf("round %d: no cell shows a thumbnail", round)
		}
		if p := h.b.details.fields["Path"].Text; !strings.HasPrefix(p, "s3://"+bucket+"/p/sha256/") {
			t.Errorf("the details name the blob %q", p)
		}
		st := h.b.thumbs.(cancelThumbs).Stats()
		switch round {
		case 0:
			if l, ok := loadListing(h.b.listingFile(), "s3://"+bucket+"/p"); !ok || len(l.Attachments) != len(newest) {
				t.Errorf("the listing kept for next time holds %d attachments (%v), want %d", len(l.Attachments), ok, len(newest))
			}
			made = st.Generated
			if made == 0 {
				t.Error("the first window made no thumbnail")
			}
		case 1:
			// The same thumbnails again: all from the disk cache, no blob
			// fetched.
			if st.Decodes != 0 || st.DiskHits == 0 {
				t.Errorf("the second window fetched %d blobs and read %d thumbnails from disk (the first made %d), want none fetched", st.Decodes, st.DiskHits, made)
			}
		}
		h.b.Close()
	}
}

// bucketSnapshot is every object under prefix/sha256/ of the bucket, by
// key, with a hash of its bytes.
func bucketSnapshot(t *testing.T, c *minio.Client, bucket, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for o := range c.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: prefix + "/sha256/", Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		r, err := c.GetObject(context.Background(), bucket, o.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		out[o.Key] = hex.EncodeToString(sum[:])
	}
	return out
}

// Delete in the window moves the attachments into the bucket's trash
// area, and Undo brings back exactly the bytes; a relabel rewrites the
// sidecar object as lash writes it.
func TestBucketTrashUndoRelabel(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	client := srv.Client(t)
	dir, newest := cleanStore(t)
	bucket := srv.Bucket(t)
	s3test.Upload(t, client, bucket, "p", dir)
	before := bucketSnapshot(t, client, bucket, "p")
	h := newBucketHarness(t, "s3://"+bucket+"/p", "")
	h.loaded()

	h.b.ed.setConfirmTrash(true) // whatever an earlier test left in the preferences
	h.b.click(newest[1], 0)
	h.b.click(newest[2], fyne.KeyModifierShift)
	h.b.gridKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if msg := overlayText(h.w); !strings.Contains(msg, "to the bucket's trash area (s3://"+bucket+"/p/.lashview-trash/)?") {
		t.Fatalf("the confirmation says:\n%s\n(%d selected, %d listed, status %q, note %q)", msg, len(h.b.sel.ids), h.b.cat.total(), h.b.statusL.Text, h.b.hoverL.Text)
	}
	tapOverlayButton(t, h.w, "Move to Trash")
	h.settle(func() bool { return !h.b.ed.busy })
	after := bucketSnapshot(t, client, bucket, "p")
	for _, id := range newest[1:3] {
		if _, ok := after["p/"+store.BlobKey(id)]; ok {
			t.Errorf("%s is still in the bucket", id.Short())
		}
		if _, ok := h.b.cat.get(id); ok {
			t.Errorf("%s is still in the grid", id.Short())
		}
	}
	if len(after) != len(before)-4 {
		t.Errorf("%d objects after the delete, want %d", len(after), len(before)-4)
	}
	if !strings.Contains(h.b.ed.undoText.Text, "Moved 2 attachments") || !strings.Contains(h.b.ed.undoText.Text, "the bucket's trash area") {
		t.Errorf("banner %q", h.b.ed.undoText.Text)
	}
	test.Tap(h.b.ed.undoBtn)
	h.settle(func() bool { return !h.b.ed.busy })
	sameFiles(t, "after Undo", bucketSnapshot(t, client, bucket, "p"), before)
	for _, id := range newest[1:3] {
		if !h.b.sel.has(id) {
			t.Errorf("%s is not in the grid, selected, after Undo", id.Short())
		}
	}

	// Relabel: the sidecar object becomes what lash writes.
	id := newest[0]
	obj, err := s3store.OpenWith(t.Context(), bucket, "p", s3store.Config{Endpoint: srv.Endpoint, Region: s3test.Region,
		Creds: credentials.NewStaticV4(s3test.AccessKey, s3test.SecretKey, "")}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	old, err := obj.Meta(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	h.b.click(id, 0)
	r := h.b.ed.relabel
	test.Tap(r.editBtn)
	r.entry.SetText("On the bucket")
	r.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle(func() bool { return !h.b.ed.busy })
	label := "On the bucket"
	want := store.Sidecar{ID: old.ID, MediaType: old.MediaType, ByteLen: old.ByteLen, Width: old.Width, Height: old.Height, Label: &label}.Encode()
	h.settle(func() bool {
		m, err := obj.Meta(t.Context(), id)
		return err == nil && bytes.Equal(m.Encode(), want)
	})
	if c := h.b.cellByID[id]; c == nil || c.label.Text != label {
		t.Error("the grid cell does not show the new label")
	}
}

// A put by another client shows in the window after a poll, and the
// status bar says the view is kept live by polling and how fresh it is.
func TestBucketPolls(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	client := srv.Client(t)
	dir, newest := cleanStore(t)
	// The bucket starts without the newest attachment; "another client"
	// puts it later.
	late := t.TempDir()
	lay := store.New(dir).Layout()
	for _, p := range []string{lay.Blob(newest[0]), lay.Sidecar(newest[0])} {
		rel, _ := filepath.Rel(dir, p)
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(late, rel)), 0o755))
		must(t, os.Rename(p, filepath.Join(late, rel)))
	}
	bucket := srv.Bucket(t)
	s3test.Upload(t, client, bucket, "p", dir)
	h := newPolledHarness(t, "s3://"+bucket+"/p", "", 200*time.Millisecond, t.TempDir())
	h.loaded()
	if n := h.b.cat.total(); n != len(newest)-1 {
		t.Fatalf("the window lists %d attachments, want %d", n, len(newest)-1)
	}
	h.settle(func() bool { return h.b.live.Kind == LivePolling })
	if s := h.b.liveL.Text; !strings.Contains(s, "polling every 0.2 s") || !strings.Contains(s, "checked") {
		t.Errorf("the status bar says %q of how the view is kept live", s)
	}
	if s := h.b.statusL.Text; !strings.Contains(s, "s3://"+bucket+"/p") {
		t.Errorf("the status bar %q does not name the bucket", s)
	}
	s3test.Upload(t, client, bucket, "p", late)
	h.settle(func() bool { _, ok := h.b.cat.get(newest[0]); return ok })
	a, _ := h.b.cat.get(newest[0])
	if a.Status != store.StatusOK {
		t.Errorf("the new attachment is %s", a.Status)
	}
	if _, fresh := h.b.fresh[newest[0]]; !fresh {
		t.Error("the new attachment is not highlighted as new")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
