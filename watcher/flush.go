package watcher

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"lashview/store"
)

// flush turns pending work into batches: it waits for work, lets more
// arrive for one interval, examines what changed and sends the batch. The
// wait before each batch is what spaces batches at least an interval apart.
// It blocks only on channels and a timer it arms when there is work, so an
// idle store costs no CPU.
func (w *Watcher) flush() {
	defer w.wg.Done()
	defer close(w.out)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-w.kick:
		}
		timer.Reset(w.interval)
		select {
		case <-w.done:
			timer.Stop()
			return
		case <-timer.C:
		}
		b, ok := w.process(w.take())
		if !ok {
			continue
		}
		select {
		case w.out <- b:
		case <-w.done:
			return
		}
	}
}

// process makes one batch from pending work; false when there is nothing
// to say.
func (w *Watcher) process(p pending) (Batch, bool) {
	var b Batch
	problems := p.problems
	if p.rearm && len(p.reasons) == 0 && w.present && isFolder(w.root) {
		// A late event from a parent folder's watch: the store is armed and
		// re-arming without a rescan could lose events.
		p.rearm = false
	}
	if p.rearm || len(p.reasons) > 0 {
		was := w.present
		present, probs := w.arm()
		w.present = present
		problems = append(problems, probs...)
		reasons := p.reasons
		if present && !was {
			reasons = append(reasons, fmt.Sprintf("the store folder %s appeared", w.root))
		}
		if !present && was && len(reasons) == 0 {
			reasons = append(reasons, fmt.Sprintf("the store folder %s is gone", w.root))
		}
		if present {
			if err := w.checkFilesystem(); err != nil {
				problems = append(problems, err)
			}
		}
		if len(reasons) > 0 {
			at := p.reasonAt
			if at.IsZero() {
				at = time.Now()
			}
			res, err := w.scan(w.ctx)
			switch {
			case err != nil && w.ctx.Err() != nil:
				return Batch{}, false // closing
			case err != nil:
				problems = append(problems, fmt.Errorf("rescan after %q failed, so the view may be out of date: %w", strings.Join(reasons, "; "), err))
			default:
				b.Events = append([]Event{{Kind: Rescan, Reason: strings.Join(reasons, "; "), Time: at}}, w.replace(res, at)...)
				b.Scan = res
			}
			// The listing saw everything the pending ids and folders could
			// tell; they are done.
			b.Err = joinProblems(problems)
			return b, len(b.Events) > 0 || b.Err != nil
		}
	}
	b.Events = w.incremental(p, &problems)
	b.Err = joinProblems(problems)
	return b, len(b.Events) > 0 || b.Err != nil
}

// incremental examines the ids pending work names and reports how each
// differs from what the consumer was told.
func (w *Watcher) incremental(p pending, problems *[]error) []Event {
	dirty := make(map[store.ID]time.Time, len(p.ids))
	for id, t := range p.ids {
		dirty[id] = t
	}
	prefixes := p.prefixes
	if p.listDir {
		if prefixes == nil {
			prefixes = map[string]time.Time{}
		}
		// sha256/ appeared or was replaced: watch and list every prefix
		// folder in it, and look again at every id we knew.
		entries, err := os.ReadDir(w.dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			*problems = append(*problems, fmt.Errorf("list %s: %w", w.dir, err))
		}
		for _, e := range entries {
			if !e.IsDir() || !store.IsPrefix(e.Name()) {
				continue
			}
			if err := w.addWatch(filepath.Join(w.dir, e.Name())); err != nil && !isGone(err) {
				*problems = append(*problems, err)
			}
			if _, ok := prefixes[e.Name()]; !ok {
				prefixes[e.Name()] = p.listAt
			}
		}
		w.known.each("", func(id store.ID) {
			if _, ok := dirty[id]; !ok {
				dirty[id] = p.listAt
			}
		})
	}
	for prefix, t := range prefixes {
		// The folder's watch was added before this listing (by the reader,
		// or just above), so a file is either listed here or reported by an
		// event later: none falls between.
		entries, _ := os.ReadDir(filepath.Join(w.dir, prefix))
		for _, e := range entries {
			if id, ok := idOf(e.Name(), prefix); ok {
				if _, seen := dirty[id]; !seen {
					dirty[id] = t
				}
			}
		}
		if w.perPrefix[prefix] > 0 {
			w.known.each(prefix, func(id store.ID) {
				if _, seen := dirty[id]; !seen {
					dirty[id] = t
				}
			})
		}
	}
	if len(dirty) == 0 {
		return nil
	}
	// Scan reads only real prefix folders; a link in a prefix folder's place
	// holds no attachments, whatever Examine would find through it.
	realPrefix := map[string]bool{}
	isReal := func(prefix string) bool {
		ok, seen := realPrefix[prefix]
		if !seen {
			fi, err := os.Lstat(filepath.Join(w.dir, prefix))
			ok = err == nil && fi.IsDir()
			realPrefix[prefix] = ok
		}
		return ok
	}
	events := make([]Event, 0, len(dirty))
	judged := w.st.Sidecarless()
	defer func() {
		if w.st.Sidecarless() != judged {
			// The store's first sidecar: every blob without one is of the
			// sidecar generation now, not only those named here.
			w.requestRescan("the store now holds sidecars, so its blobs without one are judged again", time.Now())
		}
	}()
	for id, t := range dirty {
		var a store.Attachment
		exists := false
		if isReal(id.Prefix()) {
			a, exists = w.st.Examine(id)
		}
		if e, ok := w.update(id, a, exists, t); ok {
			events = append(events, e)
		}
	}
	sortEvents(events)
	return events
}

// update records id's current state and returns the event that tells the
// consumer, if it changed.
func (w *Watcher) update(id store.ID, a store.Attachment, exists bool, t time.Time) (Event, bool) {
	old, had := w.known.get(id)
	switch {
	case exists && !had:
		w.remember(a)
		return Event{Kind: Added, ID: id, Attachment: a, Time: t}, true
	case !exists && had:
		w.forget(id)
		return Event{Kind: Removed, ID: id, Attachment: w.prints.removed(id, old), Time: t}, true
	case exists:
		if now := w.prints.of(a); now != old {
			w.known.set(id, now)
			return Event{Kind: Changed, ID: id, Attachment: a, Time: t}, true
		}
	}
	return Event{}, false
}

// replace makes a fresh listing what the consumer knows, and returns the
// events that take the old state to it.
func (w *Watcher) replace(res *store.ScanResult, at time.Time) []Event {
	next := make(map[store.ID]bool, len(res.Attachments))
	var events []Event
	for _, a := range res.Attachments {
		next[a.ID] = true
		if e, ok := w.update(a.ID, a, true, at); ok {
			events = append(events, e)
		}
	}
	w.known.each("", func(id store.ID) {
		if !next[id] {
			if e, ok := w.update(id, store.Attachment{}, false, at); ok {
				events = append(events, e)
			}
		}
	})
	sortEvents(events)
	return events
}

func (w *Watcher) remember(a store.Attachment) {
	if _, had := w.known.get(a.ID); !had {
		w.perPrefix[a.ID.Prefix()]++
	}
	w.known.set(a.ID, w.prints.of(a))
}

func (w *Watcher) forget(id store.ID) {
	if _, had := w.known.get(id); had {
		w.known.del(id)
		w.perPrefix[id.Prefix()]--
	}
}

func sortEvents(ev []Event) {
	sort.Slice(ev, func(i, j int) bool {
		if !ev[i].Time.Equal(ev[j].Time) {
			return ev[i].Time.Before(ev[j].Time)
		}
		return ev[i].ID < ev[j].ID
	})
}

// scan lists the store; a root that does not exist is an empty store (it
// was deleted while watched, or is not created yet).
func (w *Watcher) scan(ctx context.Context) (*store.ScanResult, error) {
	return scanStore(ctx, w.st, w.scanOpt)
}

func scanStore(ctx context.Context, s *store.Store, opt store.ScanOptions) (*store.ScanResult, error) {
	if _, err := os.Stat(s.Root()); errors.Is(err, fs.ErrNotExist) {
		return &store.ScanResult{}, nil
	}
	res, err := s.Scan(ctx, opt)
	if err != nil && ctx.Err() == nil {
		// Deleted between the two looks: the events will tell.
		if _, serr := os.Stat(s.Root()); errors.Is(serr, fs.ErrNotExist) {
			return &store.ScanResult{}, nil
		}
	}
	return res, err
}

// arm drops every watch and sets them up again for the store as it is now:
// the root, sha256/ and each prefix folder; or, while the root does not
// exist, its nearest existing parent (to see it appear). Dropping first
// matters when the root was moved away: the old folders' watches would
// otherwise keep reporting their changes under the store's paths.
func (w *Watcher) arm() (present bool, problems []error) {
	for _, p := range w.fsw.WatchList() {
		// An error means the watch is already gone (its folder was deleted).
		_ = w.fsw.Remove(p)
	}
	for attempt := 0; ; attempt++ {
		fi, err := os.Stat(w.root)
		if err == nil && fi.IsDir() {
			return true, w.armStore()
		}
		if err == nil {
			problems = append(problems, fmt.Errorf("the store %s is not a folder", w.root))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return false, append(problems, fmt.Errorf("watch %s: %w", w.root, err))
		}
		anc := nearestFolder(filepath.Dir(w.root))
		if err := w.addWatch(anc); err != nil {
			return false, append(problems, err)
		}
		// The root may have been created between the look and the watch.
		if fi, err := os.Stat(w.root); attempt >= 3 || err != nil || !fi.IsDir() {
			return false, problems
		}
		_ = w.fsw.Remove(anc)
		problems = nil
	}
}

func (w *Watcher) armStore() []error {
	if err := w.addWatch(w.root); err != nil {
		return []error{err}
	}
	if err := w.addWatch(w.dir); err != nil {
		if isGone(err) {
			return nil // no sha256/ yet: the root's watch reports it
		}
		return []error{err}
	}
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		if isGone(err) {
			return nil
		}
		return []error{fmt.Errorf("list %s: %w", w.dir, err)}
	}
	var problems []error
	for _, e := range entries {
		if !e.IsDir() || !store.IsPrefix(e.Name()) {
			continue
		}
		if err := w.addWatch(filepath.Join(w.dir, e.Name())); err != nil && !isGone(err) {
			problems = append(problems, err)
		}
	}
	return problems
}

func isFolder(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// nearestFolder is dir or its nearest existing parent.
func nearestFolder(dir string) string {
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return dir
		}
		dir = up
	}
}
