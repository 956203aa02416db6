package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"lashview/internal/format"
	"lashview/store"
	"lashview/watcher"
)

var watchCommand = &command{
	name:  "watch",
	usage: "[--store DIR] [--interval D] [--json]",
	help:  "print the store's changes as they happen, until interrupted (a bucket is polled)",
	flags: func(fs *flag.FlagSet) action {
		asJSON := fs.Bool("json", false, "one JSON object per line")
		interval := fs.Duration("interval", watcher.DefaultPollInterval, "how often a bucket is listed (a folder reports its changes as they happen)")
		return action{check: func() string {
			if *interval <= 0 {
				return fmt.Sprintf("--interval must be a positive duration such as 3s or 1m, not %s", *interval)
			}
			return ""
		}, run: func(c *call) int {
			// SIGTERM too: a service manager or a script's `kill` stops a
			// tail as cleanly as Ctrl-C.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runWatch(ctx, c, *asJSON, *interval)
		}}
	},
}

// watchRecord is one line of `watch --json`. event, id, time and reason are
// the contract; the attachment fields save a script a `ls` per event.
type watchRecord struct {
	Event     string  `json:"event"`
	ID        string  `json:"id,omitempty"`
	Time      string  `json:"time"`
	Reason    string  `json:"reason,omitempty"`
	Status    string  `json:"status,omitempty"`
	MediaType string  `json:"media_type,omitempty"`
	ByteLen   *int64  `json:"byte_len,omitempty"`
	Label     *string `json:"label,omitempty"`
}

// watchTimeLayout is RFC 3339 with milliseconds.
const watchTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// runWatch prints the store's changes until ctx ends (exit 0) or stdout
// fails. Problems the watcher meets go to stderr; it keeps going.
func runWatch(ctx context.Context, c *call, asJSON bool, interval time.Duration) int {
	var (
		w   watcher.Live
		res *store.ScanResult
		err error
		how string
	)
	if s, ok := store.FolderOf(c.store); ok {
		var fw *watcher.Watcher
		fw, res, err = watcher.New(ctx, s, watcher.Options{})
		if fw != nil {
			w, how = fw, "watching "+fw.Root()
		}
	} else if objs, ok := c.store.(*store.Objects); ok {
		var pw *watcher.Poller
		pw, res, err = watcher.Poll(ctx, objs, watcher.PollOptions{Interval: interval, Scan: c.scanOptions()})
		if pw != nil {
			w, how = pw, fmt.Sprintf("polling %s every %s", pw.Where(), interval)
		}
	} else {
		err = fmt.Errorf("%s cannot be watched", c.store.Where())
	}
	if err != nil {
		if ctx.Err() != nil {
			return exitOK
		}
		return c.fail(err)
	}
	defer w.Close()
	// On stderr, so stdout stays events only; it also tells a script that
	// changes from now on will be seen.
	fmt.Fprintf(c.env.Stderr, "lashview watch: %s (%d attachments); stop with Ctrl-C\n", how, len(res.Attachments))
	print := printWatchText
	if asJSON {
		enc := json.NewEncoder(c.env.Stdout)
		enc.SetEscapeHTML(false)
		print = func(_ io.Writer, e watcher.Event) error { return enc.Encode(watchRecordOf(e)) }
	}
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case b, ok := <-w.Batches():
			if !ok {
				return c.fail(errors.New("the watcher stopped"))
			}
			if b.Err != nil {
				c.warnAll(b.Err)
			}
			for _, e := range b.Events {
				if err := print(c.env.Stdout, e); err != nil {
					return c.fail(fmt.Errorf("write to stdout: %w", err))
				}
			}
		}
	}
}

func watchRecordOf(e watcher.Event) watchRecord {
	r := watchRecord{Event: string(e.Kind), ID: string(e.ID), Time: e.Time.UTC().Format(watchTimeLayout), Reason: e.Reason}
	if e.Kind == watcher.Added || e.Kind == watcher.Changed {
		a := e.Attachment
		r.Status, r.MediaType, r.Label = string(a.Status), a.MediaType.MIME(), a.Label
		n := a.Size
		r.ByteLen = &n
	}
	return r
}

// printWatchText writes one event as a line for a person:
//
//	14:03:05.123  added    <id>  ok  png 640×480  12.3 KiB  "label"
func printWatchText(out io.Writer, e watcher.Event) error {
	at := e.Time.Local().Format("15:04:05.000")
	var err error
	switch e.Kind {
	case watcher.Rescan:
		_, err = fmt.Fprintf(out, "%s  %-7s  %s\n", at, e.Kind, e.Reason)
	case watcher.Removed:
		_, err = fmt.Fprintf(out, "%s  %-7s  %s\n", at, e.Kind, e.ID)
	default:
		a := e.Attachment
		typ := string(a.MediaType)
		if typ == "" {
			typ = "-"
		}
		if a.Width > 0 && a.Height > 0 {
			typ += fmt.Sprintf(" %d×%d", a.Width, a.Height)
		}
		label := "-"
		if a.Label != nil {
			label = fmt.Sprintf("%q", *a.Label)
		}
		_, err = fmt.Fprintf(out, "%s  %-7s  %s  %s  %s  %s  %s\n", at, e.Kind, e.ID, a.Status, typ, format.Bytes(a.Size), label)
	}
	return err
}
