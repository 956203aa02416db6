package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"lashview/store"
	"lashview/thumbs"
)

// Thumbnails is what the window needs of the thumbnail maker (package
// thumbs): images fitting a px×px box, delivered by attachment id because
// grid cells are recycled.
type Thumbnails interface {
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

// Change is one batch of changes to the store.
type Change struct {
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

// Live watches a store and reports its changes.
type Live interface {
	// Watch runs until ctx ends. changes and state are called from the
	// watcher's goroutine; the first change is a Full listing.
	Watch(ctx context.Context, changes func(Change), state func(LiveState))
	// Rescan asks for a full listing now (F5).
	Rescan()
}

// Services makes the background services of an open store: the
// thumbnail maker, which hands its results to onResult from its workers,
// and the watcher. The window asks for them each time it opens a store;
// tests may inject their own.
type Services func(st *store.Store, onResult func(thumbs.Result)) (Thumbnails, Live, error)

// loadBatchEvery is how often a store being listed hands what it found to
// the UI: often enough that the grid visibly fills, rarely enough that
// re-sorting 100,000 entries does not eat the frames.
const loadBatchEvery = 120 * time.Millisecond

// loadProgress is one batch of a listing in progress.
type loadProgress struct {
	found       []store.Attachment
	done, total int // prefix folders listed, and their number
	finished    bool
	err         error // fatal: the listing stopped
	problems    []string
}

// listStore lists every attachment of st, prefix folder by prefix folder,
// calling report every loadBatchEvery with what it found since the last
// call, and once more when it finishes (finished set). It judges each
// attachment with store.Examine, exactly as Scan would, so the grid fills
// while the listing proceeds instead of waiting for all of it.
func listStore(ctx context.Context, st *store.Store, report func(loadProgress)) {
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
	dir := st.Layout().Dir()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		report(loadProgress{finished: true}) // an empty store: nothing put yet
		return
	}
	if err != nil {
		report(loadProgress{finished: true, err: fmt.Errorf("cannot list %s: %w", dir, unwrapPath(err))})
		return
	}
	var prefixes []string
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) == 2 {
			prefixes = append(prefixes, e.Name())
		}
	}
	var (
		mu       sync.Mutex
		found    []store.Attachment
		problems []string
		done     int
	)
	work := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				atts, perr := listPrefix(st, filepath.Join(dir, p), p)
				mu.Lock()
				found = append(found, atts...)
				if perr != nil {
					problems = append(problems, perr.Error())
				}
				done++
				mu.Unlock()
			}
		}()
	}
	stop := make(chan struct{})
	ticker := time.NewTicker(loadBatchEvery)
	flushed := make(chan struct{})
	take := func(finished bool) loadProgress {
		mu.Lock()
		defer mu.Unlock()
		p := loadProgress{found: found, done: done, total: len(prefixes), finished: finished, problems: problems}
		found, problems = nil, nil
		return p
	}
	go func() {
		defer close(flushed)
		for {
			select {
			case <-ticker.C:
				if p := take(false); len(p.found) > 0 || len(p.problems) > 0 {
					report(p)
				}
			case <-stop:
				return
			}
		}
	}()
feed:
	for _, p := range prefixes {
		select {
		case work <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	ticker.Stop()
	close(stop)
	<-flushed
	if ctx.Err() != nil {
		return // a newer listing or another store replaced this one
	}
	report(take(true))
}

// listPrefix examines every id named in one prefix folder. Stray names are
// not attachments; the Health view reports them.
func listPrefix(st *store.Store, dir, prefix string) ([]store.Attachment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // removed while we listed: it holds nothing now
		}
		return nil, fmt.Errorf("cannot list %s: %w", dir, unwrapPath(err))
	}
	seen := make(map[store.ID]bool, len(entries)/2+1)
	atts := make([]store.Attachment, 0, len(entries)/2+1)
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".json")
		id, err := store.ParseID(base)
		if err != nil || id.Prefix() != prefix || seen[id] {
			continue
		}
		seen[id] = true
		if a, ok := st.Examine(id); ok {
			atts = append(atts, a)
		}
	}
	return atts, nil
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
