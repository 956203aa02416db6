package watcher

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"lashview/internal/s3test"
	"lashview/internal/storecases"
	"lashview/store"
	"lashview/store/s3store"
)

// pollInterval is short so the tests are quick; nothing asserts timing.
const pollInterval = 100 * time.Millisecond

// pollDeadline is how long a test waits for the poller to report a change.
const pollDeadline = 30 * time.Second

func s3config(srv *s3test.Server) s3store.Config {
	return s3store.Config{Endpoint: srv.Endpoint, Region: s3test.Region,
		Creds: credentials.NewStaticV4(s3test.AccessKey, s3test.SecretKey, "")}
}

// bucketCase is the case as a bucket holds it: S3 has no symbolic links,
// so a blob that is a link in the folder is missing from the bucket (with
// its sidecar there the attachment is an orphan sidecar).
func bucketCase(t *testing.T, c storecases.Case) storecases.Case {
	t.Helper()
	c.Attachments = maps.Clone(c.Attachments)
	err := filepath.WalkDir(c.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		rel, _ := filepath.Rel(c.Root, p)
		dir, name := path.Split(filepath.ToSlash(rel))
		n := store.ParseName(name, path.Base(dir))
		w, ok := c.Attachments[n.ID]
		if n.Kind != store.NameBlob || !ok {
			return nil
		}
		if fi, err := os.Lstat(p + ".json"); err == nil && fi.Mode().IsRegular() {
			c.Attachments[n.ID] = storecases.Want{Status: store.StatusOrphanMeta, Generation: store.GenSidecar, MIME: w.MIME, Size: -1}
		} else {
			delete(c.Attachments, n.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// follow applies the poller's batches to view until done says the view is
// as wanted, failing the test after pollDeadline.
func follow(t *testing.T, p *Poller, view *View, what string, done func() bool) []Batch {
	t.Helper()
	var seen []Batch
	deadline := time.After(pollDeadline)
	for !done() {
		select {
		case b, ok := <-p.Batches():
			if !ok {
				t.Fatalf("%s: the poller stopped", what)
			}
			if b.Err != nil {
				t.Logf("%s: poll problem: %v", what, b.Err)
			}
			view.Apply(b)
			seen = append(seen, b)
		case <-deadline:
			t.Fatalf("%s: not seen within %v; the view holds %d attachments", what, pollDeadline, view.Len())
		}
	}
	return seen
}

// TestPollConformance fills an empty, polled bucket with each case's
// objects and checks that the view the poller's events build says of every
// attachment what the case says; then empties the bucket and checks that
// every attachment is reported removed.
func TestPollConformance(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	for _, c := range storecases.Cases(t) {
		t.Run(c.Name, func(t *testing.T) {
			c := bucketCase(t, c)
			bucket := srv.Bucket(t)
			s, err := s3store.OpenWith(t.Context(), bucket, "team/attachments", s3config(srv), c.Options)
			if err != nil {
				t.Fatal(err)
			}
			p, res, err := Poll(t.Context(), s, PollOptions{Interval: pollInterval})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if len(res.Attachments) != 0 {
				t.Fatalf("an empty prefix lists %d attachments", len(res.Attachments))
			}
			view := NewView(res)
			s3test.Upload(t, client, bucket, "team/attachments", c.Root)
			matches := func() bool {
				if view.Len() != len(c.Attachments) {
					return false
				}
				for id, want := range c.Attachments {
					if a, ok := view.Get(id); !ok || !want.Agrees(a) {
						return false
					}
				}
				return true
			}
			follow(t, p, view, "the case's attachments", matches)
			fresh, err := s.Scan(t.Context(), store.ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d := view.Diff(fresh); len(d) > 0 {
				t.Errorf("the view differs from a fresh listing:\n%s", strings.Join(d, "\n"))
			}

			for o := range client.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Recursive: true}) {
				if o.Err != nil {
					t.Fatal(o.Err)
				}
				if err := client.RemoveObject(t.Context(), bucket, o.Key, minio.RemoveObjectOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			removed := map[store.ID]bool{}
			for _, b := range follow(t, p, view, "every attachment removed", func() bool { return view.Len() == 0 }) {
				for _, e := range b.Events {
					if e.Kind == Removed {
						removed[e.ID] = true
					}
				}
			}
			for id := range c.Attachments {
				if !removed[id] {
					t.Errorf("%s: no removed event", id.Short())
				}
			}
		})
	}
}

// TestPollEvents checks the kinds of event a poller gives: a blob put by
// another client is added, a sidecar written after it changes it, a new
// label changes it again, a quiet bucket gives no batch, Rescan gives a
// rescan with the fresh listing.
func TestPollEvents(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	bucket := srv.Bucket(t)
	ctx := t.Context()
	s, err := s3store.OpenWith(ctx, bucket, "", s3config(srv), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The store is of the sidecar generation: it holds one attachment.
	first := putObject(t, client, bucket, pngBytes(9001), "first")
	p, res, err := Poll(ctx, s, PollOptions{Interval: pollInterval})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if len(res.Attachments) != 1 || res.Attachments[0].ID != first {
		t.Fatalf("the first listing holds %v, want %s", res.Attachments, first)
	}
	view := NewView(res)

	data := pngBytes(9002)
	id := idOfBytes(data)
	put(t, client, bucket, store.BlobKey(id), data)
	var got []Event
	collect := func(bs []Batch) {
		for _, b := range bs {
			got = append(got, b.Events...)
		}
	}
	collect(follow(t, p, view, "the new blob", func() bool { _, ok := view.Get(id); return ok }))
	put(t, client, bucket, store.SidecarKey(id), sidecarOf(data, "second"))
	collect(follow(t, p, view, "its sidecar", func() bool {
		a, _ := view.Get(id)
		return a.Label != nil && *a.Label == "second"
	}))
	put(t, client, bucket, store.SidecarKey(id), sidecarOf(data, "relabelled"))
	collect(follow(t, p, view, "its new label", func() bool {
		a, _ := view.Get(id)
		return a.Label != nil && *a.Label == "relabelled"
	}))
	if got[0].Kind != Added || got[0].ID != id {
		t.Errorf("the first event is %s %s, want added %s", got[0].Kind, got[0].ID, id)
	}
	for _, e := range got[1:] {
		if e.Kind != Changed || e.ID != id {
			t.Errorf("event %s %s, want only changes of %s after it was added", e.Kind, e.ID, id)
		}
	}

	// Nothing changes: no batch for several intervals. (An outcome, not a
	// time: a batch that arrives is wrong whenever it arrives.)
	select {
	case b := <-p.Batches():
		t.Errorf("a batch from a quiet bucket: %+v", b)
	case <-time.After(5 * pollInterval):
	}
	if f := p.Freshness(); f.Checked.IsZero() || f.Failure != nil {
		t.Errorf("Freshness after quiet polls: %+v", f)
	}
	if st := p.Status(time.Now()); !strings.HasPrefix(st, "polling s3://"+bucket+" every 0.1 s, last checked ") {
		t.Errorf("Status = %q", st)
	}

	p.Rescan("a person asked for it")
	b := <-p.Batches()
	if len(b.Events) == 0 || b.Events[0].Kind != Rescan || b.Events[0].Reason != "a person asked for it" || b.Scan == nil {
		t.Fatalf("after Rescan: %+v", b)
	}
	view.Apply(b)
	if d := view.Diff(b.Scan); len(d) > 0 || view.Len() != 2 {
		t.Errorf("after the rescan the view holds %d: %v", view.Len(), d)
	}
}

// TestPollSurvivesFailures removes the bucket under a poller: the poll
// fails in words (no such bucket) and the poller keeps trying; once the
// bucket is back, a new object is reported.
func TestPollSurvivesFailures(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	bucket := srv.Bucket(t)
	ctx := t.Context()
	s, err := s3store.OpenWith(ctx, bucket, "p", s3config(srv), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, res, err := Poll(ctx, s, PollOptions{Interval: pollInterval})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	view := NewView(res)
	if err := client.RemoveBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	var failure error
	deadline := time.After(pollDeadline)
	for failure == nil {
		select {
		case b := <-p.Batches():
			failure = b.Err
		case <-deadline:
			t.Fatal("no failed poll reported for a removed bucket")
		}
	}
	if !errors.Is(failure, s3store.ErrNoSuchBucket) || !strings.Contains(failure.Error(), "trying again in") {
		t.Errorf("the failure says %q", failure)
	}
	if f := p.Freshness(); !errors.Is(f.Failure, s3store.ErrNoSuchBucket) || f.RetryIn <= pollInterval {
		t.Errorf("Freshness after a failure: %+v", f)
	}
	if st := p.Status(time.Now()); !strings.Contains(st, "the last poll failed") {
		t.Errorf("Status = %q", st)
	}
	if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: s3test.Region}); err != nil {
		t.Fatal(err)
	}
	data := pngBytes(9003)
	id := idOfBytes(data)
	put(t, client, bucket, "p/"+store.BlobKey(id), data)
	follow(t, p, view, "a blob put once the bucket is back", func() bool { _, ok := view.Get(id); return ok })
	if f := p.Freshness(); f.Failure != nil || f.RetryIn != pollInterval {
		t.Errorf("after a good poll: %+v", f)
	}
}

// put writes one object as another client (lash) would.
func put(t *testing.T, c *minio.Client, bucket, key string, data []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

// putObject puts a blob and its sidecar and returns the id.
func putObject(t *testing.T, c *minio.Client, bucket string, data []byte, label string) store.ID {
	t.Helper()
	id := idOfBytes(data)
	put(t, c, bucket, store.BlobKey(id), data)
	put(t, c, bucket, store.SidecarKey(id), sidecarOf(data, label))
	return id
}

// sidecarOf is the sidecar lash alpha.43 writes for a pngBytes image.
func sidecarOf(data []byte, label string) []byte {
	w, h := uint32(3), uint32(2)
	return store.Sidecar{ID: string(idOfBytes(data)), MediaType: store.PNG, ByteLen: uint64(len(data)), Width: &w, Height: &h, Label: &label}.Encode()
}
