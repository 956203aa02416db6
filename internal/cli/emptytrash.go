package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lashview/internal/format"
	"lashview/store"
)

var emptyTrashCommand = &command{
	name:  "empty-trash",
	usage: "[--store s3://BUCKET/PREFIX] [--older-than AGE]",
	help:  "delete for good what rm, gc and doctor --fix moved to a bucket's trash area",
	args:  argSpec{min: 0, max: 0},
	flags: func(fs *flag.FlagSet) action {
		older := fs.String("older-than", "0s", "only batches at least this old (30d, 36h, 90m; 0s: all)")
		var d time.Duration
		return action{
			check: func() string {
				var err error
				if d, err = parseAge(*older); err != nil {
					return fmt.Sprintf("--older-than %q is not an age such as 30d, 36h or 90m", *older)
				}
				return ""
			},
			run: func(c *call) int { return runEmptyTrash(c, d) },
		}
	},
}

// parseAge reads a duration that may also count days ("30d").
func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = fmt.Errorf("negative")
	}
	return d, err
}

// runEmptyTrash empties a bucket's trash area; a folder's trashed files are
// in the desktop Trash, which the file manager empties.
func runEmptyTrash(c *call, olderThan time.Duration) int {
	if s, ok := store.FolderOf(c.store); ok {
		return c.fail(fmt.Errorf("%s is a folder: what rm, gc and doctor --fix moved is in the desktop Trash, which your file manager empties (or `gio trash --empty`); empty-trash is for bucket stores", s.Root()))
	}
	objs, ok := c.store.(*store.Objects)
	if !ok {
		return c.fail(fmt.Errorf("%s has no trash area to empty", c.store.Where()))
	}
	ctx, stop := interruptible()
	defer stop()
	n, size, err := objs.EmptyTrash(ctx, olderThan)
	what := "all batches"
	if olderThan > 0 {
		what = "the batches older than " + olderThan.String()
	}
	fmt.Fprintf(c.env.Stdout, "deleted %d trashed batches (%s) for good from %s (%s); they cannot be restored\n",
		n, format.Bytes(size), c.store.Where()+"/"+store.TrashDir, what)
	if err != nil {
		return c.fail(err)
	}
	return exitOK
}
