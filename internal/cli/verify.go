package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"lashview/internal/format"
	"lashview/store"
)

var verifyCommand = &command{
	name:  "verify",
	usage: "[--store DIR] [--json]",
	help:  "re-hash every blob and decode every image; changes nothing",
	flags: func(fs *flag.FlagSet) action {
		asJSON := fs.Bool("json", false, "one JSON object per line, one per problem")
		return action{run: func(c *call) int { return runVerify(c, *asJSON) }}
	},
}

// verifyRecord is one line of `verify --json`.
type verifyRecord struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

func runVerify(c *call, asJSON bool) int {
	ctx, stop := interruptible()
	defer stop()
	opt := store.VerifyOptions{}
	var bar *progressLine
	if c.env.StdoutTTY {
		bar = &progressLine{w: c.env.Stderr, start: time.Now()}
		opt.Progress = bar.update
	}
	rep, err := c.store.Verify(ctx, opt)
	bar.clear()
	if err != nil {
		return c.fail(err)
	}
	problems := rep.Problems()
	if asJSON {
		enc := json.NewEncoder(c.env.Stdout)
		enc.SetEscapeHTML(false)
		for _, r := range problems {
			if err := enc.Encode(verifyRecord{ID: string(r.ID), Kind: string(r.Status), Detail: r.Detail}); err != nil {
				return c.fail(fmt.Errorf("write to stdout: %w", err))
			}
		}
	} else {
		counts := map[store.VerifyStatus]int{}
		for _, r := range rep.Results {
			counts[r.Status]++
		}
		for _, r := range problems {
			fmt.Fprintf(c.env.Stdout, "%-13s %s  %s\n", r.Status, r.ID, r.Detail)
		}
		var parts []string
		for _, st := range []store.VerifyStatus{store.VerifyOK, store.VerifyCorrupt, store.VerifyUndecodable, store.VerifyTypeMismatch, store.VerifyTooLarge, store.VerifyUnreadable, store.VerifySymlink} {
			if counts[st] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
			}
		}
		if len(parts) == 0 {
			parts = append(parts, "nothing to check")
		}
		fmt.Fprintf(c.env.Stdout, "verified %d blobs (%s) in %s: %s\n", len(rep.Results), format.Bytes(rep.Bytes), rep.Elapsed.Round(10*time.Millisecond), strings.Join(parts, ", "))
	}
	if len(problems) > 0 {
		return exitProblems
	}
	return exitOK
}
