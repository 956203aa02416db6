package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"lashview/store"
	"lashview/watcher"
)

func init() {
	commands["watch"] = command{"[--store DIR] [--json]", "print the store's changes as they happen, until interrupted", runWatch}
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

func runWatch(args []string, env *cliEnv) int {
	fs, dir := newFlags("watch", env)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	pos, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(pos) > 0 {
		return usageError(env, "watch", "unexpected argument %q", pos[0])
	}
	s, ok := openStore(env, "watch", *dir)
	if !ok {
		return exitProblems
	}
	// SIGTERM too: a service manager or a script's `kill` stops a tail as
	// cleanly as Ctrl-C.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return watchStore(ctx, s, *asJSON, env)
}

// watchStore prints the store's changes until ctx ends (exit 0) or stdout
// fails. Problems the watcher meets go to stderr; it keeps going.
func watchStore(ctx context.Context, s *store.Store, asJSON bool, env *cliEnv) int {
	w, res, err := watcher.New(ctx, s, watcher.Options{})
	if err != nil {
		if ctx.Err() != nil {
			return exitOK
		}
		return fail(env, "watch", err)
	}
	defer w.Close()
	// On stderr, so stdout stays events only; it also tells a script that
	// changes from now on will be seen.
	fmt.Fprintf(env.stderr, "lashview watch: watching %s (%d attachments); stop with Ctrl-C\n", w.Root(), len(res.Attachments))
	print := printWatchText
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		print = func(_ io.Writer, e watcher.Event) error { return enc.Encode(watchRecordOf(e)) }
	}
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case b, ok := <-w.Batches():
			if !ok {
				return fail(env, "watch", errors.New("the watcher stopped"))
			}
			if b.Err != nil {
				errs := []error{b.Err}
				if j, ok := b.Err.(interface{ Unwrap() []error }); ok {
					errs = j.Unwrap()
				}
				for _, err := range errs {
					fmt.Fprintf(env.stderr, "lashview watch: %v\n", err)
				}
			}
			for _, e := range b.Events {
				if err := print(env.stdout, e); err != nil {
					return fail(env, "watch", fmt.Errorf("write to stdout: %w", err))
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
//	14:03:05.123  added    <id>  ok  png 640×480  12.3 kB  "label"
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
		_, err = fmt.Fprintf(out, "%s  %-7s  %s  %s  %s  %s  %s\n", at, e.Kind, e.ID, a.Status, typ, HumanBytes(a.Size), label)
	}
	return err
}
