package thumbs

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/adrg/xdg"

	"lashview/internal/imgfmt"
	"lashview/store"
)

// Defaults for Options fields left zero.
const (
	DefaultSize         = 256       // box size in pixels when the UI asks for nothing else
	DefaultMemoryBytes  = 64 << 20  // memory cache bound
	DefaultDiskBytes    = 1 << 30   // disk cache size cap
	DefaultDecodeBudget = 512 << 20 // bytes of decode buffers in flight, all workers together
	MaxSize             = 4096      // largest box a Cache makes
)

// Opener opens an attachment's blob for reading. The store package's Open
// fits, wrapped in a closure; returning an *os.File lets the guard compare
// the header with the file size.
type Opener func(id store.ID) (io.ReadCloser, error)

// Options configure a Cache. Zero fields take the defaults.
type Options struct {
	// Dir is the disk cache root; "" means DefaultDir().
	Dir string
	// Open reads blobs. Required.
	Open Opener
	// OnResult receives every result of Request, on a worker goroutine, by
	// id: grid cells are recycled, so match results to cells by ID. It
	// must return quickly (hand the image to the UI thread and return).
	OnResult func(Result)
	// Workers is the size of the worker pool (default GOMAXPROCS).
	Workers int
	// MaxPixels is the pixel cap (default DefaultMaxPixels).
	MaxPixels int64
	// MemoryBytes bounds the memory cache (default DefaultMemoryBytes).
	MemoryBytes int64
	// DiskBytes caps the disk cache (default DefaultDiskBytes); beyond it
	// the least recently used thumbnails are removed.
	DiskBytes int64
	// DecodeBudget bounds the memory of decodes in flight (default
	// DefaultDecodeBudget).
	DecodeBudget int64

	pureGo bool // tests: decode JPEGs with image/jpeg only
}

// DefaultDir is $XDG_CACHE_HOME/lashview/thumbs.
func DefaultDir() string { return filepath.Join(xdg.CacheHome, "lashview", "thumbs") }

// Result is the outcome of one request: an image, or an error that is a
// *NotImage when the bytes are no image (final, kept in memory only), a
// *Failure when an image's bytes cannot make a thumbnail (remembered,
// final), and something else when the blob could not be read (not
// remembered).
type Result struct {
	ID    store.ID
	Px    int
	Image image.Image
	Err   error
}

// Stats counts what a Cache has done since New.
type Stats struct {
	MemHits    int64 // served from memory
	DiskHits   int64 // thumbnails read back from disk
	Remembered int64 // failures read back from disk
	Decodes    int64 // blobs opened and decoded
	Generated  int64 // thumbnails made and written
	Failed     int64 // new failures found and remembered
	NotImages  int64 // blobs found to be no image (sniffed; not written to disk)
	Unreadable int64 // blobs that could not be opened or read
	Cancelled  int64 // queued requests dropped before they started
	MemBytes   int64 // memory cache use
	MemItems   int
	Pending    int   // requests queued
	DiskError  error // last failure to write the disk cache, if any
}

// Cache makes thumbnails and keeps them on disk and in memory. Its methods
// are safe for concurrent use.
type Cache struct {
	opt    Options
	disk   diskCache
	mem    *memCache
	budget *imgfmt.Budget
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup // workers and background trims

	mu       sync.Mutex
	cond     *sync.Cond
	queue    jobHeap
	pending  map[key]*job
	inflight map[key]bool
	visible  map[store.ID]bool
	seq      uint64
	closed   bool
	// shut is closed for Request's lock-free memory path: after Close
	// every request says ErrClosed, also one the memory could answer.
	shut atomic.Bool

	fmu    sync.Mutex
	flight map[key]*call

	written  atomic.Int64 // bytes written since the last trim
	trimming atomic.Bool
	diskErr  atomic.Pointer[error]

	memHits, diskHits, remembered, decodes, generated, failed, notImages, unreadable, cancelled atomic.Int64
}

// New makes a Cache and starts its workers. Close stops them.
func New(opt Options) (*Cache, error) {
	if opt.Open == nil {
		return nil, errors.New("thumbs.New: Options.Open is required")
	}
	if opt.Dir == "" {
		opt.Dir = DefaultDir()
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.MaxPixels <= 0 {
		opt.MaxPixels = DefaultMaxPixels
	}
	if opt.MemoryBytes <= 0 {
		opt.MemoryBytes = DefaultMemoryBytes
	}
	if opt.DiskBytes <= 0 {
		opt.DiskBytes = DefaultDiskBytes
	}
	if opt.DecodeBudget <= 0 {
		opt.DecodeBudget = DefaultDecodeBudget
	}
	ctx, stop := context.WithCancel(context.Background())
	c := &Cache{
		opt:      opt,
		disk:     diskCache{dir: opt.Dir},
		mem:      newMemCache(opt.MemoryBytes),
		budget:   imgfmt.NewBudget(opt.DecodeBudget),
		ctx:      ctx,
		stop:     stop,
		pending:  map[key]*job{},
		inflight: map[key]bool{},
		flight:   map[key]*call{},
	}
	c.cond = sync.NewCond(&c.mu)
	for i := 0; i < opt.Workers; i++ {
		c.wg.Add(1)
		go c.work()
	}
	return c, nil
}

// Dir returns the disk cache root.
func (c *Cache) Dir() string { return c.opt.Dir }

// Close stops the workers, dropping queued requests, and waits for work in
// progress to end. Results of that work are not delivered.
func (c *Cache) Close() {
	c.mu.Lock()
	c.closed = true
	c.shut.Store(true)
	c.stop()
	c.cond.Broadcast()
	c.mu.Unlock()
	c.wg.Wait()
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	s := Stats{
		MemHits: c.memHits.Load(), DiskHits: c.diskHits.Load(), Remembered: c.remembered.Load(),
		Decodes: c.decodes.Load(), Generated: c.generated.Load(), Failed: c.failed.Load(), NotImages: c.notImages.Load(),
		Unreadable: c.unreadable.Load(), Cancelled: c.cancelled.Load(),
	}
	s.MemBytes, s.MemItems = c.mem.size()
	c.mu.Lock()
	s.Pending = len(c.queue)
	c.mu.Unlock()
	if e := c.diskErr.Load(); e != nil {
		s.DiskError = *e
	}
	return s
}

func checkKey(id store.ID, px int) (key, error) {
	if _, err := store.ParseID(string(id)); err != nil {
		return key{}, fmt.Errorf("thumbnail: %w", err)
	}
	if px < 1 || px > MaxSize {
		return key{}, fmt.Errorf("thumbnail of %s: box of %d pixels is outside 1..%d", id.Short(), px, MaxSize)
	}
	return key{id, px}, nil
}

// Get returns the thumbnail of id fitted into a px×px box, from memory,
// from disk, or made now on the calling goroutine. It does not use the
// worker pool: it is for the viewer, the command line and tests.
func (c *Cache) Get(ctx context.Context, id store.ID, px int) (image.Image, error) {
	k, err := checkKey(id, px)
	if err != nil {
		return nil, err
	}
	if c.ctx.Err() != nil {
		return nil, ErrClosed
	}
	return c.load(ctx, k)
}

// Request asks for the thumbnail of id in a px×px box. If it is in memory
// it is returned at once with done true (Result.Err set for a remembered
// failure or a known non-image). Otherwise the request is queued, done is false, and the Result
// arrives later through Options.OnResult. Requesting again moves the
// request to the front; requests for ids passed to the last SetVisible go
// before all others.
func (c *Cache) Request(id store.ID, px int) (r Result, done bool) {
	k, err := checkKey(id, px)
	if err != nil {
		return Result{ID: id, Px: px, Err: err}, true
	}
	if c.shut.Load() {
		return Result{ID: id, Px: px, Err: ErrClosed}, true
	}
	if e, ok := c.mem.get(k); ok {
		c.memHits.Add(1)
		return entryResult(k, e), true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return Result{ID: id, Px: px, Err: ErrClosed}, true
	}
	if c.inflight[k] {
		return Result{}, false
	}
	c.seq++
	if j := c.pending[k]; j != nil {
		j.seq, j.visible = c.seq, c.visible[id]
		heap.Fix(&c.queue, j.index)
	} else {
		j := &job{k: k, seq: c.seq, visible: c.visible[id]}
		heap.Push(&c.queue, j)
		c.pending[k] = j
	}
	c.cond.Signal()
	return Result{}, false
}

func entryResult(k key, e memEntry) Result {
	return Result{ID: k.id, Px: k.px, Image: e.img, Err: e.err}
}

// Cancel drops queued requests for id (at every size) that have not
// started. Work already started finishes and is cached, but a cancelled
// request that has not started costs nothing.
func (c *Cache) Cancel(id store.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, j := range c.pending {
		if k.id == id {
			c.dropLocked(j)
		}
	}
}

// SetVisible tells the pool which ids are on screen now. Their queued
// requests go first; queued requests for every other id are dropped, since
// those items were scrolled away. Later requests for ids outside the set
// (prefetching) are queued behind the visible ones.
func (c *Cache) SetVisible(ids []store.ID) {
	set := make(map[store.ID]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.visible = set
	for k, j := range c.pending {
		switch {
		case !set[k.id]:
			c.dropLocked(j)
		case !j.visible:
			j.visible = true
			heap.Fix(&c.queue, j.index)
		}
	}
}

func (c *Cache) dropLocked(j *job) {
	heap.Remove(&c.queue, j.index)
	delete(c.pending, j.k)
	c.cancelled.Add(1)
}

// work is one worker: it takes the most urgent request, makes or loads the
// thumbnail, and hands the result to OnResult.
func (c *Cache) work() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.cond.Wait()
		}
		if c.closed {
			c.mu.Unlock()
			return
		}
		j := heap.Pop(&c.queue).(*job)
		delete(c.pending, j.k)
		c.inflight[j.k] = true
		c.mu.Unlock()

		img, err := c.load(c.ctx, j.k)

		c.mu.Lock()
		delete(c.inflight, j.k)
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return
		}
		if c.opt.OnResult != nil {
			c.opt.OnResult(Result{ID: j.k.id, Px: j.k.px, Image: img, Err: err})
		}
	}
}

// call is one load in progress, shared by everyone who asks for the same
// key meanwhile, so a thumbnail is never made twice at once.
type call struct {
	done chan struct{}
	img  image.Image
	err  error
}

// load serves k from memory, then disk, then makes it, caching the result
// in both.
func (c *Cache) load(ctx context.Context, k key) (image.Image, error) {
	if e, ok := c.mem.get(k); ok {
		c.memHits.Add(1)
		r := entryResult(k, e)
		return r.Image, r.Err
	}
	return c.once(ctx, k, func() (image.Image, error) { return c.loadSlow(ctx, k) })
}

// once runs fn for k unless a run for k is already in progress, in which
// case it waits for that run's result instead.
func (c *Cache) once(ctx context.Context, k key, fn func() (image.Image, error)) (image.Image, error) {
	c.fmu.Lock()
	for c.flight[k] != nil {
		cl := c.flight[k]
		c.fmu.Unlock()
		select {
		case <-cl.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		// The run we waited for may have ended by its own caller's
		// cancellation; that is not an answer for this caller.
		if !errors.Is(cl.err, context.Canceled) && !errors.Is(cl.err, context.DeadlineExceeded) {
			return cl.img, cl.err
		}
		c.fmu.Lock()
	}
	cl := &call{done: make(chan struct{})}
	c.flight[k] = cl
	c.fmu.Unlock()

	cl.img, cl.err = fn()

	c.fmu.Lock()
	delete(c.flight, k)
	c.fmu.Unlock()
	close(cl.done)
	return cl.img, cl.err
}

func (c *Cache) loadSlow(ctx context.Context, k key) (image.Image, error) {
	img, fail, found, err := c.disk.load(k)
	if err != nil {
		// The cache cannot be read; the blob still can.
		c.noteDiskError(err)
	}
	if found {
		if fail != nil {
			c.remembered.Add(1)
			c.mem.put(k, nil, fail)
			return nil, fail
		}
		c.diskHits.Add(1)
		c.mem.put(k, img, nil)
		return img, nil
	}
	thumb, err := c.make(ctx, k)
	if err != nil {
		// thumb is a nil *image.NRGBA here: return a nil interface.
		if isFinal(err) {
			c.mem.put(k, nil, err)
		}
		return nil, err
	}
	c.mem.put(k, thumb, nil)
	return thumb, nil
}

// make decodes the blob of k, writes the thumbnail (or the failure) to
// disk and returns it; a *NotImage is returned, not written. A disk write error does not fail the thumbnail: it
// is kept for Stats and the thumbnail is returned.
func (c *Cache) make(ctx context.Context, k key) (*image.NRGBA, error) {
	rc, err := c.opt.Open(k.id)
	if err != nil {
		c.unreadable.Add(1)
		return nil, fmt.Errorf("thumbnail of %s: open blob: %w", k.id.Short(), err)
	}
	defer rc.Close()
	c.decodes.Add(1)
	lim := limits{ctx: ctx, maxPixels: c.opt.MaxPixels, budget: c.budget, pureGo: c.opt.pureGo}
	img, err := makeThumb(rc, readerSize(rc), k.px, lim)
	if err != nil {
		var ni *NotImage
		if errors.As(err, &ni) {
			ni.ID = k.id
			c.notImages.Add(1)
			return nil, ni
		}
		var f *Failure
		if !errors.As(err, &f) {
			if ctx.Err() == nil {
				c.unreadable.Add(1)
			}
			return nil, fmt.Errorf("thumbnail of %s: %w", k.id.Short(), err)
		}
		f.ID = k.id
		c.failed.Add(1)
		// Too large is a verdict of the current cap, not of the bytes, and
		// costs only a header read to reach again: not written down, so a
		// raised cap takes effect.
		if !errors.Is(f, ErrTooLarge) {
			if werr := c.disk.storeFail(k, f.Reason); werr != nil {
				c.noteDiskError(werr)
			}
		}
		return nil, f
	}
	enc, err := encode(img)
	if err == nil {
		err = c.disk.store(k, enc)
	}
	if err != nil {
		c.noteDiskError(err)
	} else {
		c.noteWritten(int64(len(enc.data)))
	}
	c.generated.Add(1)
	return img, nil
}

// isFinal reports whether err is an answer about the bytes, true at every
// size: a *Failure or a *NotImage.
func isFinal(err error) bool {
	var f *Failure
	var ni *NotImage
	return errors.As(err, &f) || errors.As(err, &ni)
}

func (c *Cache) noteDiskError(err error) {
	err = fmt.Errorf("thumbnail cache %s: %w", c.opt.Dir, err)
	c.diskErr.Store(&err)
}

// noteWritten counts bytes written and, every sixteenth of the disk cap,
// trims the cache in the background, so a long session stays under the cap
// without walking the cache on every write.
func (c *Cache) noteWritten(n int64) {
	every := max(c.opt.DiskBytes/16, 1<<20)
	if c.written.Add(n) < every || !c.trimming.CompareAndSwap(false, true) {
		return
	}
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.wg.Add(1)
	}
	c.mu.Unlock()
	if closed {
		c.trimming.Store(false)
		return
	}
	go func() {
		defer c.wg.Done()
		defer c.trimming.Store(false)
		c.written.Store(0)
		if _, err := c.Trim(); err != nil {
			c.noteDiskError(err)
		}
	}()
}

// Trim enforces the disk cap now: least recently used thumbnails go first
// (a hit refreshes a file's mtime), down to 90% of the cap. It also removes
// temp files left by crashed writers.
func (c *Cache) Trim() (TrimStats, error) {
	return c.disk.trim(c.opt.DiskBytes)
}

// job is a queued request.
type job struct {
	k       key
	seq     uint64 // larger is newer
	visible bool
	index   int // in jobHeap
}

// jobHeap orders jobs: visible first, then newest first.
type jobHeap []*job

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(i, j int) bool {
	if h[i].visible != h[j].visible {
		return h[i].visible
	}
	return h[i].seq > h[j].seq
}
func (h jobHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *jobHeap) Push(x any) {
	j := x.(*job)
	j.index = len(*h)
	*h = append(*h, j)
}
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	j.index = -1
	return j
}
