package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"lashview/internal/format"
	"lashview/store"
)

// startListing lists the store in the background; what it finds is merged
// into the catalog batch by batch, and ids not seen by the end are dropped
// (a rescan keeps the scroll position and the selection).
func (b *Browser) startListing() {
	if b.listStop != nil {
		b.listStop()
	}
	ctx, cancel := context.WithCancel(b.storeCtx)
	b.listStop = cancel
	b.listGen++
	gen := b.listGen
	b.loading = true
	b.loadNote = "reading…"
	seen := map[store.ID]bool{}
	st := b.st
	shown := make(chan struct{})
	b.firstShown = shown
	report := func(p loadProgress) {
		b.q.post(func() {
			if gen != b.listGen {
				return
			}
			b.applyListing(seen, p)
		})
	}
	if st == nil {
		go listRemote(ctx, b.face, b.cat.order, b.listingFile(), shown, report) // a bucket (remote.go)
		return
	}
	index := ""
	if b.cfg.ListingIndexDir != "" {
		index = store.HintIndexPath(b.cfg.ListingIndexDir, st.Root())
	}
	go listStore(ctx, st, b.cat.order, index, shown, report)
}

// applyListing merges one batch of a listing into the catalog.
func (b *Browser) applyListing(seen map[store.ID]bool, p loadProgress) {
	anchor := b.grid.anchor()
	for _, a := range p.found {
		// What the listing index or a bucket's last listing says is shown
		// before it is read; the listing vouches for it once it has.
		if !p.fromIndex && p.remembered.IsZero() {
			seen[a.ID] = true
		}
		delete(b.thumbErrs, a.ID)
	}
	b.cat.add(p.found)
	if p.total > 0 {
		// Short: it follows the path, count and size in the status bar.
		b.loadNote = fmt.Sprintf("reading… %d%%", 100*p.done/p.total)
	}
	if len(p.problems) > 0 {
		b.loadNote = strings.Join(p.problems, "; ")
	}
	if !p.remembered.IsZero() {
		b.loadNote = "showing what it held " + format.Ago(time.Since(p.remembered)) + "; reading it again…"
	}
	if p.finished {
		defer b.startWatching()
		b.loading = false
		if pr := b.cfg.Probe; pr != nil {
			pr.Report(fmt.Sprintf("listing finished: %.0f ms after start (%s attachments)",
				float64(time.Since(pr.Start).Microseconds())/1000, thousands(b.cat.total())))
		}
		var gone []store.ID
		for id := range b.cat.byID {
			if !seen[id] {
				gone = append(gone, id)
				b.sel.drop(id)
			}
		}
		b.cat.apply(nil, gone)
		b.refs.refreshCounts()
		b.loadNote = ""
		if p.err != nil {
			b.loadNote = "The store could not be read: " + p.err.Error()
		} else if len(p.problems) > 0 {
			b.loadNote = "Some folders could not be read: " + strings.Join(p.problems, "; ")
		}
	}
	b.grid.restore(anchor)
	b.refreshAll()
	b.checkFirstScreen()
}

// loadBatchEvery is how often a store being listed hands what it found to
// the UI: often enough that the grid visibly fills, rarely enough that
// merging each batch into 100,000 entries does not eat the frames.
const loadBatchEvery = 120 * time.Millisecond

// loadProgress is one batch of a listing in progress.
type loadProgress struct {
	found       []store.Attachment
	done, total int // prefix folders listed, and their number
	finished    bool
	err         error // fatal: the listing stopped
	problems    []string
	// fromIndex: found is what the listing index says, shown before the
	// store is read; the listing reads every one of them again.
	fromIndex bool
	// remembered, when set, says found is what a bucket held when it was
	// last listed, at that time (remote.go): shown at once, then checked.
	remembered time.Time
}

// firstScreenWait is the longest the rest of a listing waits for the
// first screen of thumbnails (they may have to be made, not just loaded).
var firstScreenWait = time.Second

// waitFirstScreen waits until shown is closed (the first screen's
// thumbnails are drawn), at most firstScreenWait; a nil shown is no wait.
func waitFirstScreen(ctx context.Context, shown <-chan struct{}) {
	if shown == nil {
		return
	}
	wait := time.NewTimer(firstScreenWait)
	defer wait.Stop()
	select {
	case <-shown:
	case <-wait.C:
	case <-ctx.Done():
	}
}

// firstRead is how many attachments a listing reads before the rest, when
// the sort order lets it tell which come first: more than any screen shows.
// A variable so tests can lower it.
var firstRead = 1000

// listStore lists every attachment of st, calling report every
// loadBatchEvery with what it found since the last call, and once more
// when it finishes (finished set). It judges each attachment exactly as
// Scan would, so the grid fills while the listing proceeds instead of
// waiting for all of it.
//
// When the grid is sorted by time or size, the listing first orders every
// id by what a stat of its blob says (several times quicker than reading
// the sidecars) and reads the firstRead that sort first, so the first
// screen shows the store's real top at once and stays put while the rest
// comes in below it.
//
// index, when not "", is the file of the store's listing index (see
// store.HintIndex): the hints of every prefix folder whose stamp still
// matches the index's are taken from it, and the first attachments from its
// head, so a first screen after a reboot costs one read of the index and a
// stat per folder instead of a stat per blob and a read per sidecar. What
// came from the index is reported with fromIndex set and read again with
// the rest; at the end the listing writes the index anew.
//
// shown, when not nil, is closed once the first screen is drawn: the rest
// of the listing waits for it (at most firstScreenWait), so it does not
// compete with the first screen's thumbnails for the disk and the CPU.
func listStore(ctx context.Context, st *store.Store, order sortOrder, index string, shown <-chan struct{}, report func(loadProgress)) {
	root := st.Root()
	prefixes, err := st.Prefixes() // the store's own checks of its folder
	switch {
	case errors.Is(err, store.ErrNoStore):
		report(loadProgress{finished: true, err: fmt.Errorf("the store folder %s does not exist", root)})
		return
	case errors.Is(err, store.ErrNotAFolder):
		report(loadProgress{finished: true, err: fmt.Errorf("%s is not a folder", root)})
		return
	case err != nil:
		report(loadProgress{finished: true, err: fmt.Errorf("cannot list the store %s: %w", root, errors.Unwrap(err))})
		return
	}
	var old *store.HintIndex
	if index != "" {
		// An index that is missing, torn, of another version or of another
		// store is only a slower start: the listing reads the store and
		// writes it anew, so there is nothing to tell the person.
		old, _ = store.ReadHintIndex(index, root)
	}
	var early map[store.ID]bool // read here already: the rest skips them
	if less := hintLess(order); less != nil && len(prefixes) > 0 {
		top, trusted := topHints(ctx, st, prefixes, less, old)
		if ctx.Err() != nil {
			return
		}
		head := map[store.ID]*store.Attachment{}
		if old != nil {
			for i := range old.Head {
				if trusted[old.Head[i].ID.Prefix()] {
					head[old.Head[i].ID] = &old.Head[i]
				}
			}
		}
		early = make(map[store.ID]bool, len(top))
		first := make([]store.Attachment, 0, len(top))
		var indexed []store.Attachment
		for _, h := range top {
			if a := head[h.ID]; a != nil && hintOf(*a).Size == h.Size && a.Modified.Equal(h.Modified) {
				indexed = append(indexed, *a)
				continue
			}
			if a, ok := st.Examine(h.ID); ok {
				first = append(first, a)
				early[h.ID] = true
			}
		}
		old = nil // the rest of the listing reads the store itself
		if len(indexed) > 0 {
			report(loadProgress{found: indexed, total: len(prefixes), fromIndex: true})
		}
		if len(first) > 0 {
			report(loadProgress{found: first, total: len(prefixes)})
		}
		if len(first)+len(indexed) > 0 {
			waitFirstScreen(ctx, shown)
		}
	}
	var (
		mu       sync.Mutex
		found    []store.Attachment
		problems []string
		done     int
		next     = newIndexWriter(root, order)
	)
	eachPrefix(ctx, prefixes, func(p string) {
		// The stamp is taken first: a name added while the folder is read
		// changes it again, so the next start reads the folder anew.
		stamp, serr := st.PrefixStamp(p)
		atts, _, perr := st.ScanPrefix(p)
		if index != "" && serr == nil && perr == nil {
			next.add(p, stamp, atts)
		}
		// The first ones were read already; the Health view reports the
		// stray names (the findings).
		atts = slices.DeleteFunc(atts, func(a store.Attachment) bool { return early[a.ID] })
		mu.Lock()
		found = append(found, atts...)
		if perr != nil {
			problems = append(problems, perr.Error())
		}
		done++
		mu.Unlock()
	}, func() {
		mu.Lock()
		p := loadProgress{found: found, done: done, total: len(prefixes), problems: problems}
		found, problems = nil, nil
		mu.Unlock()
		if len(p.found) > 0 || len(p.problems) > 0 {
			report(p)
		}
	})
	if ctx.Err() != nil {
		return // a newer listing or another store replaced this one
	}
	if index != "" {
		// Written before the last report, so a window closed right after
		// the listing still leaves it. A cache that cannot be written
		// (full, read-only) costs the next start its speed, nothing else.
		_ = store.WriteHintIndex(index, next.finish())
	}
	report(loadProgress{found: found, done: done, total: len(prefixes), finished: true, problems: problems})
}

// eachPrefix runs work on every prefix folder, four at a time, calling
// tick every loadBatchEvery until all are done or ctx ends.
func eachPrefix(ctx context.Context, prefixes []string, work func(string), tick func()) {
	jobs := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				work(p)
			}
		}()
	}
	stop := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		if tick == nil {
			return
		}
		t := time.NewTicker(loadBatchEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				tick()
			case <-stop:
				return
			}
		}
	}()
feed:
	for _, p := range prefixes {
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	close(stop)
	<-ticked
}

// topHints returns the firstRead ids that sort first by less, with their
// hints: from the index for each prefix folder whose stamp is the index's
// (those are trusted), else by stat'ing every id of the folder.
func topHints(ctx context.Context, st *store.Store, prefixes []string, less func(a, b store.Hint) bool, ix *store.HintIndex) ([]store.Hint, map[string]bool) {
	var mu sync.Mutex
	var all []store.Hint
	trusted := map[string]bool{}
	eachPrefix(ctx, prefixes, func(p string) {
		if ix != nil {
			if f, ok := ix.Folders[p]; ok {
				if stamp, err := st.PrefixStamp(p); err == nil && stamp == f.Stamp {
					mu.Lock()
					all = append(all, f.Hints...)
					trusted[p] = true
					mu.Unlock()
					return
				}
			}
		}
		hs, err := st.HintPrefix(p)
		if err != nil {
			return // the full listing reports the folder
		}
		mu.Lock()
		all = append(all, hs...)
		mu.Unlock()
	}, nil)
	slices.SortFunc(all, cmpOf(less))
	return all[:min(len(all), firstRead)], trusted
}

// hintOf is what HintPrefix would say of an attachment a listing judged.
func hintOf(a store.Attachment) store.Hint {
	h := store.Hint{ID: a.ID, Modified: a.Modified}
	if a.HasBlob {
		h.Size = a.Size
	}
	return h
}

// indexWriter gathers the listing index while a listing reads the store:
// every folder read without a problem, and the firstRead attachments that
// sort first (by the listing's order, newest first when a hint cannot tell
// it), kept bounded as folders come in.
type indexWriter struct {
	mu   sync.Mutex
	ix   *store.HintIndex
	less func(a, b store.Hint) bool
	head []store.Attachment
	cut  *store.Hint // the last of head once trimmed: what sorts after it is not kept
}

func newIndexWriter(root string, order sortOrder) *indexWriter {
	less := hintLess(order)
	if less == nil {
		less = hintLess(sortNewest)
	}
	return &indexWriter{ix: &store.HintIndex{Root: root, Folders: map[string]store.IndexedFolder{}}, less: less}
}

func (w *indexWriter) add(prefix string, stamp store.FolderStamp, atts []store.Attachment) {
	hints := make([]store.Hint, 0, len(atts))
	for _, a := range atts {
		// What HintPrefix leaves out (links, a sidecar that is a
		// folder…) is left out here too; the listing reads it anyway.
		if (a.HasBlob || a.HasSidecar) && a.Status != store.StatusSymlink {
			hints = append(hints, hintOf(a))
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ix.Folders[prefix] = store.IndexedFolder{Stamp: stamp, Hints: hints}
	for _, a := range atts {
		if w.cut == nil || w.less(hintOf(a), *w.cut) {
			w.head = append(w.head, a)
		}
	}
	if len(w.head) > 4*firstRead {
		w.trim()
	}
}

// trim keeps the firstRead that sort first.
func (w *indexWriter) trim() {
	slices.SortFunc(w.head, func(a, b store.Attachment) int { return cmpOf(w.less)(hintOf(a), hintOf(b)) })
	w.head = slices.Clip(w.head[:min(len(w.head), firstRead)])
	if len(w.head) == firstRead {
		cut := hintOf(w.head[len(w.head)-1])
		w.cut = &cut
	}
}

func (w *indexWriter) finish() *store.HintIndex {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.trim()
	w.ix.Head = w.head
	return w.ix
}

// hintLess is the sort order's comparison on hints, nil for the orders a
// hint cannot tell (label and type are in the sidecars). It agrees with
// lessFunc for every attachment whose hint is exact.
func hintLess(o sortOrder) func(a, b store.Hint) bool {
	newer := func(a, b store.Hint) bool {
		if !a.Modified.Equal(b.Modified) {
			return a.Modified.After(b.Modified)
		}
		return a.ID < b.ID
	}
	switch o {
	case sortNewest:
		return newer
	case sortOldest:
		return func(a, b store.Hint) bool {
			if !a.Modified.Equal(b.Modified) {
				return a.Modified.Before(b.Modified)
			}
			return a.ID < b.ID
		}
	case sortSize:
		return func(a, b store.Hint) bool {
			if a.Size != b.Size {
				return a.Size > b.Size
			}
			return newer(a, b)
		}
	}
	return nil
}
