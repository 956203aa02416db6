package thumbs

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"lashview/internal/fixture"
	"lashview/store"
)

const photoID store.ID = "93d6c90629706506b56c2be0264d7e732d96810adba3be7df9ae39b6207d55a2"

// A disk cache hit does not decode the blob: after the first thumbnail the
// blob is deleted, and a fresh cache (empty memory) still serves it.
func TestDiskHitDoesNotDecode(t *testing.T) {
	root := fixture.Copy(t, "clean")
	dir := t.TempDir()
	c, _ := newTestCache(t, root, Options{Dir: dir})
	first, err := c.Get(context.Background(), photoID, 256)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	want := filepath.Join(dir, "256", "93", string(photoID)+".jpg")
	if _, err := os.Stat(want); err != nil {
		t.Fatalf("thumbnail not at %s: %v (cache holds %v)", want, err, listFiles(t, dir))
	}
	if err := os.Remove(store.Layout{Root: root}.Blob(photoID)); err != nil {
		t.Fatal(err)
	}
	c2, o2 := newTestCache(t, root, Options{Dir: dir})
	img, err := c2.Get(context.Background(), photoID, 256)
	if err != nil {
		t.Fatalf("disk hit: %v", err)
	}
	if img.Bounds().Size() != first.Bounds().Size() {
		t.Errorf("disk hit %v, first %v", img.Bounds().Size(), first.Bounds().Size())
	}
	if s := c2.Stats(); s.Decodes != 0 || s.DiskHits != 1 || o2.opens.Load() != 0 {
		t.Errorf("stats %+v, opens %d: want one disk hit, no decode, no open", s, o2.opens.Load())
	}
	// Another size is another thumbnail: it needs the (now missing) blob,
	// and that is a read error, not a remembered failure.
	_, err = c2.Get(context.Background(), photoID, 128)
	var f *Failure
	if err == nil || errors.As(err, &f) {
		t.Errorf("missing blob: %v, want a plain error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "128", "93", string(photoID)+".fail")); err == nil {
		t.Error("a missing blob was remembered as a failure")
	}
}

// gate is an Opener that blocks every open until released and records the
// order of opens.
type gate struct {
	inner   Opener
	release chan struct{}
	started chan store.ID
	mu      sync.Mutex
	order   []store.ID
}

func newGate(inner Opener) *gate {
	return &gate{inner: inner, release: make(chan struct{}), started: make(chan store.ID, 100)}
}

func (g *gate) open(id store.ID) (io.ReadCloser, error) {
	g.mu.Lock()
	g.order = append(g.order, id)
	g.mu.Unlock()
	g.started <- id
	<-g.release
	return g.inner(id)
}

func (g *gate) opened() []store.ID {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]store.ID(nil), g.order...)
}

// results collects OnResult calls.
type results struct {
	mu  sync.Mutex
	got []Result
	ch  chan Result
}

func newResults() *results { return &results{ch: make(chan Result, 100)} }

func (r *results) add(res Result) {
	r.mu.Lock()
	r.got = append(r.got, res)
	r.mu.Unlock()
	r.ch <- res
}

func (r *results) wait(t *testing.T, n int) []Result {
	t.Helper()
	var out []Result
	for len(out) < n {
		select {
		case res := <-r.ch:
			out = append(out, res)
		case <-time.After(30 * time.Second):
			t.Fatalf("waited for %d results, got %d", n, len(out))
		}
	}
	return out
}

// Cancelled requests, and requests for items scrolled away, do no work.
func TestCancelledRequestsDoNoWork(t *testing.T) {
	root := fixtureStore(t, "clean")
	ids := quickIDs(t, root)
	o := &storeOpener{root: root}
	g := newGate(o.open)
	res := newResults()
	c, _ := newTestCache(t, root, Options{Open: g.open, Workers: 1, OnResult: res.add})

	c.Request(ids[0], 64) // the worker takes it and blocks in open
	if id := <-g.started; id != ids[0] {
		t.Fatalf("first open %s", id.Short())
	}
	for _, id := range ids[1:6] {
		if _, done := c.Request(id, 64); done {
			t.Fatalf("%s: done at once", id.Short())
		}
	}
	c.Cancel(ids[2])
	c.SetVisible([]store.ID{ids[0], ids[1], ids[5]}) // 3 and 4 scrolled away
	close(g.release)
	got := res.wait(t, 3)
	seen := map[store.ID]bool{}
	for _, r := range got {
		if r.Err != nil {
			t.Errorf("%s: %v", r.ID.Short(), r.Err)
		}
		seen[r.ID] = true
	}
	for _, id := range []store.ID{ids[0], ids[1], ids[5]} {
		if !seen[id] {
			t.Errorf("no result for %s", id.Short())
		}
	}
	time.Sleep(50 * time.Millisecond) // a stray result would arrive by now
	if s := c.Stats(); s.Decodes != 3 || s.Cancelled != 3 || len(g.opened()) != 3 || len(res.ch) != 0 {
		t.Errorf("stats %+v, opens %d, extra results %d: want 3 decodes, 3 cancelled", s, len(g.opened()), len(res.ch))
	}
}

// On-screen requests go first, then the newest.
func TestPriorityVisibleThenNewest(t *testing.T) {
	root := fixtureStore(t, "clean")
	ids := quickIDs(t, root)
	o := &storeOpener{root: root}
	g := newGate(o.open)
	res := newResults()
	c, _ := newTestCache(t, root, Options{Open: g.open, Workers: 1, OnResult: res.add})

	c.SetVisible([]store.ID{ids[0], ids[2]})
	c.Request(ids[0], 64)
	<-g.started
	c.Request(ids[1], 64) // prefetch, oldest
	c.Request(ids[2], 64) // visible
	c.Request(ids[3], 64) // prefetch
	c.Request(ids[4], 64) // prefetch, newest
	c.Request(ids[1], 64) // asked again: now the newest
	close(g.release)
	res.wait(t, 5)
	want := []store.ID{ids[0], ids[2], ids[1], ids[4], ids[3]}
	if got := g.opened(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("order %v,\nwant  %v", got, want)
	}
}

// The memory cache never holds more than its bound, and keeps the most
// recently used.
func TestMemoryCacheBound(t *testing.T) {
	const bound = 1 << 20
	m := newMemCache(bound)
	rng := rand.New(rand.NewSource(1))
	var keep key
	for i := 0; i < 500; i++ {
		w, h := 1+rng.Intn(300), 1+rng.Intn(300)
		k := key{store.ID(fmt.Sprintf("%064x", i)), 256}
		m.put(k, image.NewNRGBA(image.Rect(0, 0, w, h)), nil)
		if i == 0 {
			keep = k
		}
		m.get(keep) // used all the time: must survive
		used, _ := m.size()
		if used > bound {
			t.Fatalf("after %d puts: %d bytes, bound %d", i+1, used, bound)
		}
	}
	if _, ok := m.get(keep); !ok {
		t.Error("the most recently used entry was evicted")
	}
	m.put(key{"x", 1}, image.NewNRGBA(image.Rect(0, 0, 1024, 1024)), nil) // 4 MiB: larger than the bound
	if _, ok := m.get(key{"x", 1}); ok {
		t.Error("an entry larger than the bound was stored")
	}
	var sum int64
	for _, el := range m.items {
		sum += el.Value.(*memEntry).bytes
	}
	if used, _ := m.size(); used != sum || used > bound {
		t.Errorf("accounted %d, entries hold %d, bound %d", used, sum, bound)
	}
}

// Through the Cache: thumbnails of the whole fixture in a small memory
// bound stay within it.
func TestCacheMemoryBound(t *testing.T) {
	root := fixtureStore(t, "clean")
	const bound = 300 << 10
	c, _ := newTestCache(t, root, Options{MemoryBytes: bound})
	for _, id := range quickIDs(t, root) {
		if _, err := c.Get(context.Background(), id, 256); err != nil {
			t.Fatal(err)
		}
		if s := c.Stats(); s.MemBytes > bound {
			t.Fatalf("memory cache %d bytes, bound %d", s.MemBytes, bound)
		}
	}
}

// Fill makes every thumbnail once: a second run generates nothing.
func TestFillTwice(t *testing.T) {
	root := fixture.Copy(t, "messy") // the copy has a real symbolic link
	ids := quickIDs(t, root)
	ids = append(ids,
		"36c35aefb0a65453bfa78f8938699672456ae67ac57f63fa6702654f40d8b096", // sidecar, no blob
		"fe1b22274afa502812e69993d9fab118841dde668bff931f200adde196db181f", // blob is a link out of the store
	)
	c, _ := newTestCache(t, root, Options{})
	var calls, lastDone int
	st, err := c.Fill(context.Background(), ids, 256, func(done, total, generated int) {
		calls++
		if done < lastDone || total != len(ids) || generated > done {
			t.Errorf("progress %d/%d (%d generated) after %d", done, total, generated, lastDone)
		}
		lastDone = done
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first fill: %+v", st)
	if st.Done != len(ids) || calls != len(ids) || st.Generated == 0 || st.Failed != 2 || st.NotImages != 2 || st.Unreadable != 2 || st.Cached != 0 {
		t.Errorf("first fill %+v (progress calls %d): want all done, 2 failed (1 truncated, 1 corrupt), 2 no images (empty, text), 2 unreadable", st, calls)
	}
	if c.Stats().MemItems != 0 {
		t.Error("Fill filled the memory cache")
	}
	st2, err := c.Fill(context.Background(), ids, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Generated != 0 || st2.Cached != st.Generated || st2.Remembered != st.Failed || st2.NotImages != st.NotImages || st2.Unreadable != 2 {
		t.Errorf("second fill %+v, want nothing generated, %d cached, %d remembered", st2, st.Generated, st.Failed)
	}
}

// A cancelled fill stops and says so.
func TestFillCancelled(t *testing.T) {
	root := fixtureStore(t, "clean")
	c, _ := newTestCache(t, root, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	st, err := c.Fill(ctx, quickIDs(t, root), 256, func(done, total, generated int) {
		if done == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || st.Done >= st.Total {
		t.Errorf("stats %+v, err %v: want a cancelled, partial fill", st, err)
	}
}

// A cache that cannot be written still serves thumbnails, and says why it
// cannot keep them; Fill stops with the error.
func TestUnwritableCache(t *testing.T) {
	root := fixtureStore(t, "clean")
	blocker := filepath.Join(t.TempDir(), "thumbs")
	if err := os.WriteFile(blocker, []byte("a file where the cache folder should be"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _ := newTestCache(t, root, Options{Dir: blocker})
	img, err := c.Get(context.Background(), photoID, 256)
	if err != nil || img == nil {
		t.Fatalf("Get: %v", err)
	}
	if s := c.Stats(); s.DiskError == nil || !strings.Contains(s.DiskError.Error(), blocker) {
		t.Errorf("DiskError %v, want one naming %s", s.DiskError, blocker)
	}
	if _, err := c.Fill(context.Background(), quickIDs(t, root), 64, nil); err == nil || !strings.Contains(err.Error(), blocker) {
		t.Errorf("Fill: %v, want an error naming the cache", err)
	}
}

// Prune removes thumbnails of ids no longer in the store, old temp files
// and nothing else.
func TestPrune(t *testing.T) {
	root := fixtureStore(t, "clean")
	ids := quickIDs(t, root)
	c, _ := newTestCache(t, root, Options{})
	for _, px := range []int{64, 256} {
		if _, err := c.Fill(context.Background(), ids, px, nil); err != nil {
			t.Fatal(err)
		}
	}
	keep := map[store.ID]bool{}
	for _, id := range ids[:5] {
		keep[id] = true
	}
	pp := filepath.Join(c.Dir(), "64", ids[0].Prefix())
	oldTemp, newTemp, foreign := filepath.Join(pp, ".x.jpg.1.tmp"), filepath.Join(pp, ".y.jpg.2.tmp"), filepath.Join(pp, "notes.txt")
	for _, p := range []string{oldTemp, newTemp, foreign} {
		os.WriteFile(p, []byte("x"), 0o644)
	}
	old := time.Now().Add(-2 * tempMaxAge)
	os.Chtimes(oldTemp, old, old)

	st, err := c.Prune(keep)
	if err != nil {
		t.Fatal(err)
	}
	if st.Kept != 10 || st.Removed != 2*(len(ids)-5)+1 {
		t.Errorf("prune %+v, want 10 kept and %d removed", st, 2*(len(ids)-5)+1)
	}
	for _, f := range listFiles(t, c.Dir()) {
		base := filepath.Base(f)
		id, _, _ := strings.Cut(base, ".")
		if _, err := store.ParseID(id); err == nil && !keep[store.ID(id)] {
			t.Errorf("%s survived", f)
		}
	}
	for p, want := range map[string]bool{oldTemp: false, newTemp: true, foreign: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists=%v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// Over its cap, the disk cache loses its least recently used thumbnails;
// a hit (which refreshes the mtime) keeps one.
func TestTrimLeastRecentlyUsed(t *testing.T) {
	root := fixtureStore(t, "clean")
	ids := quickIDs(t, root)
	c, _ := newTestCache(t, root, Options{})
	if _, err := c.Fill(context.Background(), ids, 256, nil); err != nil {
		t.Fatal(err)
	}
	files := listFiles(t, c.Dir())
	var total int64
	old := time.Now().Add(-3 * touchAfter)
	for i, f := range files {
		p := filepath.Join(c.Dir(), f)
		fi, _ := os.Stat(p)
		total += fi.Size()
		tm := old.Add(time.Duration(i) * time.Second)
		os.Chtimes(p, tm, tm)
	}
	// The oldest file is used now: a hit refreshes it.
	oldest := files[0]
	id := store.ID(strings.TrimSuffix(filepath.Base(oldest), filepath.Ext(oldest)))
	c2, _ := newTestCache(t, root, Options{Dir: c.Dir(), DiskBytes: total / 2})
	if _, err := c2.Get(context.Background(), id, 256); err != nil {
		t.Fatal(err)
	}
	st, err := c2.Trim()
	if err != nil {
		t.Fatal(err)
	}
	var after int64
	for _, f := range listFiles(t, c.Dir()) {
		fi, _ := os.Stat(filepath.Join(c.Dir(), f))
		after += fi.Size()
	}
	if after > total/2 || st.Removed == 0 {
		t.Errorf("trim %+v: %d bytes left, cap %d", st, after, total/2)
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), oldest)); err != nil {
		t.Errorf("the recently used %s was trimmed", oldest)
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), files[1])); err == nil {
		t.Errorf("the least recently used %s survived", files[1])
	}
}

// Concurrent requests for one thumbnail decode it once.
func TestConcurrentGetsDecodeOnce(t *testing.T) {
	root := fixtureStore(t, "clean")
	c, _ := newTestCache(t, root, Options{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Get(context.Background(), photoID, 256); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if d := c.Stats().Decodes; d != 1 {
		t.Errorf("%d decodes, want 1", d)
	}
}

// A cached file torn by a crash is remade; a failure remembered by an
// older decoder generation is tried again.
func TestDamagedCacheEntriesRemade(t *testing.T) {
	root := fixtureStore(t, "clean")
	dir := t.TempDir()
	c, _ := newTestCache(t, root, Options{Dir: dir})
	if _, err := c.Get(context.Background(), photoID, 256); err != nil {
		t.Fatal(err)
	}
	c.Close()
	jpg := filepath.Join(dir, "256", "93", string(photoID)+".jpg")
	os.WriteFile(jpg, nil, 0o644) // what a crash after rename, before writeback, leaves
	const gifID = "90d3cbe3e21b3666a91eabd7e874e6da62801d18a563dfe82d8d79d1ea9a13a6"
	os.MkdirAll(filepath.Join(dir, "256", "90"), 0o755)
	os.WriteFile(filepath.Join(dir, "256", "90", gifID+".fail"), []byte("lashview-thumbs-fail 0\nold decoder\n"), 0o644)

	c2, _ := newTestCache(t, root, Options{Dir: dir})
	for _, id := range []store.ID{photoID, gifID} {
		if _, err := c2.Get(context.Background(), id, 256); err != nil {
			t.Errorf("%s: %v", id.Short(), err)
		}
	}
	if d := c2.Stats().Decodes; d != 2 {
		t.Errorf("%d decodes, want 2 (both remade)", d)
	}
	if fi, err := os.Stat(jpg); err != nil || fi.Size() == 0 {
		t.Errorf("torn thumbnail not remade: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "256", "90", gifID+".fail")); err == nil {
		t.Error("the outdated failure is still there")
	}
}

// Close stops every goroutine the cache started, also with work queued.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	root := fixtureStore(t, "clean")
	o := &storeOpener{root: root}
	made := make(chan Result, 64)
	c, err := New(Options{Open: o.open, Dir: t.TempDir(), OnResult: func(r Result) {
		select {
		case made <- r:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	// One thumbnail in memory first: after Close even the memory's answer
	// is ErrClosed.
	if _, done := c.Request(photoID, 256); !done {
		for r := range made {
			if r.ID == photoID {
				break
			}
		}
	}
	if r, done := c.Request(photoID, 256); !done || r.Err != nil {
		t.Fatalf("the thumbnail is not in memory before Close: %+v %v", r, done)
	}
	for _, id := range quickIDs(t, root) {
		c.Request(id, 256)
	}
	c.Close()
	if r, done := c.Request(photoID, 256); !done || !errors.Is(r.Err, ErrClosed) {
		t.Errorf("Request after Close: %+v %v", r, done)
	}
}

// Bad input to the API is refused before any path is built.
func TestBadKeys(t *testing.T) {
	c, _ := newTestCache(t, t.TempDir(), Options{})
	for _, tc := range []struct {
		id store.ID
		px int
	}{{"../../etc/passwd", 256}, {photoID, 0}, {photoID, MaxSize + 1}} {
		if _, err := c.Get(context.Background(), tc.id, tc.px); err == nil {
			t.Errorf("Get(%q, %d) accepted", tc.id, tc.px)
		}
	}
}
