package cli

import (
	"flag"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"lashview/sessions"
	"lashview/store"
)

var rmCommand = &command{
	name:  "rm",
	usage: "[--store DIR] [--force] ID...",
	help:  "move attachments to the Trash (undo: lashview restore); refuses what a lash session uses unless --force",
	args:  argSpec{min: 1, max: -1, wrong: "name at least one attachment id", ids: -1},
	flags: func(fs *flag.FlagSet) action {
		force := fs.Bool("force", false, "move them even when lash sessions use them")
		return action{run: func(c *call) int { return runRm(c, *force) }}
	},
}

// trashArea names where a trashed file or object went, for a person: a
// folder's Trash ("the Trash in ~/.local/share/Trash"), or the bucket's
// trash area (the batch's folder in it).
func (c *call) trashArea(trashed string) string {
	if _, ok := store.FolderOf(c.store); ok {
		return "the Trash in " + filepath.Dir(filepath.Dir(trashed))
	}
	// <trash area>/<batch>/sha256/ab/<id>, store-relative: the batch.
	batch := path.Dir(path.Dir(path.Dir(trashed)))
	return "the bucket's trash area at " + c.store.Where() + "/" + batch + "/ (lashview empty-trash empties it)"
}

// runRm moves the attachments to the Trash and says what went where; what
// it moved stays moved when another one fails. Without force it first
// refuses, moving nothing, when a lash session holds any of them.
func runRm(c *call, force bool) int {
	if !force {
		ix, _, err := c.index()
		if err != nil {
			return c.fail(fmt.Errorf("lash's sessions at %s could not be read, so whether they use these attachments is unknown; nothing is moved (--force moves them all the same): %w", c.sessionsWhere(), err))
		}
		if ix != nil {
			if len(ix.Problems) > 0 {
				return c.fail(fmt.Errorf("%d session databases could not be read (%v), so whether they use these attachments is unknown; nothing is moved (--force moves them all the same)", len(ix.Problems), ix.Problems[0]))
			}
			if held := holdersOf(ix, c.ids); len(held) > 0 {
				for _, id := range c.ids {
					if names := held[id]; names != nil {
						c.warn(fmt.Errorf("%s is %s", id, sessions.UsedBy(names)))
					}
				}
				return c.fail(fmt.Errorf("nothing is moved: those sessions would fail to show what is gone (--force moves them all the same)"))
			}
		}
	}
	ctx, stop := interruptible()
	defer stop()
	batch, err := c.store.Trash(ctx, c.ids, store.TrashOptions{})
	moved := map[store.ID][]string{}
	var order []store.ID
	where := ""
	for _, it := range batch.Items {
		if moved[it.ID] == nil {
			order = append(order, it.ID)
		}
		moved[it.ID] = append(moved[it.ID], string(it.Role))
		where = c.trashArea(it.Trashed)
	}
	for _, id := range order {
		fmt.Fprintf(c.env.Stdout, "trashed %s (%s)\n", id, strings.Join(moved[id], " and "))
	}
	if len(order) > 0 {
		fmt.Fprintf(c.env.Stdout, "%d of %d attachments moved to %s; undo with: lashview restore\n", len(order), len(c.ids), where)
	}
	if err != nil {
		return c.failAll(err)
	}
	return exitOK
}
