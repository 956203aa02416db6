package ui

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"lashview/internal/format"
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
	LiveStarting    LiveKind = iota // listing the store, setting up watches
	LiveWatching                    // every change shows within a tenth of a second
	LiveRescanning                  // listing the whole store again
	LiveDegraded                    // watching, but some changes may be missed (Err says why)
	LiveFailed                      // not watching (Err says why)
	LivePolling                     // a bucket: its listing is taken every Every
	LivePollFailing                 // a bucket whose last poll failed (Err); the next is in Retry
)

// LiveState is the watcher's state, with the problem in words.
type LiveState struct {
	Kind LiveKind
	Err  error
	// A polled bucket: the time between polls, when the last one
	// completed, and after a failed one the wait until the next.
	Every, Retry time.Duration
	Checked      time.Time
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
	case LivePolling:
		return "● live: polling every " + format.Interval(s.Every) + " · checked " + format.Ago(time.Since(s.Checked))
	case LivePollFailing:
		return "⚠ polling every " + format.Interval(s.Every) + ", but the last poll failed (" + errText(s.Err) +
			"); trying again in " + format.Interval(s.Retry) + " · checked " + format.Ago(time.Since(s.Checked))
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
type Services func(v store.Face, onResult func(thumbs.Result)) (thumbnailer, liveSource, error)

// a variable so tests can lengthen it

// unwrapPath drops the *PathError wrapper when the message names the path
// already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
