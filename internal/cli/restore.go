package cli

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"lashview/store"
)

var restoreCommand = &command{
	name:  "restore",
	usage: "[--store DIR] [ID...]",
	help:  "bring attachments back from the Trash; no ID: undo the last rm or doctor --fix",
	args:  argSpec{max: -1, ids: -1},
	flags: func(*flag.FlagSet) action { return action{run: runRestore} },
}

func runRestore(c *call) int {
	ctx, stop := interruptible()
	defer stop()
	rep, err := c.store.Restore(ctx, c.ids, store.TrashOptions{})
	if rep != nil {
		for _, b := range rep.Batches {
			fmt.Fprintf(c.env.Stdout, "undoing %s of %s\n", b.Op, b.Time.Local().Format("2006-01-02 15:04:05"))
		}
		counts := map[store.RestoreOutcome]int{}
		for _, it := range rep.Items {
			counts[it.Outcome]++
			line := fmt.Sprintf("%-13s %s", it.Outcome, c.rel(it.Path))
			if it.Detail != "" {
				line += ": " + it.Detail
			}
			if it.Err != nil {
				c.warn(it.Err)
				continue
			}
			fmt.Fprintln(c.env.Stdout, line)
		}
		fmt.Fprintf(c.env.Stdout, "%d restored, %d undone, %d already in place, %d kept (their Trash copies stay), %d gone from the Trash, %d failed\n",
			counts[store.OutcomeRestored], counts[store.OutcomeUndone], counts[store.OutcomeAlreadyThere], counts[store.OutcomeKept], counts[store.OutcomeGone], counts[store.OutcomeFailed])
	}
	if err != nil {
		return c.failAll(err)
	}
	if rep.Failed() {
		return exitProblems
	}
	return exitOK
}

// rel shows a path or key inside the store relative to the store: a
// folder's path relative to its root, a bucket's s3:// name relative to
// the store's prefix.
func (c *call) rel(p string) string {
	if s, ok := store.FolderOf(c.store); ok {
		return relTo(s.Root(), p)
	}
	if r, ok := strings.CutPrefix(p, c.store.Where()+"/"); ok {
		return r
	}
	return p
}

// relTo shows a path inside the store relative to its root.
func relTo(root, p string) string {
	abs, err := filepath.Abs(root)
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(abs, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}
