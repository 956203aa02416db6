package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"

	"lashview/store"
	"lashview/thumbs"
)

// thumbnailer is what the window needs of the thumbnail maker (package
// thumbs): images fitting a px×px box, delivered by attachment id because
// grid cells are recycled.
type thumbnailer interface {
	// Request returns id's thumbnail at once when it is in memory (done
	// true, r.Err set for a known failure); otherwise it is queued and its
	// Result arrives through the onResult function given to Services.
	Request(id store.ID, px int) (r thumbs.Result, done bool)
	// SetVisible names the ids on screen: their requests go first, queued
	// requests for the others are dropped (they scrolled away).
	SetVisible(ids []store.ID)
	// Close stops the workers.
	Close()
}

// change is one batch of changes to the store.
type change struct {
	// Full says Listing is the whole store now (the watcher's first
	// listing, or a rescan): ids not in it are gone.
	Full    bool
	Listing []store.Attachment
	// Findings are the stray paths of a Full listing.
	Findings []store.Finding
	// Added and Changed hold the attachments as they are now.
	Added, Changed []store.Attachment
	// Removed holds ids whose blob and sidecar are both gone.
	Removed []store.ID
}

// LiveKind is the watcher's state as the status bar names it.
type LiveKind int

// The watcher's states.
const (
	LiveStarting   LiveKind = iota // listing the store, setting up watches
	LiveWatching                   // every change shows within a tenth of a second
	LiveRescanning                 // listing the whole store again
	LiveDegraded                   // watching, but some changes may be missed (Err says why)
	LiveFailed                     // not watching (Err says why)
)

// LiveState is the watcher's state, with the problem in words.
type LiveState struct {
	Kind LiveKind
	Err  error
}

// String is the status bar's words for the state.
func (s LiveState) String() string {
	switch s.Kind {
	case LiveWatching:
		return "● live"
	case LiveRescanning:
		return "↻ rescanning…"
	case LiveDegraded:
		return "● live, but " + errText(s.Err)
	case LiveFailed:
		return "not live: " + errText(s.Err)
	}
	return "starting the watcher…"
}

func errText(err error) string {
	if err == nil {
		return "for an unknown reason"
	}
	return err.Error()
}

// liveSource watches a store and reports its changes.
type liveSource interface {
	// Watch runs until ctx ends. changes and state are called from the
	// watcher's goroutine; the first change is a Full listing.
	Watch(ctx context.Context, changes func(change), state func(LiveState))
	// Rescan asks for a full listing now (F5).
	Rescan()
}

// Services makes the background services of an open store: the
// thumbnail maker, which hands its results to onResult from its workers,
// and the watcher. The window asks for them each time it opens a store;
// tests may inject their own.
type Services func(st *store.Store, onResult func(thumbs.Result)) (thumbnailer, liveSource, error)

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
}

// firstScreenWait is the longest the rest of a listing waits for the
// first screen of thumbnails (they may have to be made, not just loaded).
var firstScreenWait = time.Second // a variable so tests can lengthen it

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
// shown, when not nil, is closed once the first screen is drawn: the rest
// of the listing waits for it (at most firstScreenWait), so it does not
// compete with the first screen's thumbnails for the disk and the CPU.
func listStore(ctx context.Context, st *store.Store, order sortOrder, shown <-chan struct{}, report func(loadProgress)) {
	root := st.Root()
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		report(loadProgress{finished: true, err: fmt.Errorf("the store folder %s does not exist", root)})
		return
	case err != nil:
		report(loadProgress{finished: true, err: fmt.Errorf("cannot open the store folder %s: %w", root, unwrapPath(err))})
		return
	case !fi.IsDir():
		report(loadProgress{finished: true, err: fmt.Errorf("%s is not a folder", root)})
		return
	}
	prefixes, err := st.Prefixes()
	if err != nil {
		report(loadProgress{finished: true, err: fmt.Errorf("cannot list %s: %w", st.Layout().Dir(), unwrapPath(err))})
		return
	}
	var early map[store.ID]bool
	if less := hintLess(order); less != nil && len(prefixes) > 0 {
		top := topHints(ctx, st, prefixes, less)
		if ctx.Err() != nil {
			return
		}
		early = make(map[store.ID]bool, len(top))
		first := make([]store.Attachment, 0, len(top))
		for _, h := range top {
			if a, ok := st.Examine(h.ID); ok {
				first = append(first, a)
				early[h.ID] = true
			}
		}
		if len(first) > 0 {
			report(loadProgress{found: first, total: len(prefixes)})
			if shown != nil {
				wait := time.NewTimer(firstScreenWait)
				select {
				case <-shown:
				case <-wait.C:
				case <-ctx.Done():
				}
				wait.Stop()
			}
		}
	}
	var (
		mu       sync.Mutex
		found    []store.Attachment
		problems []string
		done     int
	)
	eachPrefix(ctx, prefixes, func(p string) {
		atts, _, perr := st.ScanPrefix(p)
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

// topHints stats every id of the store and returns the firstRead that sort
// first by less.
func topHints(ctx context.Context, st *store.Store, prefixes []string, less func(a, b store.Hint) bool) []store.Hint {
	var mu sync.Mutex
	var all []store.Hint
	eachPrefix(ctx, prefixes, func(p string) {
		hs, err := st.HintPrefix(p)
		if err != nil {
			return // the full listing reports the folder
		}
		mu.Lock()
		all = append(all, hs...)
		mu.Unlock()
	}, nil)
	slices.SortFunc(all, cmpOf(less))
	return all[:min(len(all), firstRead)]
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

// unwrapPath drops the *PathError wrapper when the message names the path
// already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
