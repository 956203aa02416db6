package ui

import (
	"context"
	"errors"
	"sync"
	"time"

	"lashview/store"
	"lashview/watcher"
)

// pollLive follows a bucket store with watcher.Poll: a bucket sends no
// file system events, so its listing is taken every interval and the
// differences come as the fsnotify watcher's events.
type pollLive struct {
	obj      *store.Objects
	interval time.Duration // 0: watcher.DefaultPollInterval

	mu sync.Mutex
	p  *watcher.Poller
}

// freshTick is how often the status bar's "checked N s ago" is updated.
const freshTick = time.Second

// Watch polls the bucket until ctx ends: its first listing is reported as
// a Full change, then each batch; the state says every freshTick how fresh
// the view is.
func (l *pollLive) Watch(ctx context.Context, changes func(change), state func(LiveState)) {
	state(LiveState{Kind: LiveStarting})
	p, res, err := watcher.Poll(ctx, l.obj, watcher.PollOptions{Interval: l.interval})
	if err != nil {
		if ctx.Err() == nil {
			state(LiveState{Kind: LiveFailed, Err: err})
		}
		return
	}
	defer p.Close()
	l.mu.Lock()
	l.p = p
	l.mu.Unlock()
	changes(change{Full: true, Listing: res.Attachments, Findings: res.Findings})
	report := func() {
		f := p.Freshness()
		s := LiveState{Kind: LivePolling, Every: p.Interval(), Checked: f.Checked}
		if f.Failure != nil {
			s.Kind, s.Err, s.Retry = LivePollFailing, f.Failure, f.RetryIn
		}
		state(s)
	}
	report()
	tick := time.NewTicker(freshTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			report()
		case b, ok := <-p.Batches():
			if !ok {
				state(LiveState{Kind: LiveFailed, Err: errors.New("polling the bucket stopped")})
				return
			}
			changes(changeOf(b))
			report()
		}
	}
}

// Rescan asks the poller for a full listing now.
func (l *pollLive) Rescan() {
	l.mu.Lock()
	p := l.p
	l.mu.Unlock()
	if p != nil {
		p.Rescan("a rescan was asked for")
	}
}
