package thumbs

import (
	"context"
	"image"
	"sync"
	"testing"

	"lashview/store"
)

// Request, which the grid calls on the UI goroutine for every cell that
// comes into view, answers from memory only: a thumbnail that is on disk
// but not in memory is read by a worker and arrives through OnResult, and
// the blob is never opened on the caller's goroutine.
func TestRequestReadsNothingOnCaller(t *testing.T) {
	root := fixtureStore(t, "clean")
	ids := quickIDs(t, root)
	dir := t.TempDir()
	warm, _ := newTestCache(t, root, Options{Dir: dir})
	if _, err := warm.Get(context.Background(), ids[1], 64); err != nil {
		t.Fatal(err)
	}
	warm.Close()

	o := &storeOpener{root: root}
	g := newGate(o.open)
	res := newResults()
	c, _ := newTestCache(t, root, Options{Dir: dir, Open: g.open, Workers: 1, OnResult: res.add})
	var release sync.Once
	open := func() { release.Do(func() { close(g.release) }) }
	t.Cleanup(open)       // before Close, which waits for the worker
	c.Request(ids[0], 64) // the only worker takes it and blocks opening the blob
	if id := <-g.started; id != ids[0] {
		t.Fatalf("first open %s", id.Short())
	}
	for _, id := range []store.ID{ids[1], ids[2]} { // on disk; not made yet
		if r, done := c.Request(id, 64); done {
			t.Fatalf("%s: answered on the caller's goroutine (%v, %v): it read the disk or the blob there", id.Short(), r.Image != nil, r.Err)
		}
	}
	if s := c.Stats(); s.DiskHits != 0 || s.Decodes != 0 || len(g.opened()) != 1 { // a decode counts once its blob is open
		t.Fatalf("stats %+v, opens %v: Request read the disk cache or a blob itself", s, g.opened())
	}
	open()
	got := map[store.ID]Result{}
	for _, r := range res.wait(t, 3) {
		got[r.ID] = r
	}
	for _, id := range ids[:3] {
		if r, ok := got[id]; !ok || r.Err != nil || r.Image == nil {
			t.Errorf("%s: result %+v", id.Short(), r)
		}
	}
	if s := c.Stats(); s.DiskHits != 1 || s.Decodes != 2 {
		t.Errorf("stats %+v: want the warm thumbnail from disk, two decodes", s)
	}
	if r, done := c.Request(ids[1], 64); !done || r.Image == nil {
		t.Errorf("after its result, %s is not served from memory", ids[1].Short())
	}
}

// Reading a cached thumbnail back, which scrolling a large store does a
// thousand times a second, allocates the picture and little else: the
// garbage of each read is what makes the collector run while a person
// scrolls.
func TestDecodeCachedAllocations(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 128, 96))
	for i := range src.Pix {
		src.Pix[i] = byte(i * 7)
	}
	for i := 3; i < len(src.Pix); i += 4 {
		src.Pix[i] = 0xff
	}
	enc, err := encode(src)
	if err != nil {
		t.Fatal(err)
	}
	if enc.ext != ".jpg" {
		t.Skipf("an opaque thumbnail is cached as %s", enc.ext)
	}
	if info := scanJPEG(enc.data); info.width != 128 || info.height != 96 || info.components != 3 {
		t.Fatalf("frame header %+v, want 128x96, 3 components", info)
	}
	if _, err := decodeCached(enc.data, enc.ext, 64); err == nil {
		t.Error("a 128x96 thumbnail was taken for a box of 64")
	}
	img, err := decodeCached(enc.data, enc.ext, 128)
	if err != nil || img.Bounds().Dx() != 128 || img.Bounds().Dy() != 96 {
		t.Fatalf("decoded %v, %v", img, err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := decodeCached(enc.data, enc.ext, 128); err != nil {
			t.Fatal(err)
		}
	})
	// The image, its pixels and libjpeg's message buffer; image/jpeg's
	// DecodeConfig alone added a decoder and its readers.
	if haveLibjpeg && allocs > 4 {
		t.Errorf("%.0f allocations a read, want at most 4", allocs)
	}
	t.Logf("%.0f allocations a read", allocs)
}
