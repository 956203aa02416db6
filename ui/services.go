package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"lashview/store"
	"lashview/thumbs"
	"lashview/watcher"
)

// realServices are the thumbs cache and the live source of a store: the
// watcher of a folder; for a bucket, thumbnails fetched a few at a time.
func realServices(v store.Face, onResult func(thumbs.Result)) (thumbnailer, liveSource, error) {
	if st, ok := store.FolderOf(v); ok {
		c, err := thumbs.New(thumbs.Options{
			Open:     openerOf(st),
			OnResult: onResult,
			// A screen of 160-pixel cells holds about 40 thumbnails of 77 KiB;
			// 32 MiB keeps ten screens around for scrolling back, which is
			// plenty, and the disk cache makes a miss cheap.
			MemoryBytes: 32 << 20,
		})
		if err != nil {
			return nil, nil, err
		}
		return c, &storeWatcher{st: st}, nil
	}
	return bucketServices(v, thumbs.Options{OnResult: onResult, MemoryBytes: 32 << 20}, 0)
}

// bucketServices are the services of a store in a bucket: thumbnails
// fetched a few at a time (remoteThumbs, opt says where they are cached)
// and a live source that polls the listing every interval (0: the
// poller's default).
func bucketServices(v store.Face, opt thumbs.Options, interval time.Duration) (thumbnailer, liveSource, error) {
	o, ok := v.(*store.Objects)
	if !ok {
		return nil, nil, fmt.Errorf("%s is neither a folder nor a bucket", v.Where())
	}
	c, err := remoteThumbs(v, opt)
	if err != nil {
		return nil, nil, err
	}
	return c, &pollLive{obj: o, interval: interval}, nil
}

// remoteFetches is how many blobs of a bucket the thumbnail cache fetches
// at once: enough to hide a request's round trip, few enough not to crowd
// the server or the link.
const remoteFetches = 6

// remoteThumbs is the thumbnail cache of a store whose blobs are fetched
// over the network: remoteFetches workers, each streaming one blob into the
// decoder. The disk cache is keyed by content id, so a blob whose
// thumbnail was made once is never fetched again. Closing it cancels the
// fetches in flight.
func remoteThumbs(v store.Face, opt thumbs.Options) (thumbnailer, error) {
	ctx, cancel := context.WithCancel(context.Background())
	opt.Workers = remoteFetches
	opt.Open = func(id store.ID) (io.ReadCloser, error) {
		r, n, err := openBlobOf(ctx, v, id)
		if err != nil {
			return nil, err
		}
		return sizedReader{r, n}, nil
	}
	c, err := thumbs.New(opt)
	if err != nil {
		cancel()
		return nil, err
	}
	return cancelThumbs{c, cancel}, nil
}

// cancelThumbs is a thumbnail cache whose Close first cancels its fetches.
type cancelThumbs struct {
	*thumbs.Cache
	cancel context.CancelFunc
}

func (c cancelThumbs) Close() {
	c.cancel()
	c.Cache.Close()
}

// openerOf opens a store's blobs for the thumbnail cache; an *os.File
// lets its decode guard compare the header with the file's size.
func openerOf(st *store.Store) thumbs.Opener {
	return func(id store.ID) (io.ReadCloser, error) { return st.OpenBlob(id) }
}

// storeWatcher adapts package watcher to liveSource.
type storeWatcher struct {
	st *store.Store
	mu sync.Mutex
	w  *watcher.Watcher
}

// Watch starts the watcher, reports its first listing as a Full change and
// then each batch, until ctx ends.
func (l *storeWatcher) Watch(ctx context.Context, changes func(change), state func(LiveState)) {
	state(LiveState{Kind: LiveStarting})
	w, res, err := watcher.New(ctx, l.st, watcher.Options{})
	if err != nil {
		if ctx.Err() == nil {
			state(LiveState{Kind: LiveFailed, Err: err})
		}
		return
	}
	defer w.Close()
	l.mu.Lock()
	l.w = w
	l.mu.Unlock()
	changes(change{Full: true, Listing: res.Attachments, Findings: res.Findings})
	state(LiveState{Kind: LiveWatching})
	for {
		select {
		case <-ctx.Done():
			return
		case b, ok := <-w.Batches():
			if !ok {
				state(LiveState{Kind: LiveFailed, Err: errors.New("the watcher stopped")})
				return
			}
			changes(changeOf(b))
			if b.Err != nil {
				state(LiveState{Kind: LiveDegraded, Err: b.Err})
			} else {
				state(LiveState{Kind: LiveWatching})
			}
		}
	}
}

// Rescan asks the watcher for a full listing.
func (l *storeWatcher) Rescan() {
	l.mu.Lock()
	w := l.w
	l.mu.Unlock()
	if w != nil {
		w.Rescan("a rescan was asked for")
	}
}

// changeOf turns a watcher batch into a change.
func changeOf(b watcher.Batch) change {
	var c change
	if b.Scan != nil {
		c.Full, c.Listing, c.Findings = true, b.Scan.Attachments, b.Scan.Findings
	}
	for _, ev := range b.Events {
		switch ev.Kind {
		case watcher.Added:
			c.Added = append(c.Added, ev.Attachment)
		case watcher.Changed:
			c.Changed = append(c.Changed, ev.Attachment)
		case watcher.Removed:
			c.Removed = append(c.Removed, ev.ID)
		}
	}
	return c
}
