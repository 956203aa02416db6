package thumbs

import (
	"context"
	"sync"
)

// budget bounds the bytes of decode buffers in flight across all workers.
// Two workers each decoding a 100-megapixel PNG would need 800 MB at once;
// with a budget the second waits until the first is done. A request larger
// than the whole budget is clamped to it, so it runs, but alone.
type budget struct {
	mu    sync.Mutex
	cond  *sync.Cond
	total int64
	used  int64
}

func newBudget(total int64) *budget {
	b := &budget{total: total}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire blocks until n bytes are free (or ctx is done) and returns the
// amount actually taken, to be handed back to release.
func (b *budget) acquire(ctx context.Context, n int64) (int64, error) {
	if n > b.total {
		n = b.total
	}
	if n < 0 {
		n = 0
	}
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

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.cond.Broadcast()
}
