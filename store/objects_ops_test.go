package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"lashview/internal/s3test"
	"lashview/store"
	"lashview/store/s3store"
)

// The tests of what Objects changes (put, label, trash, restore, verify,
// doctor) run over both backends: a folder (DirBackend on a temp folder)
// and a bucket of a real S3 server (versitygw on 127.0.0.1) under a
// prefix, with a bucket and a folder of its own per store.

// rig makes fresh stores of one backend.
type rig struct {
	name string
	// fresh makes an empty store.
	fresh func(t *testing.T, opt store.Options) *store.Objects
	// reopen is a new Objects over the same backend (nothing cached).
	reopen func(t *testing.T, s *store.Objects, opt store.Options) *store.Objects
}

// s3config points a store at the test server.
func s3config(srv *s3test.Server) s3store.Config {
	return s3store.Config{Endpoint: srv.Endpoint, Region: s3test.Region,
		Creds: credentials.NewStaticV4(s3test.AccessKey, s3test.SecretKey, "")}
}

// eachBackend runs f over a folder and over a bucket.
func eachBackend(t *testing.T, f func(t *testing.T, r rig)) {
	t.Run("dir", func(t *testing.T) {
		f(t, rig{name: "dir",
			fresh: func(t *testing.T, opt store.Options) *store.Objects {
				return store.NewObjects(store.DirBackend{Root: t.TempDir()}, opt)
			},
			reopen: func(t *testing.T, s *store.Objects, opt store.Options) *store.Objects {
				return store.NewObjects(s.Backend(), opt)
			},
		})
	})
	t.Run("s3", func(t *testing.T) {
		srv := s3test.Start(t)
		f(t, rig{name: "s3",
			fresh: func(t *testing.T, opt store.Options) *store.Objects {
				s, err := s3store.OpenWith(t.Context(), srv.Bucket(t), "team/lash", s3config(srv), opt)
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
			reopen: func(t *testing.T, s *store.Objects, opt store.Options) *store.Objects {
				return store.NewObjects(s.Backend(), opt)
			},
		})
	})
}

// keys lists every key of the store under dir.
func keys(t *testing.T, s *store.Objects, dir string) []string {
	t.Helper()
	var ks []string
	if err := s.Backend().List(context.Background(), dir, func(o store.Object) error {
		ks = append(ks, o.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ks
}

// assertLashKeys checks that every key under sha256/ is what lash takes
// it for: a blob's name in its prefix folder, or, only in a store that
// lashview writes with sidecars, a sidecar's name. Nothing lash would list
// as a foreign blob.
func assertLashKeys(t *testing.T, s *store.Objects) {
	t.Helper()
	gen, err := s.Writes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys(t, s, "sha256/") {
		kn := store.ParseKey(k)
		n := store.ParseName(kn.Name, kn.Prefix)
		switch {
		case kn.Folder != "" || kn.Marker || kn.Prefix == "":
			t.Errorf("key %s is no blob or sidecar name of lash's", k)
		case n.Kind == store.NameBlob:
		case n.Kind == store.NameSidecar && gen == store.GenSidecar:
		default:
			t.Errorf("key %s would be taken by lash (%s store) for a foreign blob", k, gen)
		}
	}
}

// putKey writes data under a raw key, as another tool (or lash) would.
func putKey(t *testing.T, s *store.Objects, key string, data []byte) {
	t.Helper()
	if _, err := s.Backend().Put(context.Background(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}

// getKey reads a raw key whole.
func getKey(t *testing.T, s *store.Objects, key string) []byte {
	t.Helper()
	r, _, err := s.Backend().Open(context.Background(), key, 0, -1)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func hasKey(t *testing.T, s *store.Objects, key string) bool {
	t.Helper()
	_, err := s.Backend().Stat(context.Background(), key)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func idOf(data []byte) store.ID { return store.IDOf(sha256.Sum256(data)) }

// pngOf is a w×h PNG whose bytes differ with seed.
func pngOf(t testing.TB, w, h int, seed byte) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i*7) + seed
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// attachment is the scan's attachment of id.
func attachment(t *testing.T, s *store.Objects, id store.ID) (store.Attachment, bool) {
	t.Helper()
	res, err := s.Scan(context.Background(), store.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Attachments {
		if a.ID == id {
			return a, true
		}
	}
	return store.Attachment{}, false
}

func ptr(s string) *string { return &s }

func TestObjectsPutSidecarStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, r rig) {
		ctx := t.Context()
		s := r.fresh(t, store.Options{})
		data := pngOf(t, 3, 2, 1)
		id := idOf(data)
		meta, err := s.Put(ctx, bytes.NewReader(data), store.PutOptions{Label: ptr("pixel <&>")})
		if err != nil {
			t.Fatal(err)
		}
		if meta.ID != string(id) || meta.Width == nil || *meta.Width != 3 || *meta.Height != 2 || meta.Label == nil || *meta.Label != "pixel <&>" {
			t.Errorf("Put returned %+v", meta)
		}
		if got := getKey(t, s, store.BlobKey(id)); !bytes.Equal(got, data) {
			t.Error("the blob's bytes differ from what was put")
		}
		if got := getKey(t, s, store.SidecarKey(id)); !bytes.Equal(got, meta.Encode()) {
			t.Errorf("sidecar\n%s\nwant\n%s", got, meta.Encode())
		}
		a, ok := attachment(t, s, id)
		if !ok || a.Status != store.StatusOK || a.Label == nil || *a.Label != "pixel <&>" || a.Generation != store.GenSidecar {
			t.Errorf("scan after put: %+v", a)
		}
		assertLashKeys(t, s)

		// PutFile labels with the file's name; SetLabel rewrites it.
		data2 := pngOf(t, 4, 4, 2)
		file := filepath.Join(t.TempDir(), "drawing.png")
		if err := os.WriteFile(file, data2, 0o644); err != nil {
			t.Fatal(err)
		}
		var sent int64
		m2, kept, err := s.PutFile(ctx, file, store.PutFileOptions{Progress: func(n int64) { sent += n }})
		if err != nil || kept != nil {
			t.Fatal(err, kept)
		}
		if *m2.Label != "drawing.png" || sent != int64(len(data2)) {
			t.Errorf("PutFile: label %q, progress %d of %d", *m2.Label, sent, len(data2))
		}
		if _, err := s.SetLabel(ctx, idOf(data2), "renamed"); err != nil {
			t.Fatal(err)
		}
		if a, _ := attachment(t, r.reopen(t, s, store.Options{}), idOf(data2)); a.Label == nil || *a.Label != "renamed" {
			t.Errorf("after SetLabel: %+v", a)
		}
		// KeepExisting keeps the attachment and its label.
		_, kept, err = s.PutFile(ctx, file, store.PutFileOptions{KeepExisting: true})
		if err != nil || kept == nil || kept.Label == nil || *kept.Label != "renamed" {
			t.Errorf("PutFile KeepExisting: %v %+v", err, kept)
		}
		// A sidecar store takes only images.
		if _, err := s.Put(ctx, strings.NewReader("%PDF-1.7\n"), store.PutOptions{}); !errors.Is(err, store.ErrNotImage) {
			t.Errorf("Put of a PDF into a sidecar store: %v", err)
		}
		if _, err := s.SetLabel(ctx, idOf([]byte("absent")), "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetLabel of an absent id: %v", err)
		}
		assertLashKeys(t, s)
	})
}

func TestObjectsPutBlobOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, r rig) {
		ctx := t.Context()
		s := r.fresh(t, store.Options{NewerLash: true})
		for _, data := range [][]byte{[]byte("%PDF-1.7\nany bytes\n"), pngOf(t, 2, 2, 3), nil} {
			meta, err := s.Put(ctx, bytes.NewReader(data), store.PutOptions{Label: ptr("ignored")})
			if err != nil {
				t.Fatal(err)
			}
			if meta.Label != nil {
				t.Errorf("blob-only put kept a label: %+v", meta)
			}
			if _, err := s.SetLabel(ctx, idOf(data), "x"); !errors.Is(err, store.ErrBlobOnlyLabel) {
				t.Errorf("SetLabel in a blob-only store: %v", err)
			}
			a, ok := attachment(t, s, idOf(data))
			if !ok || a.Status != store.StatusOK || a.Generation != store.GenBlobOnly || a.HasSidecar {
				t.Errorf("scan after put: %+v", a)
			}
		}
		for _, k := range keys(t, s, "") {
			if strings.HasSuffix(k, ".json") {
				t.Errorf("a blob-only store got %s", k)
			}
		}
		assertLashKeys(t, s)

		// A store of blobs and no sidecar is blob-only too, whatever lash
		// is known to write.
		plain := r.reopen(t, s, store.Options{})
		if _, err := plain.Put(ctx, bytes.NewReader(pngOf(t, 1, 1, 9)), store.PutOptions{Label: ptr("x")}); err != nil {
			t.Fatal(err)
		}
		assertLashKeys(t, plain)
	})
}

// TestObjectsPutRefreshes: a put of bytes the store holds sends nothing
// and makes the object's time new, as newer lash does, so a collector
// that listed the store before spares it.
func TestObjectsPutRefreshes(t *testing.T) {
	eachBackend(t, func(t *testing.T, r rig) {
		ctx := t.Context()
		s := r.fresh(t, store.Options{NewerLash: true})
		data := pngOf(t, 5, 5, 4)
		key := store.BlobKey(idOf(data))
		if _, err := s.Put(ctx, bytes.NewReader(data), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		before, err := s.Backend().Stat(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		// S3 keeps times to the second: put again once the clock has
		// passed the next whole second.
		for time.Now().Truncate(time.Second).Before(before.ModTime.Add(time.Second)) {
			time.Sleep(50 * time.Millisecond)
		}
		file := filepath.Join(t.TempDir(), "again.png")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for i, put := range []func() error{
			func() error { _, err := s.Put(ctx, bytes.NewReader(data), store.PutOptions{}); return err },
			func() error { _, _, err := s.PutFile(ctx, file, store.PutFileOptions{KeepExisting: true}); return err },
		} {
			if err := put(); err != nil {
				t.Fatal(err)
			}
			after, err := s.Backend().Stat(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if !after.ModTime.After(before.ModTime) {
				t.Errorf("put %d of existing bytes left the time at %v (was %v)", i, after.ModTime, before.ModTime)
			}
			if got := getKey(t, s, key); !bytes.Equal(got, data) {
				t.Errorf("put %d of existing bytes changed them", i)
			}
			before = after
			for time.Now().Truncate(time.Second).Before(before.ModTime.Add(time.Second)) {
				time.Sleep(50 * time.Millisecond)
			}
		}
		// A corrupt object under the id is replaced by the bytes.
		putKey(t, s, key, append([]byte("x"), data[1:]...))
		if _, err := s.Put(ctx, bytes.NewReader(data), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := getKey(t, s, key); !bytes.Equal(got, data) {
			t.Error("a put over a corrupt blob did not replace it")
		}
		assertLashKeys(t, s)
	})
}

// putPair puts an image with a label and returns its bytes and id.
func putPair(t *testing.T, s *store.Objects, seed byte, label string) ([]byte, store.ID) {
	t.Helper()
	data := pngOf(t, 3, 3, seed)
	if _, err := s.Put(t.Context(), bytes.NewReader(data), store.PutOptions{Label: ptr(label)}); err != nil {
		t.Fatal(err)
	}
	return data, idOf(data)
}

// outcomes maps "<role> <id short>" to the outcome of each restored item.
func outcomes(rep *store.RestoreReport) map[string]store.RestoreOutcome {
	m := map[string]store.RestoreOutcome{}
	for _, it := range rep.Items {
		m[string(it.Role)+" "+it.ID.Short()] = it.Outcome
	}
	return m
}

func checkOutcomes(t *testing.T, rep *store.RestoreReport, want map[string]store.RestoreOutcome) {
	t.Helper()
	got := outcomes(rep)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	for _, it := range rep.Items {
		if it.Err != nil {
			t.Errorf("%s %s: %v", it.Role, it.ID.Short(), it.Err)
		}
	}
}

func TestObjectsTrashRestore(t *testing.T) {
	eachBackend(t, func(t *testing.T, r rig) {
		ctx := t.Context()
		s := r.fresh(t, store.Options{})
		dataA, a := putPair(t, s, 1, "a")
		dataB, b := putPair(t, s, 2, "b")
		sideA := getKey(t, s, store.SidecarKey(a))

		batch, err := s.Trash(ctx, []store.ID{a, b}, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(batch.Items) != 4 || batch.Store != s.Where() {
			t.Errorf("batch %+v", batch)
		}
		if ks := keys(t, s, "sha256/"); len(ks) != 0 {
			t.Errorf("left under sha256/: %v", ks)
		}
		if res, err := s.Scan(ctx, store.ScanOptions{}); err != nil || len(res.Attachments)+len(res.Findings) != 0 {
			t.Errorf("scan after trash: %v %+v", err, res)
		}
		trashed, err := s.TrashedIDs(ctx)
		if err != nil || !trashed[a] || !trashed[b] || len(trashed) != 2 {
			t.Errorf("TrashedIDs %v %v", trashed, err)
		}
		assertLashKeys(t, s)

		rep, err := s.Restore(ctx, nil, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkOutcomes(t, rep, map[string]store.RestoreOutcome{
			"blob " + a.Short(): store.OutcomeRestored, "sidecar " + a.Short(): store.OutcomeRestored,
			"blob " + b.Short(): store.OutcomeRestored, "sidecar " + b.Short(): store.OutcomeRestored,
		})
		if !bytes.Equal(getKey(t, s, store.BlobKey(a)), dataA) || !bytes.Equal(getKey(t, s, store.BlobKey(b)), dataB) ||
			!bytes.Equal(getKey(t, s, store.SidecarKey(a)), sideA) {
			t.Error("restored bytes differ")
		}
		if at, ok := attachment(t, s, a); !ok || at.Status != store.StatusOK || *at.Label != "a" {
			t.Errorf("after restore: %+v", at)
		}
		if _, err := s.Restore(ctx, nil, store.TrashOptions{}); !errors.Is(err, store.ErrNothingToRestore) {
			t.Errorf("a second undo: %v", err)
		}
		assertLashKeys(t, s)

		// By id: from the newest batch holding it, the rest stays.
		if _, err := s.Trash(ctx, []store.ID{a}, store.TrashOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Trash(ctx, []store.ID{b}, store.TrashOptions{}); err != nil {
			t.Fatal(err)
		}
		rep, err = s.Restore(ctx, []store.ID{a}, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkOutcomes(t, rep, map[string]store.RestoreOutcome{"blob " + a.Short(): store.OutcomeRestored, "sidecar " + a.Short(): store.OutcomeRestored})
		if hasKey(t, s, store.BlobKey(b)) || !hasKey(t, s, store.BlobKey(a)) {
			t.Error("restore by id restored the wrong one")
		}
		if _, err := s.Trash(ctx, []store.ID{idOf([]byte("absent"))}, store.TrashOptions{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("trash of an absent id: %v", err)
		}

		// Emptying: young batches stay, then all go.
		if n, _, err := s.EmptyTrash(ctx, time.Hour); err != nil || n != 0 {
			t.Errorf("EmptyTrash(1h) removed %d: %v", n, err)
		}
		n, size, err := s.EmptyTrash(ctx, 0)
		if err != nil || n != 3 || size < int64(len(dataB)) {
			t.Errorf("EmptyTrash(0) removed %d batches, %d bytes: %v", n, size, err)
		}
		if ks := keys(t, s, store.TrashDir); len(ks) != 0 {
			t.Errorf("left in the trash area: %v", ks)
		}
		if _, err := s.Restore(ctx, []store.ID{b}, store.TrashOptions{}); !errors.Is(err, store.ErrNothingToRestore) {
			t.Errorf("restore after emptying: %v", err)
		}
		assertLashKeys(t, s)
	})
}

// writeJournal records a batch in the trash area by hand, as a Trash
// stopped part-way leaves it.
func writeJournal(t *testing.T, s *store.Objects, b *store.Batch) {
	t.Helper()
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	putKey(t, s, store.TrashDir+b.Serial+"/journal.json", data)
}

// TestObjectsRestoreCrashPoints: a Trash stopped at any point (journal
// written, objects planned; copied and not deleted; copied and deleted;
// the trash copy gone since) is finished by Restore, and the store ends as
// it was before the Trash.
func TestObjectsRestoreCrashPoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, r rig) {
		ctx := t.Context()
		s := r.fresh(t, store.Options{})
		dataA, a := putPair(t, s, 1, "a")
		sideA := getKey(t, s, store.SidecarKey(a))
		serial := "20260101T000000.000000000-1-1"
		item := func(id store.ID, role store.Role, key string) store.BatchItem {
			return store.BatchItem{Action: store.ActionTrash, ID: id, Role: role, Path: key,
				Trashed: store.TrashDir + serial + "/" + key, Planned: true}
		}
		batch := &store.Batch{Serial: serial, Store: s.Where(), Op: "rm", Time: time.Now(), Items: []store.BatchItem{
			item(a, store.RoleBlob, store.BlobKey(a)), item(a, store.RoleSidecar, store.SidecarKey(a)),
		}}
		copyTo := func(src, dst string) {
			t.Helper()
			if err := s.Backend().Copy(ctx, src, dst); err != nil {
				t.Fatal(err)
			}
		}
		del := func(key string) {
			t.Helper()
			if err := s.Backend().Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
		}
		intact := func() {
			t.Helper()
			if !bytes.Equal(getKey(t, s, store.BlobKey(a)), dataA) || !bytes.Equal(getKey(t, s, store.SidecarKey(a)), sideA) {
				t.Error("the attachment is not back as it was")
			}
			assertLashKeys(t, s)
		}

		// 1. The journal is written, nothing moved yet.
		writeJournal(t, s, batch)
		rep, err := s.Restore(ctx, nil, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkOutcomes(t, rep, map[string]store.RestoreOutcome{"blob " + a.Short(): store.OutcomeAlreadyThere, "sidecar " + a.Short(): store.OutcomeAlreadyThere})
		intact()

		// 2. The blob copied into the trash area and not yet deleted.
		batch.Serial = "20260101T000000.000000000-1-2"
		batch.Items = []store.BatchItem{item(a, store.RoleBlob, store.BlobKey(a)), item(a, store.RoleSidecar, store.SidecarKey(a))}
		for i := range batch.Items {
			batch.Items[i].Trashed = store.TrashDir + batch.Serial + "/" + batch.Items[i].Path
		}
		writeJournal(t, s, batch)
		copyTo(store.BlobKey(a), batch.Items[0].Trashed)
		rep, err = s.Restore(ctx, nil, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkOutcomes(t, rep, map[string]store.RestoreOutcome{"blob " + a.Short(): store.OutcomeAlreadyThere, "sidecar " + a.Short(): store.OutcomeAlreadyThere})
		intact()

		// 3. The blob moved (copied and deleted), the sidecar copied only;
		// the journal still says planned.
		batch.Serial = "20260101T000000.000000000-1-3"
		for i := range batch.Items {
			batch.Items[i].Trashed = store.TrashDir + batch.Serial + "/" + batch.Items[i].Path
		}
		writeJournal(t, s, batch)
		copyTo(store.BlobKey(a), batch.Items[0].Trashed)
		del(store.BlobKey(a))
		copyTo(store.SidecarKey(a), batch.Items[1].Trashed)
		rep, err = s.Restore(ctx, nil, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkOutcomes(t, rep, map[string]store.RestoreOutcome{"blob " + a.Short(): store.OutcomeRestored, "sidecar " + a.Short(): store.OutcomeAlreadyThere})
		intact()

		// 4. A finished Trash whose sidecar copy has gone from the trash
		// area since: the blob comes back, the sidecar is reported gone.
		b4, err := s.Trash(ctx, []store.ID{a}, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		del(store.TrashDir + b4.Serial + "/" + store.SidecarKey(a))
		rep, err = s.Restore(ctx, []store.ID{a}, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkOutcomes(t, rep, map[string]store.RestoreOutcome{"blob " + a.Short(): store.OutcomeRestored, "sidecar " + a.Short(): store.OutcomeGone})
		if !bytes.Equal(getKey(t, s, store.BlobKey(a)), dataA) || hasKey(t, s, store.SidecarKey(a)) {
			t.Error("step 4 left the wrong objects")
		}
		assertLashKeys(t, s)
	})
}

// TestObjectsRestoreBlobOnly: in a store newer lash writes, a trashed
// sidecar stays in the trash area (lash would delete it), the blob comes
// back; a different healthy blob in place is kept.
func TestObjectsRestoreBlobOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, r rig) {
		ctx := t.Context()
		s := r.fresh(t, store.Options{NewerLash: true})
		data := pngOf(t, 2, 2, 7)
		id := idOf(data)
		putKey(t, s, store.BlobKey(id), data)
		putKey(t, s, store.SidecarKey(id), []byte(`{"id":"`+string(id)+`"}`))
		if _, err := s.Trash(ctx, []store.ID{id}, store.TrashOptions{}); err != nil {
			t.Fatal(err)
		}
		rep, err := s.Restore(ctx, nil, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkOutcomes(t, rep, map[string]store.RestoreOutcome{"blob " + id.Short(): store.OutcomeRestored, "sidecar " + id.Short(): store.OutcomeLeftInTrash})
		if !bytes.Equal(getKey(t, s, store.BlobKey(id)), data) {
			t.Error("blob not restored")
		}
		assertLashKeys(t, s)
	})
}

// TestObjectsVerify: every blob is hashed and decoded as a folder's
// Verify does; an object under a wrong id is corrupt, a cut image
// undecodable, a blob-only PDF checked for its hash only.
func TestObjectsVerify(t *testing.T) {
	eachBackend(t, func(t *testing.T, r rig) {
		ctx := t.Context()
		s := r.fresh(t, store.Options{})
		_, good := putPair(t, s, 1, "good")
		other := pngOf(t, 3, 3, 2)
		_, wrong := putPair(t, s, 3, "wrong")
		putKey(t, s, store.BlobKey(wrong), other) // bytes of another image under its id
		cut := pngOf(t, 40, 40, 4)
		cut = cut[:len(cut)/2]
		cutID := idOf(cut)
		putKey(t, s, store.BlobKey(cutID), cut)
		meta := store.Sidecar{ID: string(cutID), MediaType: store.MediaType("png"), ByteLen: uint64(len(cut))}
		putKey(t, s, store.SidecarKey(cutID), meta.Encode())

		var last store.VerifyProgress
		rep, err := s.Verify(ctx, store.VerifyOptions{Workers: 2, Progress: func(p store.VerifyProgress) { last = p }})
		if err != nil {
			t.Fatal(err)
		}
		want := map[store.ID]store.VerifyStatus{good: store.VerifyOK, wrong: store.VerifyCorrupt, cutID: store.VerifyUndecodable}
		got := map[store.ID]store.VerifyStatus{}
		for _, v := range rep.Results {
			got[v.ID] = v.Status
		}
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s: %s, want %s", id.Short(), got[id], w)
			}
		}
		if len(got) != len(want) || last.Files != 3 || last.TotalFiles != 3 || rep.Bytes != last.Bytes || rep.Bytes == 0 {
			t.Errorf("results %v, progress %+v, bytes %d", got, last, rep.Bytes)
		}
		if d, ok := s.Backend().(store.DirBackend); ok {
			// The folder's own Verify says the same of the same folder.
			folder, err := store.Open(d.Root, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			frep, err := folder.Verify(ctx, store.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range frep.Results {
				if o := rep.Results[i]; o.ID != v.ID || o.Status != v.Status || o.Detail != v.Detail || o.MIME != v.MIME || o.Size != v.Size {
					t.Errorf("folder %+v, objects %+v", v, o)
				}
			}
		}

		// Blob-only: any bytes, hashed only.
		b := r.fresh(t, store.Options{NewerLash: true})
		pdf := []byte("%PDF-1.7\nnot an image\n")
		if _, err := b.Put(ctx, bytes.NewReader(pdf), store.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		putKey(t, b, store.BlobKey(idOf([]byte("x"))), []byte("y"))
		rep, err = b.Verify(ctx, store.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got = map[store.ID]store.VerifyStatus{}
		for _, v := range rep.Results {
			got[v.ID] = v.Status
		}
		if got[idOf(pdf)] != store.VerifyOK || got[idOf([]byte("x"))] != store.VerifyCorrupt || len(got) != 2 {
			t.Errorf("blob-only verify: %v", got)
		}
	})
}

// problem finds the doctor's problem at key.
func problem(rep *store.DoctorReport, key string) (store.Problem, bool) {
	for _, p := range rep.Problems {
		if p.Path == key {
			return p, true
		}
	}
	return store.Problem{}, false
}

func TestObjectsDoctor(t *testing.T) {
	eachBackend(t, func(t *testing.T, r rig) {
		ctx := t.Context()
		s := r.fresh(t, store.Options{})
		_, ok := putPair(t, s, 1, "fine")
		// A blob without its sidecar.
		bare := pngOf(t, 2, 2, 2)
		putKey(t, s, store.BlobKey(idOf(bare)), bare)
		// A blob right in sha256/ (misplaced), with no sidecar.
		lost := pngOf(t, 2, 2, 3)
		putKey(t, s, "sha256/"+string(idOf(lost)), lost)
		// A sidecar lash cannot decode, with a label still readable.
		_, bad := putPair(t, s, 4, "keep me")
		putKey(t, s, store.SidecarKey(bad), []byte(`{"label": "keep me", "media_type": 7}`))
		// A sidecar without blob; a corrupt blob without sidecar.
		orphan := idOf([]byte("orphan"))
		putKey(t, s, store.SidecarKey(orphan), []byte(`{"id":"`+string(orphan)+`"}`))
		corrupt := idOf([]byte("corrupt"))
		putKey(t, s, store.BlobKey(corrupt), pngOf(t, 2, 2, 5))
		// Temp litter, a foreign key, a per-session tree.
		tmp := store.BlobKey(ok) + ".staging.1.1.tmp"
		putKey(t, s, tmp, []byte("half"))
		foreign := "sha256/ab/README.txt"
		putKey(t, s, foreign, []byte("notes"))
		tree := "sessions/" + strings.Repeat("c", 64)
		putKey(t, s, tree+"/sha256/ab/"+strings.Repeat("ab", 32), []byte("old"))

		// Report only: nothing changes.
		before := keys(t, s, "")
		rep, err := s.Doctor(ctx, store.DoctorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]store.FixKind{
			store.BlobKey(idOf(bare)):      store.FixWriteSidecar,
			"sha256/" + string(idOf(lost)): store.FixMove,
			store.SidecarKey(bad):          store.FixReplaceSidecar,
			store.SidecarKey(orphan):       store.FixTrash,
			store.BlobKey(corrupt):         store.FixTrashCorrupt,
			tmp:                            store.FixLeaveYoung,
			foreign:                        store.FixNone,
			tree:                           store.FixTrash,
		}
		for key, fix := range want {
			if p, found := problem(rep, key); !found || p.Fix != fix {
				t.Errorf("%s: %+v, want fix %s", key, p, fix)
			}
		}
		if len(rep.Problems) != len(want) {
			t.Errorf("%d problems, want %d: %+v", len(rep.Problems), len(want), rep.Problems)
		}
		if after := keys(t, s, ""); strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Errorf("a report changed the store:\n%v\n%v", before, after)
		}

		// Fix everything (temps of any age).
		rep, err = s.Doctor(ctx, store.DoctorOptions{Fix: true, MinTempAge: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Batch == nil || rep.Failed() {
			t.Fatalf("fix: batch %v, problems %+v", rep.Batch, rep.Problems)
		}
		for _, k := range []string{tmp, store.SidecarKey(orphan), store.BlobKey(corrupt), "sha256/" + string(idOf(lost)), tree + "/sha256/ab/" + strings.Repeat("ab", 32)} {
			if hasKey(t, s, k) {
				t.Errorf("%s is still there", k)
			}
		}
		if !hasKey(t, s, foreign) {
			t.Error("a foreign key was removed; doctor only reports those")
		}
		for _, id := range []store.ID{idOf(bare), idOf(lost), bad, ok} {
			if a, found := attachment(t, s, id); !found || a.Status != store.StatusOK {
				t.Errorf("%s after the fix: %+v", id.Short(), a)
			}
		}
		if a, _ := attachment(t, s, bad); a.Label == nil || *a.Label != "keep me" {
			t.Errorf("the replaced sidecar lost its label: %+v", a)
		}
		if again, err := s.Doctor(ctx, store.DoctorOptions{}); err != nil || len(again.Problems) != 1 {
			t.Errorf("after the fix: %v %+v", err, again.Problems)
		}
		if err := s.Backend().Delete(ctx, foreign); err != nil {
			t.Fatal(err)
		}
		assertLashKeys(t, s)

		// The batch is undone whole: the store is as before the fix.
		res, err := s.Restore(ctx, nil, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() {
			t.Fatalf("undo: %+v", res.Items)
		}
		putKey(t, s, foreign, []byte("notes"))
		if after := keys(t, s, ""); strings.Join(filterTrash(after), "\n") != strings.Join(before, "\n") {
			t.Errorf("undo left\n%v\nwant\n%v", filterTrash(after), before)
		}
	})
}

func filterTrash(ks []string) []string {
	var out []string
	for _, k := range ks {
		if !strings.HasPrefix(k, store.TrashDir) {
			out = append(out, k)
		}
	}
	return out
}

// TestObjectsDoctorBlobOnly: where newer lash writes, a sidecar goes to
// the trash area and none is written.
func TestObjectsDoctorBlobOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, r rig) {
		ctx := t.Context()
		s := r.fresh(t, store.Options{NewerLash: true})
		data := pngOf(t, 2, 2, 1)
		id := idOf(data)
		putKey(t, s, store.BlobKey(id), data)
		putKey(t, s, store.SidecarKey(id), []byte("not json"))
		bare := []byte("%PDF-1.7\n")
		putKey(t, s, store.BlobKey(idOf(bare)), bare)
		rep, err := s.Doctor(ctx, store.DoctorOptions{Fix: true})
		if err != nil {
			t.Fatal(err)
		}
		if p, found := problem(rep, store.SidecarKey(id)); !found || p.Fix != store.FixTrash || !p.Fixed {
			t.Errorf("sidecar in a blob-only store: %+v", p)
		}
		if len(rep.Problems) != 1 {
			t.Errorf("problems %+v", rep.Problems)
		}
		assertLashKeys(t, s)
		// Undo leaves the sidecar in the trash area: lash would delete it.
		res, err := s.Restore(ctx, nil, store.TrashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 1 || res.Items[0].Outcome != store.OutcomeLeftInTrash {
			t.Errorf("undo: %+v", res.Items)
		}
		assertLashKeys(t, s)
	})
}
