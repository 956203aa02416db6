package cli

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"lashview/store"
)

var rmCommand = &command{
	name:  "rm",
	usage: "[--store DIR] ID...",
	help:  "move attachments to the Trash (undo: lashview restore)",
	args:  argSpec{min: 1, max: -1, wrong: "name at least one attachment id", ids: -1},
	flags: func(*flag.FlagSet) action { return action{run: runRm} },
}

// runRm moves the attachments to the Trash and says what went where; what
// it moved stays moved when another one fails.
func runRm(c *call) int {
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
		where = filepath.Dir(filepath.Dir(it.Trashed))
	}
	for _, id := range order {
		fmt.Fprintf(c.env.Stdout, "trashed %s (%s)\n", id, strings.Join(moved[id], " and "))
	}
	if len(order) > 0 {
		fmt.Fprintf(c.env.Stdout, "%d of %d attachments moved to the Trash in %s; undo with: lashview restore\n", len(order), len(c.ids), where)
	}
	if err != nil {
		return c.failAll(err)
	}
	return exitOK
}
