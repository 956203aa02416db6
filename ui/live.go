package ui

import (
	"slices"
	"time"

	"lashview/store"
)

// startWatching starts the watcher once the first listing has filled the
// grid. Starting it later loses nothing (it lists the store itself once
// its watches are in place, and that listing replaces ours), and it keeps
// its listing from competing with ours and with the first thumbnails.
func (b *Browser) startWatching() {
	if b.watchStarted || b.watch == nil || b.storeCtx == nil {
		return
	}
	b.watchStarted = true
	gen := b.storeGen
	go b.watch.Watch(b.storeCtx,
		func(c change) { b.q.post(func() { b.applyChange(gen, c) }) },
		func(s LiveState) { b.q.post(func() { b.setLive(gen, s) }) })
}

// applyChange applies one watcher batch: new ones appear highlighted,
// removed ones vanish, changed ones update in place; the scroll position
// (the first visible item) and the selection stay.
func (b *Browser) applyChange(gen int, c change) {
	if gen != b.storeGen {
		return
	}
	anchor := b.grid.anchor()
	now := b.now()
	var puts []store.Attachment
	var removes []store.ID
	if c.Full {
		// The watcher's listing is the truth from here on: the quicker
		// listing that filled the grid meanwhile is no longer needed.
		if b.listStop != nil {
			b.listStop()
			b.listStop = nil
		}
		b.listGen++
		b.loading, b.loadNote = false, ""
		seen := make(map[store.ID]bool, len(c.Listing))
		for _, a := range c.Listing {
			seen[a.ID] = true
		}
		for id := range b.cat.byID {
			if !seen[id] {
				removes = append(removes, id)
			}
		}
		puts = c.Listing
		// A whole listing is a scan: its problems are the Health badge's.
		if b.ed != nil {
			n := len(c.Findings)
			for _, a := range c.Listing {
				if a.Status != store.StatusOK {
					n++
				}
			}
			b.ed.setHealthBadge(n)
		}
	}
	for _, a := range c.Added {
		if _, known := b.cat.byID[a.ID]; !known {
			b.fresh[a.ID] = now
		}
		delete(b.thumbErrs, a.ID)
	}
	for _, a := range c.Changed {
		delete(b.thumbErrs, a.ID)
	}
	puts = append(append(slices.Clip(puts), c.Added...), c.Changed...)
	removes = append(removes, c.Removed...)
	for _, id := range removes {
		b.sel.drop(id)
		delete(b.fresh, id)
		delete(b.thumbErrs, id)
		if b.viewer.showing(id) {
			b.viewer.close()
		}
	}
	b.cat.apply(puts, removes)
	b.refs.refreshCounts()
	b.grid.restore(anchor)
	b.refreshAll()
	if len(c.Added) > 0 {
		// Take the highlight off once it has been seen.
		time.AfterFunc(freshFor+100*time.Millisecond, func() { b.q.post(b.expireFresh) })
	}
}

func (b *Browser) expireFresh() {
	now := b.now()
	changed := false
	for id, t := range b.fresh {
		if now.Sub(t) >= freshFor {
			delete(b.fresh, id)
			changed = true
		}
	}
	if changed {
		b.grid.Refresh()
	}
}

func (b *Browser) setLive(gen int, s LiveState) {
	if gen != b.storeGen {
		return
	}
	b.live = s
	b.refreshStatus()
}

// rescan lists the whole store again (F5, or the watcher lost track).
func (b *Browser) rescan() {
	if b.face == nil || b.storeCtx == nil || b.storeCtx.Err() != nil {
		return
	}
	if b.watch != nil && b.watchStarted && b.live.Kind != LiveFailed {
		b.live = LiveState{Kind: LiveRescanning}
		b.watch.Rescan()
	} else {
		b.startListing()
	}
	b.refs.load()
	b.refreshStatus()
}
