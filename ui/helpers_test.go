package ui

import (
	"context"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lashview/internal/fixture"
	"lashview/store"
	"lashview/thumbs"
	_ "lashview/ui/locale"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC // the details panel prints local times; golden files need one zone
	os.Exit(m.Run())
}

// uiLoop stands in for fyne.Do: background work queues functions, and the
// test runs them on its own goroutine in drain, as the app's event loop
// would on the UI goroutine.
type uiLoop struct {
	mu      sync.Mutex
	pending []func()
}

func (l *uiLoop) run(f func()) {
	l.mu.Lock()
	l.pending = append(l.pending, f)
	l.mu.Unlock()
}

// drain runs what is queued; it reports whether there was anything.
func (l *uiLoop) drain() bool {
	l.mu.Lock()
	fs := l.pending
	l.pending = nil
	l.mu.Unlock()
	for _, f := range fs {
		f()
	}
	return len(fs) > 0
}

// fakeLive is a watcher the test drives: send delivers a batch as the real
// watcher's goroutine would.
type fakeLive struct {
	mu      sync.Mutex
	changes func(change)
	rescans int
}

func (f *fakeLive) Watch(ctx context.Context, changes func(change), state func(LiveState)) {
	f.mu.Lock()
	f.changes = changes
	f.mu.Unlock()
	state(LiveState{Kind: LiveWatching})
	<-ctx.Done()
}

func (f *fakeLive) Rescan() {
	f.mu.Lock()
	f.rescans++
	f.mu.Unlock()
}

func (f *fakeLive) send(t *testing.T, c change) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		ch := f.changes
		f.mu.Unlock()
		if ch != nil {
			ch(c)
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the window never started watching")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// harness is a window on a store, with the real thumbnail cache (in a temp
// folder) and a fake watcher.
type harness struct {
	t    *testing.T
	b    *Browser
	w    fyne.Window
	loop *uiLoop
	live *fakeLive
	dir  string
}

var fixedNow = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// newHarness opens the window on dir; opts change its Config first.
func newHarness(t *testing.T, dir string, opts ...func(*Config)) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	h := &harness{t: t, w: w, loop: &uiLoop{}, live: &fakeLive{}, dir: dir}
	thumbDir := t.TempDir()
	cfg := Config{
		StoreDir:     dir,
		DefaultStore: dir,
		DemoDir:      t.TempDir() + "/demo-store",
		RunOnUI:      h.loop.run,
		Now:          func() time.Time { return fixedNow },
		Services: func(v store.Face, onResult func(thumbs.Result)) (thumbnailer, liveSource, error) {
			st, _ := store.FolderOf(v)
			c, err := thumbs.New(thumbs.Options{Dir: thumbDir, Open: openerOf(st), OnResult: onResult, Workers: 2})
			if err != nil {
				return nil, nil, err
			}
			return c, h.live, nil
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	h.b = New(a, w, cfg)
	w.Resize(fyne.NewSize(1100, 720))
	t.Cleanup(func() { h.b.Close(); h.loop.drain() })
	return h
}

// settle runs the UI loop until cond holds and nothing has been queued for
// a while (listing, thumbnails and watcher batches have all arrived).
func (h *harness) settle(cond func() bool) {
	h.t.Helper()
	// Generous: under -race on a busy machine a 12-megapixel decode is slow.
	deadline := time.Now().Add(90 * time.Second)
	quiet := 0
	for time.Now().Before(deadline) {
		if h.loop.drain() {
			quiet = 0
		} else {
			quiet++
		}
		if quiet > 20 && cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatal("the window did not settle")
}

// loaded waits for the first listing and the thumbnails on screen.
func (h *harness) loaded() {
	h.settle(func() bool { return !h.b.loading })
}

// cleanStore copies the clean fixture and gives its blobs distinct mtimes,
// one minute apart in id order, so newest first is a known order. It
// returns the ids newest first.
func cleanStore(t *testing.T) (string, []store.ID) {
	t.Helper()
	dir := fixture.Copy(t, "clean")
	res, err := store.New(dir).Scan(context.Background(), store.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []store.ID
	for _, a := range res.Attachments {
		ids = append(ids, a.ID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	lay := store.New(dir).Layout()
	for i, id := range ids {
		mt := base.Add(time.Duration(i) * time.Minute)
		for _, p := range []string{lay.Blob(id), lay.Sidecar(id)} {
			if err := os.Chtimes(p, mt, mt); err != nil {
				t.Fatal(err)
			}
		}
	}
	newest := make([]store.ID, len(ids))
	for i, id := range ids {
		newest[len(ids)-1-i] = id
	}
	return dir, newest
}
