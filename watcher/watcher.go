// Package watcher follows a lash attachment store while it changes. It turns
// the kernel's file system events (inotify, through fsnotify) into typed,
// batched store events: an attachment was added, removed or changed, or the
// store was rescanned because events were lost. A consumer that applies the
// batches to the listing it started from (see View) holds what a fresh
// store.Scan would return, without ever polling.
//
// The watcher reports what is on disk, not what the events say: every event
// only marks an id as dirty, and a batch examines each dirty id once, as
// Scan would, and compares it with what was last reported. So a batch never
// holds two events for one id, an id that came and went inside a batch is not
// reported at all, and a blob is reported only once its final name exists
// (writers rename complete files into place; temp names are never examined).
package watcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"lashview/store"
)

// Kind is what happened to an attachment, or to the whole store.
type Kind string

// The event kinds. Their strings are what `lashview watch --json` prints.
const (
	// Added: an id the consumer did not have now exists (its blob reached
	// its final name; or, for a store damaged by hand, its sidecar alone).
	Added Kind = "added"
	// Removed: an id the consumer had is gone (neither blob nor sidecar).
	Removed Kind = "removed"
	// Changed: the id's blob or sidecar changed (a sidecar written after its
	// blob, a new label, a replaced or removed blob or sidecar).
	Changed Kind = "changed"
	// Rescan: the watcher listed the whole store again because it may have
	// missed changes (Reason says why). The events after it in the same
	// batch bring the consumer from its old state to the fresh listing.
	Rescan Kind = "rescan"
)

// Event is one change to the store.
type Event struct {
	Kind Kind
	// ID is the attachment; empty for Rescan.
	ID store.ID
	// Attachment is the id as examined when the batch was made (Added,
	// Changed). For Removed it holds the id and, as last reported, the
	// status, size and modification time; other fields may be zero (a
	// consumer that needs more keeps the attachment the earlier event or
	// listing gave).
	Attachment store.Attachment
	// Reason says, in words, why a Rescan happened.
	Reason string
	// Time is when the watcher first learned of the change.
	Time time.Time
}

// Batch is what the watcher sends at most once per Options.Interval.
type Batch struct {
	// Events are sorted by Time; a Rescan event comes first.
	Events []Event
	// Scan is the fresh listing a rescan took (nil without a Rescan event).
	// It includes the findings, which the events do not report.
	Scan *store.ScanResult
	// Err is a problem that may keep the watcher from seeing some changes
	// (an inotify limit, a network filesystem, a failed rescan). The watcher
	// keeps running; Err says what to do about it. Match it with errors.Is
	// against ErrWatchLimit and ErrUnreliableEvents.
	Err error
}

// DefaultInterval is the batching interval when Options.Interval is zero:
// short enough that a new attachment shows within a tenth of a second, long
// enough that a UI redraws at most 20 times a second and that a blob and
// the sidecar written just after it usually arrive in one batch.
const DefaultInterval = 50 * time.Millisecond

// Options tune a Watcher.
type Options struct {
	// Interval is both the least time between two batches and how long the
	// watcher waits after the first change before it sends the batch that
	// reports it (default DefaultInterval).
	Interval time.Duration
	// Scan tunes the listings the watcher takes at the start and on
	// rescans; its Progress runs on the watcher's goroutine.
	Scan store.ScanOptions

	// Test hooks. hold keeps the watcher from reading any event until it is
	// closed (so the kernel queue can be made to overflow, or a folder filled
	// before its watch exists). drop discards events as if the kernel had
	// lost them.
	hold <-chan struct{}
	drop func(fsnotify.Event) bool
}

// Watcher follows one store. Make it with New, read Batches, Close it.
// Read Batches without long pauses: while a batch waits to be received the
// watcher keeps collecting changes, but reports none.
type Watcher struct {
	st       *store.Store
	root     string // absolute store root
	dir      string // root/sha256
	interval time.Duration
	scanOpt  store.ScanOptions
	hold     <-chan struct{}
	drop     func(fsnotify.Event) bool

	fsw    *fsnotify.Watcher
	out    chan Batch
	kick   chan struct{} // capacity 1: "there is pending work"
	done   chan struct{}
	ctx    context.Context // cancelled by Close, stops a rescan under way
	cancel context.CancelFunc
	wg     sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	mu   sync.Mutex
	pend pending

	// Owned by the flusher goroutine (and by New before it starts).
	known     knownIDs       // what the consumer was told
	prints    *fingerprints  // makes the known values
	perPrefix map[string]int // known ids per prefix folder
	present   bool           // the root existed at the last arming
	fsKind    string         // the unreliable filesystem last reported
}

// pending is the work the event reader hands the flusher.
type pending struct {
	ids      map[store.ID]time.Time // examine these ids (first event's time)
	prefixes map[string]time.Time   // list these prefix folders, re-examine their ids
	listDir  bool                   // sha256/ appeared: list it all
	listAt   time.Time
	rearm    bool     // re-establish the watches (something on the root's path changed)
	reasons  []string // rescan, for these reasons
	reasonAt time.Time
	problems []error
}

// newFSWatcher is fsnotify.NewWatcher, replaceable so tests can make the
// kernel refuse an inotify instance.
var newFSWatcher = fsnotify.NewWatcher

// New starts watching the store and returns the listing it starts from:
// every batch after it is a change relative to that listing. The listing is
// taken after the watches are in place, so nothing falls between the two.
// ctx bounds only that first listing; the watcher runs until Close.
//
// A store root that does not exist yet is watched for from its nearest
// existing parent folder, and a root without sha256/ is watched until
// sha256/ appears. New fails when the kernel refuses a watch (the error is a
// *LimitError that says which limit to raise) or the listing fails.
func New(ctx context.Context, s *store.Store, opt Options) (*Watcher, *store.ScanResult, error) {
	root, err := filepath.Abs(s.Root())
	if err != nil {
		return nil, nil, fmt.Errorf("watch %s: %w", s.Root(), err)
	}
	fsw, err := newFSWatcher()
	if err != nil {
		return nil, nil, instanceError(err)
	}
	if opt.Interval <= 0 {
		opt.Interval = DefaultInterval
	}
	w := &Watcher{
		st:        s,
		root:      root,
		dir:       filepath.Join(root, "sha256"),
		interval:  opt.Interval,
		scanOpt:   opt.Scan,
		hold:      opt.hold,
		drop:      opt.drop,
		fsw:       fsw,
		out:       make(chan Batch),
		kick:      make(chan struct{}, 1),
		done:      make(chan struct{}),
		known:     newKnownIDs(),
		prints:    newFingerprints(),
		perPrefix: map[string]int{},
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	// The reader runs before the watches exist: inotify's queue is bounded,
	// and events arriving during a long first listing must be drained.
	w.wg.Add(1)
	go w.collect()

	present, problems := w.arm()
	if len(problems) > 0 {
		w.shutdown()
		return nil, nil, joinProblems(problems)
	}
	w.present = present
	res, err := w.scan(ctx)
	if err != nil {
		w.shutdown()
		return nil, nil, err
	}
	for _, a := range res.Attachments {
		w.remember(a)
	}
	if err := w.checkFilesystem(); err != nil {
		w.problem(err)
	}
	w.wg.Add(1)
	go w.flush()
	return w, res, nil
}

// Batches delivers the batches. It is closed after Close.
func (w *Watcher) Batches() <-chan Batch { return w.out }

// Root is the absolute path of the watched store.
func (w *Watcher) Root() string { return w.root }

// Rescan asks for a full listing now, reported as a Rescan event with the
// given reason: for a person's "Refresh", or for a store on a filesystem
// whose events are unreliable.
func (w *Watcher) Rescan(reason string) {
	w.requestRescan(reason, time.Now())
}

// Close stops the watcher and waits until every goroutine it started has
// returned; Batches is closed then. Close may be called more than once.
func (w *Watcher) Close() error {
	w.shutdown()
	return w.closeErr
}

func (w *Watcher) shutdown() {
	w.closeOnce.Do(func() {
		close(w.done)
		w.cancel()
		w.closeErr = w.fsw.Close()
		w.wg.Wait()
	})
}

// collect reads fsnotify's events and errors and turns them into pending
// work. It does as little as it can per event (no I/O but a watch on a new
// folder), because while it is busy the kernel queue fills.
func (w *Watcher) collect() {
	defer w.wg.Done()
	if w.hold != nil {
		select {
		case <-w.hold:
		case <-w.done:
			return
		}
	}
	for {
		select {
		case <-w.done:
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if w.drop != nil && w.drop(ev) {
				continue
			}
			w.handle(ev)
		case err, ok := <-w.fsw.Errors:
			// Always drained: fsnotify stops reading events while an error
			// waits to be received.
			if !ok {
				return
			}
			w.handleError(err)
		}
	}
}

func (w *Watcher) handleError(err error) {
	now := time.Now()
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		w.requestRescan(fmt.Sprintf("the kernel's event queue overflowed (more changes at once than %s allows), so some changes were not seen", limitWithValue(maxQueuedEvents)), now)
		return
	}
	w.requestRescan(fmt.Sprintf("reading file system events for %s failed (%v), so some changes may not have been seen", w.root, err), now)
}

// handle sorts one event by where it happened.
func (w *Watcher) handle(ev fsnotify.Event) {
	name := ev.Name
	parent := filepath.Dir(name)
	now := time.Now()
	switch {
	case parent != w.dir && filepath.Dir(parent) == w.dir:
		// Inside a prefix folder: the common case. Temp names and strays
		// name no id and are ignored; a blob or sidecar marks its id.
		if id, ok := idOf(filepath.Base(name), filepath.Base(parent)); ok {
			w.mark(func(p *pending) {
				if _, seen := p.ids[id]; !seen {
					p.ids[id] = now
				}
			})
		}
	case parent == w.dir:
		base := filepath.Base(name)
		if !store.IsPrefix(base) {
			return // a temp of a put in progress, or a stray file
		}
		if ev.Has(fsnotify.Create) {
			w.watchPrefix(name)
		}
		// Created, removed, moved or replaced: list it and look again at
		// every id it held, which is right in every case.
		w.mark(func(p *pending) {
			if _, seen := p.prefixes[base]; !seen {
				p.prefixes[base] = now
			}
		})
	case name == w.dir:
		switch {
		case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
			w.requestRescan(fmt.Sprintf("%s was deleted or moved away", w.dir), now)
		case ev.Has(fsnotify.Create):
			// sha256/ appeared (the store's first put) or was replaced.
			if err := w.addWatch(w.dir); err != nil && !isGone(err) {
				w.problem(err)
			}
			w.mark(func(p *pending) {
				if !p.listDir {
					p.listDir, p.listAt = true, now
				}
			})
		}
	case name == w.root:
		switch {
		case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
			w.requestRescan(fmt.Sprintf("the store folder %s was deleted or moved away", w.root), now)
		case ev.Has(fsnotify.Create):
			w.requestRearm()
		}
	default:
		// Events from the watch on a parent folder, kept only while the
		// store root does not exist: a folder on the way to it appeared or
		// went away.
		clean := filepath.Clean(name)
		if isOnPath(clean, w.root) && (ev.Has(fsnotify.Create) || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) {
			w.requestRearm()
		}
	}
}

// watchPrefix adds the watch for a new prefix folder at once: files written
// into it before the watch existed are found when the flusher lists it.
func (w *Watcher) watchPrefix(path string) {
	fi, err := os.Lstat(path)
	if err != nil || !fi.IsDir() {
		return // gone again, or not a folder (a link is not followed)
	}
	if err := w.addWatch(path); err != nil && !isGone(err) {
		w.problem(err)
	}
}

// mark changes the pending work under the lock and wakes the flusher.
func (w *Watcher) mark(f func(p *pending)) {
	w.mu.Lock()
	if w.pend.ids == nil {
		w.pend.ids = map[store.ID]time.Time{}
		w.pend.prefixes = map[string]time.Time{}
	}
	f(&w.pend)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *Watcher) requestRescan(reason string, at time.Time) {
	w.mark(func(p *pending) {
		if len(p.reasons) == 0 {
			p.reasonAt = at
		}
		for _, r := range p.reasons {
			if r == reason {
				return
			}
		}
		p.reasons = append(p.reasons, reason)
	})
}

func (w *Watcher) requestRearm() { w.mark(func(p *pending) { p.rearm = true }) }

func (w *Watcher) problem(err error) {
	w.mark(func(p *pending) { p.problems = append(p.problems, err) })
}

// take hands the pending work to the flusher.
func (w *Watcher) take() pending {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.pend
	w.pend = pending{}
	return p
}

// idOf returns the id whose blob or sidecar a file in prefix folder prefix
// is, as Scan decides it; temp files and strays name none.
func idOf(name, prefix string) (store.ID, bool) {
	n := store.ParseName(name, prefix)
	return n.ID, n.Kind == store.NameBlob || n.Kind == store.NameSidecar
}

// isOnPath reports whether p is target or one of its parent folders.
func isOnPath(p, target string) bool {
	if p == target {
		return true
	}
	if p == string(filepath.Separator) {
		return true
	}
	return len(target) > len(p) && target[:len(p)] == p && target[len(p)] == filepath.Separator
}
