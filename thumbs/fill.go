package thumbs

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"lashview/store"
)

// FillStats reports what Fill did.
type FillStats struct {
	Total      int           // ids asked for
	Done       int           // ids handled (less than Total when cancelled)
	Generated  int           // thumbnails made now
	Cached     int           // thumbnails already on disk (not decoded)
	Failed     int           // images found undecodable now (remembered)
	NotImages  int           // blobs that are no image (PDF, audio, bytes): nothing to make, not a problem
	Remembered int           // failures already remembered
	Unreadable int           // blobs that could not be opened or read
	Problems   []error       // the first few failures and read errors, each naming its id
	Elapsed    time.Duration // wall time
}

// maxProblems bounds FillStats.Problems: a store of 100,000 broken files
// must not make a report of 100,000 lines.
const maxProblems = 50

// Fill makes the px thumbnail of every id that has none on disk, using the
// worker count of the Cache, and leaves the memory cache alone. An id
// already on disk is counted, not decoded, so a second run generates
// nothing. progress, if not nil, is called after each id (from one
// goroutine at a time) with the counts so far. Fill stops early, returning
// the stats so far, when ctx is cancelled or the disk cache cannot be
// written.
func (c *Cache) Fill(ctx context.Context, ids []store.ID, px int, progress func(done, total, generated int)) (FillStats, error) {
	start := time.Now()
	st := FillStats{Total: len(ids)}
	if px < 1 || px > MaxSize {
		return st, fmt.Errorf("fill thumbnail cache: box of %d pixels is outside 1..%d", px, MaxSize)
	}
	if c.ctx.Err() != nil {
		return st, ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		fatal error
		next  atomic.Int64
		wg    sync.WaitGroup
	)
	record := func(o fillOutcome, err error) {
		mu.Lock()
		defer mu.Unlock()
		st.Done++
		switch o {
		case fillGenerated:
			st.Generated++
		case fillCached:
			st.Cached++
		case fillFailed:
			st.Failed++
		case fillNotImage:
			st.NotImages++
		case fillRemembered:
			st.Remembered++
		case fillUnreadable:
			st.Unreadable++
		case fillFatal:
			st.Done--
			if fatal == nil {
				fatal = err
				cancel()
			}
			return
		}
		if err != nil && len(st.Problems) < maxProblems {
			st.Problems = append(st.Problems, err)
		}
		if progress != nil {
			progress(st.Done, st.Total, st.Generated)
		}
	}
	for w := 0; w < c.opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) || ctx.Err() != nil {
					return
				}
				record(c.fillOne(ctx, ids[i], px))
			}
		}()
	}
	wg.Wait()
	st.Elapsed = time.Since(start)
	if fatal != nil {
		return st, fatal
	}
	if st.Done < st.Total {
		return st, fmt.Errorf("fill thumbnail cache: stopped after %d of %d: %w", st.Done, st.Total, context.Cause(ctx))
	}
	return st, nil
}

type fillOutcome int

const (
	fillGenerated fillOutcome = iota
	fillCached
	fillFailed
	fillNotImage
	fillRemembered
	fillUnreadable
	fillFatal
)

// fillOne makes one thumbnail for Fill, without touching the memory cache.
func (c *Cache) fillOne(ctx context.Context, id store.ID, px int) (fillOutcome, error) {
	k, err := checkKey(id, px)
	if err != nil {
		return fillUnreadable, err
	}
	thumb, failed, err := c.disk.exists(k)
	if err != nil {
		return fillFatal, fmt.Errorf("thumbnail cache %s: %w", c.opt.Dir, err)
	}
	if thumb {
		return fillCached, nil
	}
	if failed {
		return fillRemembered, nil
	}
	before := c.diskErr.Load()
	_, err = c.once(ctx, k, func() (image.Image, error) {
		img, err := c.make(ctx, k)
		if err != nil {
			return nil, err // not img: a nil *image.NRGBA is a non-nil image.Image
		}
		return img, nil
	})
	if after := c.diskErr.Load(); after != nil && after != before {
		// make keeps going when the cache cannot be written (the UI still
		// gets its thumbnail); a fill that cannot write has no point.
		return fillFatal, *after
	}
	var f *Failure
	var ni *NotImage
	switch {
	case err == nil:
		return fillGenerated, nil
	case errors.As(err, &f):
		return fillFailed, f
	case errors.As(err, &ni):
		return fillNotImage, nil
	case ctx.Err() != nil:
		return fillFatal, ctx.Err()
	default:
		return fillUnreadable, err
	}
}

// PruneStats reports what Prune did.
type PruneStats struct {
	Kept         int   // cached files whose id is in the store
	Removed      int   // files removed: ids gone from the store, stale temps
	RemovedBytes int64 // their size
}

// Prune removes cached thumbnails and failures, at every size, whose id is
// not in keep (attachments deleted from the store), and temp files left by
// crashed writers. Folders it empties are removed too.
func (c *Cache) Prune(keep map[store.ID]bool) (PruneStats, error) {
	var st PruneStats
	var firstErr error
	now := time.Now()
	dirs := map[string]bool{}
	err := c.disk.walk(func(cf cachedFile) {
		switch {
		case cf.temp && now.Sub(cf.mtime) <= tempMaxAge:
			return // may be a write in progress
		case cf.id != "" && keep[cf.id]:
			st.Kept++
			return
		case cf.id == "" && !cf.temp:
			return // not a name lashview writes: not ours to delete
		}
		if err := os.Remove(cf.path); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("prune thumbnail cache: %w", err)
			}
			return
		}
		if cf.id != "" {
			c.mem.forget(cf.id)
		}
		dirs[filepath.Dir(cf.path)] = true
		st.Removed++
		st.RemovedBytes += cf.size
	})
	for d := range dirs {
		// Fails while the folder still holds files; that is the point.
		_ = os.Remove(d)
	}
	if err != nil {
		return st, err
	}
	return st, firstErr
}
