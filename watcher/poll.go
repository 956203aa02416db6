package watcher

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"lashview/internal/format"
	"lashview/store"
)

// DefaultPollInterval is how often a Poller lists the store when
// PollOptions.Interval is zero: a new attachment shows within a few
// seconds, and an idle bucket costs one listing request per 1,000 objects
// every interval.
const DefaultPollInterval = 3 * time.Second

// maxBackoff bounds the wait between polls after failures.
const maxBackoff = time.Minute

// PollOptions tune a Poller.
type PollOptions struct {
	// Interval is the time between the end of one listing and the start
	// of the next (default DefaultPollInterval).
	Interval time.Duration
	// Scan tunes the listings the poller takes at the start and on
	// rescans.
	Scan store.ScanOptions
}

// Live is what the window and `lashview watch` read from either way of
// following a store: the fsnotify Watcher of a folder, or the Poller of a
// bucket.
type Live interface {
	Batches() <-chan Batch
	Rescan(reason string)
	Close() error
}

var (
	_ Live = (*Watcher)(nil)
	_ Live = (*Poller)(nil)
)

// Poller follows a store kept as objects (an S3 bucket, which sends no
// file system events) by listing it every interval. A listing that finds
// every key with the ETag, size and time it had costs nothing more; the
// ids whose keys came, went or changed are examined, as Scan would, and
// compared with what was last reported, which gives the same events the
// Watcher gives for a folder. A failed listing (throttled, unreachable) is
// reported in the batch's Err and tried again with a growing wait; the
// Poller never stops on its own. Make it with Poll, read Batches, Close it.
type Poller struct {
	st       *store.Objects
	interval time.Duration
	scanOpt  store.ScanOptions

	out    chan Batch
	kick   chan struct{} // capacity 1: a rescan was asked for
	done   chan struct{}
	ctx    context.Context // cancelled by Close, stops a listing under way
	cancel context.CancelFunc
	wg     sync.WaitGroup

	closeOnce sync.Once

	mu       sync.Mutex
	reasons  []string  // rescans asked for
	checked  time.Time // the end of the last completed listing
	lastErr  error     // the last listing's failure, nil after a success
	retryIn  time.Duration
	failures int

	// Owned by the polling goroutine (and by Poll before it starts).
	keys    map[string]store.Object // the last listing, by key
	known   knownIDs                // what the consumer was told, as the watcher keeps it
	prints  *fingerprints           // makes the known values
	hasSide bool                    // the last listing held a sidecar
}

// Poll lists the store and returns the listing it starts from: every batch
// after it is a change relative to that listing. ctx bounds only that
// first listing; the Poller runs until Close.
func Poll(ctx context.Context, s *store.Objects, opt PollOptions) (*Poller, *store.ScanResult, error) {
	if opt.Interval <= 0 {
		opt.Interval = DefaultPollInterval
	}
	p := &Poller{
		st:       s,
		interval: opt.Interval,
		scanOpt:  opt.Scan,
		out:      make(chan Batch),
		kick:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		retryIn:  opt.Interval,
		prints:   newFingerprints(),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	// The keys first, then the scan: whatever changes between the two makes
	// the next listing differ from the keys, and the ids it touches are
	// examined and compared with the scan.
	keys, side, err := p.list(ctx)
	if err != nil {
		p.cancel()
		return nil, nil, err
	}
	res, err := s.Scan(ctx, opt.Scan)
	if err != nil {
		p.cancel()
		return nil, nil, err
	}
	p.keys, p.hasSide = keys, side
	p.known = newKnownIDs()
	for _, a := range res.Attachments {
		p.known.set(a.ID, p.prints.of(a))
	}
	p.checked = time.Now()
	p.wg.Add(1)
	go p.run()
	return p, res, nil
}

// Batches delivers the batches. It is closed after Close.
func (p *Poller) Batches() <-chan Batch { return p.out }

// Where names the polled store (its s3:// URL).
func (p *Poller) Where() string { return p.st.Where() }

// Interval is the time between two listings while they succeed.
func (p *Poller) Interval() time.Duration { return p.interval }

// Freshness is how fresh a poller's view is.
type Freshness struct {
	// Checked is when the last listing completed: the view is as fresh
	// as that.
	Checked time.Time
	// Failure is the last listing's failure, nil when it succeeded; the
	// poller tries again after RetryIn.
	Failure error
	RetryIn time.Duration
}

// Freshness says how fresh the view is now.
func (p *Poller) Freshness() Freshness {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Freshness{Checked: p.checked, Failure: p.lastErr, RetryIn: p.retryIn}
}

// Status says for a status bar how the view is kept live and how fresh it
// is, as of now: "polling s3://b/p every 3 s, last checked 2 s ago".
func (p *Poller) Status(now time.Time) string {
	f := p.Freshness()
	s := fmt.Sprintf("polling %s every %s, last checked %s", p.Where(), format.Interval(p.interval), format.Ago(now.Sub(f.Checked)))
	if f.Failure != nil {
		s += fmt.Sprintf("; the last poll failed (%v), trying again in %s", f.Failure, format.Interval(f.RetryIn))
	}
	return s
}

// Rescan asks for a full listing now, reported as a Rescan event with the
// given reason (a person's "Refresh").
func (p *Poller) Rescan(reason string) {
	p.mu.Lock()
	p.reasons = append(p.reasons, reason)
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Close stops the poller and waits until its goroutine has returned;
// Batches is closed then. Close may be called more than once.
func (p *Poller) Close() error {
	p.closeOnce.Do(func() {
		close(p.done)
		p.cancel()
		p.wg.Wait()
	})
	return nil
}

// run polls every interval, or sooner when a rescan is asked for, and
// sends what changed.
func (p *Poller) run() {
	defer p.wg.Done()
	defer close(p.out)
	timer := time.NewTimer(p.interval)
	defer timer.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-timer.C:
		case <-p.kick:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		p.mu.Lock()
		reasons := p.reasons
		p.reasons = nil
		p.mu.Unlock()
		b, ok := p.poll(reasons)
		if p.ctx.Err() != nil {
			return
		}
		timer.Reset(p.wait())
		if !ok {
			continue
		}
		select {
		case p.out <- b:
		case <-p.done:
			return
		}
	}
}

// wait is the time until the next poll: the interval, doubled for each
// failure in a row up to a minute (or the interval, when longer).
func (p *Poller) wait() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.retryIn
}

// failed records a failed listing and returns it explained.
func (p *Poller) failed(err error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures++
	d := p.interval << min(p.failures, 6)
	d = min(d, max(maxBackoff, p.interval))
	p.lastErr, p.retryIn = err, d
	return fmt.Errorf("polling %s failed, so changes since %s are not shown yet (trying again in %s): %w",
		p.st.Where(), p.checked.Local().Format("15:04:05"), format.Interval(d), err)
}

// succeeded records a completed listing.
func (p *Poller) succeeded(at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures, p.lastErr, p.retryIn, p.checked = 0, nil, p.interval, at
}

// list takes one listing of the store's sha256/ keys; side says whether
// one of them has a sidecar's name.
func (p *Poller) list(ctx context.Context) (map[string]store.Object, bool, error) {
	keys := make(map[string]store.Object, len(p.keys))
	side := false
	err := p.st.Backend().List(ctx, "sha256/", func(o store.Object) error {
		k := store.ParseKey(o.Key)
		if k.Folder != "" || k.Marker {
			return nil
		}
		if _, ok := idOfKey(k); ok {
			side = side || k.SidecarName
			keys[o.Key] = o
		}
		return nil
	})
	return keys, side, err
}

// idOfKey is the id whose blob or sidecar a key is; strays name none.
func idOfKey(k store.KeyName) (store.ID, bool) {
	n := store.ParseName(k.Name, k.Prefix)
	return n.ID, n.Kind == store.NameBlob || n.Kind == store.NameSidecar
}

// poll lists the store and makes a batch of what changed since the last
// listing; false when there is nothing to say.
func (p *Poller) poll(reasons []string) (Batch, bool) {
	keys, side, err := p.list(p.ctx)
	if err != nil {
		if p.ctx.Err() != nil {
			return Batch{}, false
		}
		return Batch{Err: p.failed(err)}, true
	}
	now := time.Now()
	if side != p.hasSide {
		// A first sidecar, or the last one gone: every blob without a
		// sidecar may be judged by another generation now.
		if side {
			reasons = append(reasons, "a sidecar appeared in a store that had none, which changes how blobs without one are judged")
		} else {
			reasons = append(reasons, "the store's last sidecar is gone, which changes how blobs without one are judged")
		}
	}
	if len(reasons) > 0 {
		return p.rescan(keys, side, reasons, now)
	}
	dirty := map[store.ID]bool{}
	for key, o := range keys {
		if old, ok := p.keys[key]; !ok || !sameObject(old, o) {
			id, _ := idOfKey(store.ParseKey(key))
			dirty[id] = true
		}
	}
	for key := range p.keys {
		if _, ok := keys[key]; !ok {
			id, _ := idOfKey(store.ParseKey(key))
			dirty[id] = true
		}
	}
	ids := make([]store.ID, 0, len(dirty))
	for id := range dirty {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var b Batch
	var problems []error
	for _, id := range ids {
		a, ok, err := p.st.Examine(p.ctx, id)
		if err != nil {
			if p.ctx.Err() != nil {
				return Batch{}, false
			}
			// Look again next time: keep the keys as they were.
			for _, key := range []string{store.BlobKey(id), store.SidecarKey(id)} {
				if old, had := p.keys[key]; had {
					keys[key] = old
				} else {
					delete(keys, key)
				}
			}
			problems = append(problems, fmt.Errorf("%s could not be examined, so its change is not shown yet: %w", id, err))
			continue
		}
		old, had := p.known.get(id)
		switch {
		case ok && !had:
			b.Events = append(b.Events, Event{Kind: Added, ID: id, Attachment: a, Time: now})
			p.known.set(id, p.prints.of(a))
		case ok && p.prints.of(a) != old:
			b.Events = append(b.Events, Event{Kind: Changed, ID: id, Attachment: a, Time: now})
			p.known.set(id, p.prints.of(a))
		case !ok && had:
			b.Events = append(b.Events, Event{Kind: Removed, ID: id, Attachment: p.prints.removed(id, old), Time: now})
			p.known.del(id)
		}
	}
	p.keys, p.hasSide = keys, side
	p.succeeded(now)
	if len(problems) > 0 {
		b.Err = errors.Join(problems...)
	}
	return b, len(b.Events) > 0 || b.Err != nil
}

// rescan scans the whole store and makes a batch that starts with a
// Rescan event and brings the consumer from what it was told to the fresh
// listing.
func (p *Poller) rescan(keys map[string]store.Object, side bool, reasons []string, now time.Time) (Batch, bool) {
	res, err := p.st.Scan(p.ctx, p.scanOpt)
	if err != nil {
		if p.ctx.Err() != nil {
			return Batch{}, false
		}
		// Ask again next time.
		p.mu.Lock()
		p.reasons = append(reasons, p.reasons...)
		p.mu.Unlock()
		return Batch{Err: p.failed(err)}, true
	}
	b := Batch{Scan: res, Events: []Event{{Kind: Rescan, Reason: joinReasons(reasons), Time: now}}}
	fresh := newKnownIDs()
	for _, a := range res.Attachments {
		fp := p.prints.of(a)
		fresh.set(a.ID, fp)
		old, had := p.known.get(a.ID)
		switch {
		case !had:
			b.Events = append(b.Events, Event{Kind: Added, ID: a.ID, Attachment: a, Time: now})
		case fp != old:
			b.Events = append(b.Events, Event{Kind: Changed, ID: a.ID, Attachment: a, Time: now})
		}
	}
	var gone []store.ID
	p.known.each("", func(id store.ID) {
		if _, ok := fresh.get(id); !ok {
			gone = append(gone, id)
		}
	})
	sort.Slice(gone, func(i, j int) bool { return gone[i] < gone[j] })
	for _, id := range gone {
		old, _ := p.known.get(id)
		b.Events = append(b.Events, Event{Kind: Removed, ID: id, Attachment: p.prints.removed(id, old), Time: now})
	}
	p.known, p.keys, p.hasSide = fresh, keys, side
	p.succeeded(now)
	return b, true
}

// joinReasons says several reasons in one line, each once.
func joinReasons(reasons []string) string {
	var out []string
	for _, r := range reasons {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}

// sameObject says whether a key's listing entry is unchanged: its ETag
// when the server gives one, its size and time in any case.
func sameObject(a, b store.Object) bool {
	return a.ETag == b.ETag && a.Size == b.Size && a.ModTime.Equal(b.ModTime)
}
