package ui

import (
	"context"
	"errors"
	"io"
	"sync"

	"lashview/store"
	"lashview/thumbs"
	"lashview/watcher"
)

// realServices are the thumbs cache and the watcher of a store.
func realServices(st *store.Store, onResult func(thumbs.Result)) (thumbnailer, liveSource, error) {
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
