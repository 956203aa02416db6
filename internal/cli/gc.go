package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"lashview/internal/format"
	"lashview/sessions"
	"lashview/store"
)

var gcCommand = &command{
	name:  "gc",
	usage: "[--store DIR] [--sessions S] [--grace DURATION] [--dry-run] [--json]",
	help:  "move to the Trash what lash's own clean-up would delete (undo: lashview restore)",
	args:  argSpec{min: 0, max: 0},
	flags: func(fs *flag.FlagSet) action {
		grace := fs.String("grace", sessions.DefaultGrace.String(), "how old an unreferenced blob must be (90m, 1h, 36h, 3600s)")
		dry := fs.Bool("dry-run", false, "only say what would be moved")
		asJSON := fs.Bool("json", false, "one JSON object per attachment")
		var d time.Duration
		return action{
			check: func() string {
				var err error
				if d, err = time.ParseDuration(*grace); err != nil || d < 0 {
					return fmt.Sprintf("--grace %q is not a duration such as 90m, 1h, 36h or 3600s", *grace)
				}
				return ""
			},
			run: func(c *call) int { return runGC(c, d, *dry, *asJSON) },
		}
	},
}

// gcRecord is one line of `gc --json`.
type gcRecord struct {
	ID       string `json:"id"`
	ByteLen  int64  `json:"byte_len"`
	Modified string `json:"modified"`
	Action   string `json:"action"` // would_trash, trashed, failed
}

// runGC applies lash's reclaim rule (sessions.Collect) and moves what it
// would delete to the Trash as one batch. It refuses, moving nothing, when
// the sessions cannot all be read or none are found.
func runGC(c *call, grace time.Duration, dry, asJSON bool) int {
	ix, found, err := c.index()
	if err != nil {
		return c.fail(fmt.Errorf("lash's sessions at %s could not be read, so nothing is moved: %w", c.sessionsWhere(), err))
	}
	if !found {
		return c.fail(fmt.Errorf("%s: without them every attachment looks unreferenced, so nothing is moved", c.noSessions()))
	}
	ctx, stop := interruptible()
	defer stop()
	res, err := c.store.Scan(ctx, c.scanOptions())
	if err != nil {
		return c.fail(err)
	}
	var blobs []sessions.Blob
	byID := map[store.ID]store.Attachment{}
	for _, a := range res.Attachments {
		if a.HasBlob && a.Status != store.StatusSymlink {
			blobs = append(blobs, sessions.Blob{ID: a.ID, ModTime: a.Modified})
			byID[a.ID] = a
		}
	}
	sw, err := sessions.Collect(ix, blobs, time.Now(), grace)
	if err != nil {
		return c.fail(fmt.Errorf("%w; nothing is moved", err))
	}
	var total int64
	for _, id := range sw.Reclaimable {
		total += byID[id].Size
	}
	report := func(action string) int {
		enc := json.NewEncoder(c.env.Stdout)
		for _, id := range sw.Reclaimable {
			a := byID[id]
			if asJSON {
				if err := enc.Encode(gcRecord{ID: string(id), ByteLen: a.Size, Modified: a.Modified.Format(time.RFC3339), Action: action}); err != nil {
					return c.fail(err)
				}
				continue
			}
			fmt.Fprintf(c.env.Stdout, "%s  %s  %s  %s\n", action, id, format.Bytes(a.Size), a.Modified.Local().Format("2006-01-02 15:04"))
		}
		return exitOK
	}
	if dry || len(sw.Reclaimable) == 0 {
		if code := report("would_trash"); code != exitOK {
			return code
		}
		if !asJSON {
			fmt.Fprintf(c.env.Stdout, "lash would delete %d of %d blobs (%s): no session keeps them and they are older than %s; %d more are unreferenced but younger\n",
				len(sw.Reclaimable), len(blobs), format.Bytes(total), grace, len(sw.Spared))
		}
		return exitOK
	}
	batch, err := c.store.Trash(context.WithoutCancel(ctx), sw.Reclaimable, store.TrashOptions{})
	if code := report("trashed"); code != exitOK {
		return code
	}
	if !asJSON {
		n := 0
		if batch != nil {
			seen := map[store.ID]bool{}
			for _, it := range batch.Items {
				seen[it.ID] = true
			}
			n = len(seen)
		}
		fmt.Fprintf(c.env.Stdout, "moved %d attachments (%s) to the Trash; undo with: lashview restore\n", n, format.Bytes(total))
	}
	if err != nil {
		return c.failAll(err)
	}
	return exitOK
}
