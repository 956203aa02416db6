package watcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"lashview/internal/fixture"
	"lashview/internal/testbin"
	"lashview/store"
)

// Two other processes put 1,000 attachments as fast as they can: `lashview
// put` (the store's staging temp in sha256/, renamed into the prefix
// folder) and a lash-style writer (<id>.tmp renamed in the prefix folder).
// Each is reported added exactly once, never before its blob is complete,
// and the view ends equal to a fresh scan.
func TestThousandPutsByOtherProcesses(t *testing.T) {
	const perWriter = 500
	bin := testbin.Lashview(t)
	root := fixture.Copy(t, "clean")
	h := newHarness(t, root, Options{})

	want := map[store.ID]bool{}
	for i := 0; i < 2*perWriter; i++ {
		want[idOfBytes(pngBytes(i))] = true
	}
	added := map[store.ID]int{}
	h.onBatch = func(b Batch, _ time.Time) {
		for _, e := range b.Events {
			switch e.Kind {
			case Added:
				added[e.ID]++
				if !want[e.ID] {
					t.Errorf("added %s, which no writer put", e.ID)
				}
				// The blob is complete the moment its id is reported.
				got, n, err := store.HashFile(h.s.Layout().Blob(e.ID))
				if err != nil || got != e.ID {
					t.Errorf("added %s, but its blob hashes to %s (%d bytes, %v)", e.ID, got, n, err)
				}
				if !e.Attachment.HasBlob || e.Attachment.Size != n {
					t.Errorf("added %s with size %d, blob has %d", e.ID, e.Attachment.Size, n)
				}
			case Removed:
				t.Errorf("removed %s, but nothing was removed", e.ID)
			}
		}
	}

	files := writeFiles(t, 0, perWriter)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; k < perWriter; k += 100 {
			runPut(t, bin, root, files[k:k+100])
		}
	}()
	helper := startHelper(t, root, perWriter, perWriter, true, 0)
	var writersDone atomic.Bool
	go func() {
		wg.Wait()
		<-helper.read
		writersDone.Store(true)
	}()
	start := time.Now()
	h.waitUntil("every put reported", func() bool { return len(added) == len(want) && writersDone.Load() })
	t.Logf("1000 puts by two processes reported in %v, %d batches", time.Since(start), h.batches)
	helper.finish(t)
	h.converge()
	for id := range want {
		if added[id] != 1 {
			t.Errorf("%s reported added %d times", id, added[id])
		}
	}
	h.closeNoLeak()
}

// A prefix folder that receives files before its watch exists misses
// nothing: the reader is held while the folders are made and filled, so
// each watch is added only after its files are there.
func TestPrefixFilledBeforeItsWatch(t *testing.T) {
	root := fixture.Copy(t, "clean")
	hold := make(chan struct{})
	h := newHarness(t, root, Options{hold: hold})
	existing := map[string]bool{}
	entries, _ := os.ReadDir(filepath.Join(root, "sha256"))
	for _, e := range entries {
		existing[e.Name()] = true
	}
	want := map[store.ID]bool{}
	for i := 0; len(want) < 40; i++ {
		data := pngBytes(10000 + i)
		id := idOfBytes(data)
		if existing[id.Prefix()] {
			continue
		}
		if _, _, err := lashPut(root, data, "early", false); err != nil {
			t.Fatal(err)
		}
		want[id] = true
	}
	added := map[store.ID]int{}
	h.onBatch = func(b Batch, _ time.Time) {
		for _, e := range b.Events {
			if e.Kind == Added {
				added[e.ID]++
			}
		}
	}
	close(hold)
	h.converge()
	for id := range want {
		if added[id] != 1 {
			t.Errorf("%s in a new prefix folder reported added %d times", id, added[id])
		}
	}
}

// A root with no sha256/ yet (and a root that does not exist yet) is
// followed until the store's first put, and sha256/ is picked up.
func TestStoreCreatedWhileWatched(t *testing.T) {
	for _, missing := range []string{"sha256", "root"} {
		t.Run("missing "+missing, func(t *testing.T) {
			base := t.TempDir()
			root := filepath.Join(base, "deep", "attachments")
			if missing == "sha256" {
				if err := os.MkdirAll(root, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			h := newHarness(t, root, Options{})
			if h.view.Len() != 0 {
				t.Fatalf("empty store lists %d attachments", h.view.Len())
			}
			s := store.New(root)
			var ids []store.ID
			for i := 0; i < 5; i++ {
				label := "first"
				m, err := s.Put(context.Background(), strings.NewReader(string(pngBytes(20000+i))), store.PutOptions{Label: &label})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, store.ID(m.ID))
			}
			h.converge()
			for _, id := range ids {
				if a, ok := h.view.Get(id); !ok || a.Status != store.StatusOK {
					t.Errorf("%s: in view %v, status %q", id, ok, a.Status)
				}
			}
			h.closeNoLeak()
		})
	}
}

// A sidecar that follows its blob is a change; so are a rewritten sidecar,
// a replaced blob, a removed sidecar and a removed blob. The last file
// gone removes the id.
func TestBlobAndSidecarLifecycle(t *testing.T) {
	root := fixture.Copy(t, "clean")
	h := newHarness(t, root, Options{})
	s, l := h.s, h.s.Layout()
	data := pngBytes(30000)
	id := idOfBytes(data)
	var last []Kind
	h.onBatch = func(b Batch, _ time.Time) {
		for _, e := range b.Events {
			if e.ID == id {
				last = append(last, e.Kind)
			}
		}
	}
	// step changes the store, waits until the view shows the id as Examine
	// does, and checks the one event that told it.
	step := func(name string, want Kind, change func() error) {
		t.Helper()
		last = nil
		if err := change(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h.waitUntil(name, func() bool {
			a, exists := s.Examine(id)
			got, inView := h.view.Get(id)
			return exists == inView && (!exists || a.Same(got))
		})
		if len(last) != 1 || last[0] != want {
			t.Errorf("%s: events %v, want [%s]", name, last, want)
		}
	}
	mustStatus := func(st store.Status) {
		t.Helper()
		if a, _ := h.view.Get(id); a.Status != st {
			t.Errorf("status %q, want %q", a.Status, st)
		}
	}
	step("blob renamed in", Added, func() error {
		if err := os.MkdirAll(l.PrefixDir(id), 0o755); err != nil {
			return err
		}
		return writeRename(l.Blob(id), data, false)
	})
	mustStatus(store.StatusMissingMeta)
	label := "later"
	step("sidecar follows", Changed, func() error {
		_, err := s.Put(context.Background(), strings.NewReader(string(data)), store.PutOptions{Label: &label})
		return err
	})
	mustStatus(store.StatusOK)
	step("sidecar rewritten", Changed, func() error { _, err := s.SetLabel(id, "relabelled"); return err })
	if a, _ := h.view.Get(id); a.Label == nil || *a.Label != "relabelled" {
		t.Errorf("label %v after SetLabel", a.Label)
	}
	step("blob replaced", Changed, func() error { return writeRename(l.Blob(id), append(data, 0), false) })
	mustStatus(store.StatusMetaMismatch)
	step("sidecar removed", Changed, func() error { return os.Remove(l.Sidecar(id)) })
	mustStatus(store.StatusMissingMeta)
	step("sidecar back, blob removed", Changed, func() error {
		if _, err := s.SetLabel(id, "x"); err == nil {
			return errors.New("SetLabel on a corrupt blob succeeded")
		}
		meta := store.Sidecar{ID: string(id), MediaType: store.PNG, ByteLen: uint64(len(data))}
		if err := writeRename(l.Sidecar(id), meta.Encode(), false); err != nil {
			return err
		}
		// Wait for the sidecar before the blob goes, so each is one step.
		h.waitUntil("sidecar back", func() bool { a, _ := h.view.Get(id); return a.HasSidecar })
		last = nil
		return os.Remove(l.Blob(id))
	})
	mustStatus(store.StatusOrphanMeta)
	step("sidecar removed too", Removed, func() error { return os.Remove(l.Sidecar(id)) })
	h.converge()
}

// Within one batch, events for an id coalesce into what changed since the
// consumer last heard: added then changed is one Added with the latest
// state; added then removed is nothing; a known id removed is Removed.
func TestCoalesceWithinBatch(t *testing.T) {
	root := fixture.Copy(t, "clean")
	s := store.New(root)
	res, err := s.Scan(context.Background(), store.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w := &Watcher{st: s, root: root, dir: filepath.Join(root, "sha256"), known: newKnownIDs(), prints: newFingerprints(), perPrefix: map[string]int{}, present: true}
	for _, a := range res.Attachments {
		w.remember(a)
	}
	known := res.Attachments
	gone, relabelled, untouched := known[0].ID, known[1].ID, known[2].ID

	// Added, then its sidecar (changed): one Added with the sidecar's label.
	addedID, _, err := lashPut(root, pngBytes(40000), "latest", false)
	if err != nil {
		t.Fatal(err)
	}
	// Added, then removed: nothing.
	flashID, _, err := lashPut(root, pngBytes(40001), "gone again", false)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(s.Layout().Blob(flashID))
	os.Remove(s.Layout().Sidecar(flashID))
	os.Remove(s.Layout().Blob(gone))
	os.Remove(s.Layout().Sidecar(gone))
	if _, err := s.SetLabel(relabelled, "new label"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	p := pending{ids: map[store.ID]time.Time{addedID: t0, flashID: t0, gone: t0, relabelled: t0, untouched: t0}}
	b, ok := w.process(p)
	if !ok {
		t.Fatal("no batch")
	}
	got := map[store.ID]Event{}
	for _, e := range b.Events {
		if _, dup := got[e.ID]; dup {
			t.Errorf("two events for %s in one batch", e.ID)
		}
		got[e.ID] = e
	}
	if e := got[addedID]; e.Kind != Added || e.Attachment.Status != store.StatusOK || e.Attachment.Label == nil || *e.Attachment.Label != "latest" {
		t.Errorf("added+changed: %+v", e)
	}
	if e, ok := got[flashID]; ok {
		t.Errorf("added+removed reported: %v", e.Kind)
	}
	// A Removed event carries the id and, as last reported, the status,
	// size and time (what a consumer may show of a gone attachment).
	if e := got[gone]; e.Kind != Removed || e.Attachment.ID != gone || e.Attachment.Status != known[0].Status ||
		e.Attachment.Size != known[0].Size || !e.Attachment.Modified.Equal(known[0].Modified) {
		t.Errorf("known and removed: %+v, was %+v", e, known[0])
	}
	if e := got[relabelled]; e.Kind != Changed || *e.Attachment.Label != "new label" {
		t.Errorf("relabelled: %+v", e)
	}
	if e, ok := got[untouched]; ok {
		t.Errorf("untouched id reported: %v", e.Kind)
	}
	if len(b.Events) != 3 {
		t.Errorf("%d events, want 3", len(b.Events))
	}
	if b, ok := w.process(pending{ids: map[store.ID]time.Time{untouched: t0}}); ok {
		t.Errorf("a batch for an unchanged id: %+v", b)
	}
}

// waitRescan applies batches until one holds a rescan whose reason
// contains substr.
func (h *harness) waitRescan(substr string) {
	h.t.Helper()
	seen := false
	prev := h.onBatch
	h.onBatch = func(b Batch, at time.Time) {
		for _, e := range b.Events {
			if e.Kind == Rescan && strings.Contains(e.Reason, substr) {
				if b.Scan == nil {
					h.t.Errorf("rescan batch without its listing")
				}
				seen = true
			}
		}
		if prev != nil {
			prev(b, at)
		}
	}
	h.waitUntil(fmt.Sprintf("rescan (%q)", substr), func() bool { return seen })
	h.onBatch = prev
}

// The kernel's queue really overflows: the reader is held while far more
// events happen than the queue holds (its limit lowered for this watcher
// when /proc/sys/fs/inotify/max_queued_events is writable). A rescan
// follows and the view converges.
func TestOverflowKernel(t *testing.T) {
	root := fixture.Copy(t, "clean")
	puts := 3500 // 8 events each: well over the default 16384 queue plus fsnotify's read buffer
	const limit = maxQueuedEvents
	old, err := os.ReadFile(limit)
	lowered := err == nil && os.WriteFile(limit, old, 0o644) == nil
	if lowered {
		// The limit is system-wide and read when an instance is made: lower
		// it only around this watcher's inotify_init, so no other process
		// gets the small queue.
		orig := newFSWatcher
		newFSWatcher = func() (*fsnotify.Watcher, error) {
			if err := os.WriteFile(limit, []byte("64"), 0o644); err != nil {
				return nil, err
			}
			fw, err := orig()
			if rerr := os.WriteFile(limit, old, 0o644); rerr != nil {
				t.Errorf("restore %s to %s: %v", limit, old, rerr)
			}
			return fw, err
		}
		defer func() { newFSWatcher = orig }()
		puts = 300
	}
	hold := make(chan struct{})
	h := newHarness(t, root, Options{hold: hold})
	t.Logf("queue limit lowered: %v; %d puts", lowered, puts)
	for i := 0; i < puts; i++ {
		if _, _, err := lashPut(root, pngBytes(50000+i), "flood", false); err != nil {
			t.Fatal(err)
		}
	}
	close(hold)
	h.waitRescan("overflowed")
	h.converge()
	for i := 0; i < puts; i++ {
		if _, ok := h.view.Get(idOfBytes(pngBytes(50000 + i))); !ok {
			t.Fatalf("attachment %d missing after the rescan", i)
		}
	}
	h.closeNoLeak()
}

// An overflow injected after events were lost: the rescan finds what no
// event told (additions in new folders, a removal, a relabel) and says it
// with events.
func TestOverflowInjected(t *testing.T) {
	root := fixture.Copy(t, "clean")
	var dropping atomic.Bool
	h := newHarness(t, root, Options{drop: func(fsnotify.Event) bool { return dropping.Load() }})
	known := h.view.Attachments()
	gone, relabelled := known[0].ID, known[1].ID

	dropping.Store(true)
	var added []store.ID
	for i := 0; i < 30; i++ {
		id, _, err := lashPut(h.s.Root(), pngBytes(60000+i), "unseen", false)
		if err != nil {
			t.Fatal(err)
		}
		added = append(added, id)
	}
	os.Remove(h.s.Layout().Blob(gone))
	os.Remove(h.s.Layout().Sidecar(gone))
	if _, err := h.s.SetLabel(relabelled, "unseen label"); err != nil {
		t.Fatal(err)
	}
	dropping.Store(false)
	kinds := map[store.ID]Kind{}
	h.onBatch = func(b Batch, _ time.Time) {
		for _, e := range b.Events {
			kinds[e.ID] = e.Kind
		}
	}
	h.w.fsw.Errors <- fsnotify.ErrEventOverflow
	h.waitRescan("overflowed")
	h.converge()
	for _, id := range added {
		if kinds[id] != Added {
			t.Errorf("%s: %q, want added", id, kinds[id])
		}
	}
	if kinds[gone] != Removed || kinds[relabelled] != Changed {
		t.Errorf("removed: %q, relabelled: %q", kinds[gone], kinds[relabelled])
	}
	// The watches for the folders made while events were lost work now.
	id, _, err := lashPut(h.s.Root(), pngBytes(60000+100), "after", false)
	if err != nil {
		t.Fatal(err)
	}
	h.waitUntil("a put after the rescan", func() bool { _, ok := h.view.Get(id); return ok })
	h.closeNoLeak()
}

// The root deleted and made again, and the root moved away and replaced,
// while watched: each is a rescan, and the view follows the new folder
// (never the old one's watches).
func TestRootDeletedAndRecreated(t *testing.T) {
	for _, how := range []string{"deleted", "moved"} {
		t.Run(how, func(t *testing.T) {
			root := fixture.Copy(t, "clean")
			h := newHarness(t, root, Options{})
			if how == "deleted" {
				if err := os.RemoveAll(root); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Rename(root, root+".old"); err != nil {
				t.Fatal(err)
			}
			h.waitRescan("deleted or moved away")
			h.waitUntil("an empty view", func() bool { return h.view.Len() == 0 })
			if err := os.Mkdir(root, 0o755); err != nil {
				t.Fatal(err)
			}
			h.waitRescan("appeared")
			var ids []store.ID
			for i := 0; i < 10; i++ {
				id, _, err := lashPut(root, pngBytes(70000+i), "new root", false)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
				if how == "moved" {
					// Writes into the old folder must not count.
					if _, _, err := lashPut(root+".old", pngBytes(71000+i), "old root", false); err != nil {
						t.Fatal(err)
					}
				}
			}
			h.converge()
			if h.view.Len() != len(ids) {
				t.Errorf("view has %d attachments, want %d", h.view.Len(), len(ids))
			}
			h.closeNoLeak()
		})
	}
}

// sha256/ deleted while watched is a rescan; the next put brings it back.
func TestSha256DeletedAndRecreated(t *testing.T) {
	root := fixture.Copy(t, "clean")
	h := newHarness(t, root, Options{})
	if err := os.RemoveAll(filepath.Join(root, "sha256")); err != nil {
		t.Fatal(err)
	}
	h.waitRescan("sha256 was deleted")
	h.waitUntil("an empty view", func() bool { return h.view.Len() == 0 })
	id, _, err := lashPut(root, pngBytes(80000), "back", false)
	if err != nil {
		t.Fatal(err)
	}
	h.waitUntil("the new put", func() bool { _, ok := h.view.Get(id); return ok })
	h.converge()
	h.closeNoLeak()
}

// Close while a writer is busy leaves no goroutine behind (checked in
// closeNoLeak by goleak), and closes Batches.
func TestCloseWhileBusy(t *testing.T) {
	root := fixture.Copy(t, "clean")
	helper := startHelper(t, root, 90000, 500, false, 0)
	// The writer's own goroutines (reading its output) are not ours.
	writer := goleak.IgnoreCurrent()
	h := newHarness(t, root, Options{})
	// Take a batch or two, then stop reading and close mid-stream.
	h.waitUntil("some events", func() bool { return h.view.Len() > 17 })
	h.closeNoLeak(writer)
	helper.finish(t)
}

// A watch the kernel refuses (ENOSPC: max_user_watches) is a clear error in
// a batch; the folder's files are still listed.
func TestWatchLimit(t *testing.T) {
	root := fixture.Copy(t, "clean")
	data, id := newPrefixData(t, root, 100000)
	orig := addWatch
	addWatch = func(fsw *fsnotify.Watcher, path string) error {
		if filepath.Base(path) == id.Prefix() {
			return fmt.Errorf("%w", syscall.ENOSPC)
		}
		return orig(fsw, path)
	}
	t.Cleanup(func() { addWatch = orig })
	h := newHarness(t, root, Options{})
	if _, _, err := lashPut(root, data, "unwatched", false); err != nil {
		t.Fatal(err)
	}
	h.waitUntil("the limit error", func() bool { return len(h.errs) > 0 })
	err := h.errs[0]
	t.Log(err)
	if !errors.Is(err, ErrWatchLimit) {
		t.Fatalf("error %v is not ErrWatchLimit", err)
	}
	for _, want := range []string{"/proc/sys/fs/inotify/max_user_watches", "sysctl fs.inotify.max_user_watches=", filepath.Join(root, "sha256", id.Prefix())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	h.waitUntil("the put in the unwatched folder", func() bool { _, ok := h.view.Get(id); return ok })
	h.w.Close()
	addWatch = orig
}

// The kernel refusing an inotify instance (EMFILE: max_user_instances)
// fails New with a clear error.
func TestInstanceLimit(t *testing.T) {
	orig := newFSWatcher
	newFSWatcher = func() (*fsnotify.Watcher, error) {
		return nil, fmt.Errorf("couldn't initialize inotify: %w", syscall.EMFILE)
	}
	defer func() { newFSWatcher = orig }()
	_, _, err := New(context.Background(), store.New(t.TempDir()), Options{})
	if !errors.Is(err, ErrWatchLimit) || !strings.Contains(err.Error(), "max_user_instances") || !strings.Contains(err.Error(), "sysctl fs.inotify.max_user_instances=") {
		t.Fatalf("New: %v", err)
	}
}

// A store on NFS is watched, with a first batch that says its events are
// incomplete.
func TestUnreliableFilesystem(t *testing.T) {
	orig := statfs
	statfs = func(path string, st *unix.Statfs_t) error {
		if err := orig(path, st); err != nil {
			return err
		}
		st.Type = 0x6969
		return nil
	}
	defer func() { statfs = orig }()
	root := fixture.Copy(t, "clean")
	h := newHarness(t, root, Options{})
	h.waitUntil("the filesystem warning", func() bool { return len(h.errs) > 0 })
	if err := h.errs[0]; !errors.Is(err, ErrUnreliableEvents) || !strings.Contains(err.Error(), "NFS") || !strings.Contains(err.Error(), root) {
		t.Fatalf("error %v", err)
	}
	h.w.Close()
}

// A person's Refresh is a rescan with their reason.
func TestRescanOnRequest(t *testing.T) {
	root := fixture.Copy(t, "clean")
	h := newHarness(t, root, Options{})
	h.w.Rescan("refresh asked for")
	h.waitRescan("refresh asked for")
	h.converge()
	h.closeNoLeak()
}

func newPrefixData(t *testing.T, root string, from int) ([]byte, store.ID) {
	t.Helper()
	for i := from; ; i++ {
		data := pngBytes(i)
		id := idOfBytes(data)
		if _, err := os.Stat(filepath.Join(root, "sha256", id.Prefix())); os.IsNotExist(err) {
			return data, id
		}
	}
}

func TestIDOf(t *testing.T) {
	id := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name, prefix string
		ok           bool
	}{
		{id, "ab", true},
		{id + ".json", "ab", true},
		{id, "cd", false},
		{id + ".tmp", "ab", false},
		{id + ".json.tmp", "ab", false},
		{id + ".staging.12.3.tmp", "ab", false},
		{id + ".json.staging.12.3.tmp", "ab", false},
		{strings.ToUpper(id), "AB", false},
		{id[:63], "ab", false},
		{id + ".jsonx", "ab", false},
		{"put.staging.1.2.tmp", "pu", false},
	} {
		got, ok := idOf(c.name, c.prefix)
		if ok != c.ok || (ok && string(got) != id) {
			t.Errorf("idOf(%q, %q) = %q, %v", c.name, c.prefix, got, ok)
		}
	}
}

func TestIsOnPath(t *testing.T) {
	for _, c := range []struct {
		p, target string
		want      bool
	}{
		{"/a/b", "/a/b/c", true},
		{"/a/b/c", "/a/b/c", true},
		{"/a/bc", "/a/b/c", false},
		{"/", "/a", true},
		{"/a/b/c/d", "/a/b/c", false},
	} {
		if got := isOnPath(c.p, c.target); got != c.want {
			t.Errorf("isOnPath(%q, %q) = %v", c.p, c.target, got)
		}
	}
}
