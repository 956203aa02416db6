package imgfmt

import (
	"context"
	"sync"
)

// Budget bounds what decodes in flight hold at once, across every
// goroutine that shares it, in whatever unit its user counts (the
// thumbnailer counts bytes of buffers, verify counts pixels). Two workers
// each decoding a 100-megapixel PNG would need 800 MB at once; with a
// budget the second waits until the first is done. A request larger than
// the whole budget is clamped to it, so it runs, but alone.
type Budget struct {
	mu    sync.Mutex
	cond  *sync.Cond
	total int64
	used  int64
}

// NewBudget returns a budget of total units.
func NewBudget(total int64) *Budget {
	b := &Budget{total: total}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// Acquire blocks until n units are free (or ctx is done, then it returns
// ctx's error) and returns the amount actually taken, to be handed back to
// Release.
func (b *Budget) Acquire(ctx context.Context, n int64) (int64, error) {
	n = min(max(n, 0), b.total)
	// sync.Cond cannot select on ctx; a watcher wakes the waiters instead.
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used+n > b.total {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		b.cond.Wait()
	}
	b.used += n
	return n, nil
}

// Release hands back what Acquire took.
func (b *Budget) Release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.cond.Broadcast()
}
