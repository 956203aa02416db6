package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"lashview/store"
)

var doctorCommand = &command{
	name:  "doctor",
	usage: "[--store DIR] [--json] [--fix]",
	help:  "find what crashes and hand edits left; --fix repairs it, recoverably",
	flags: func(fs *flag.FlagSet) action {
		asJSON := fs.Bool("json", false, "one JSON object per line, one per problem")
		fix := fs.Bool("fix", false, "apply the proposed fixes (every one recoverable through the Trash)")
		return action{run: func(c *call) int { return runDoctor(c, *asJSON, *fix) }}
	},
}

// doctorRecord is one line of `doctor --json`.
type doctorRecord struct {
	ID        string `json:"id,omitempty"`
	Path      string `json:"path"`
	Kind      string `json:"kind"`
	Detail    string `json:"detail"`
	Fix       string `json:"fix"`
	FixDetail string `json:"fix_detail"`
	Fixed     *bool  `json:"fixed,omitempty"`
	Outcome   string `json:"outcome,omitempty"`
	Error     string `json:"error,omitempty"`
}

func runDoctor(c *call, asJSON, fix bool) int {
	ctx, stop := interruptible()
	defer stop()
	rep, err := c.store.Doctor(ctx, store.DoctorOptions{Fix: fix})
	if rep == nil {
		return c.fail(err)
	}
	if asJSON {
		enc := json.NewEncoder(c.env.Stdout)
		enc.SetEscapeHTML(false)
		for _, p := range rep.Problems {
			r := doctorRecord{ID: string(p.ID), Path: p.Path, Kind: p.Kind, Detail: p.Detail, Fix: string(p.Fix), FixDetail: p.FixDetail, Outcome: p.Outcome}
			if fix {
				r.Fixed = &p.Fixed
			}
			if p.Err != nil {
				r.Error = p.Err.Error()
			}
			if err := enc.Encode(r); err != nil {
				return c.fail(fmt.Errorf("write to stdout: %w", err))
			}
		}
	} else {
		printDoctor(c, rep, fix)
	}
	if err != nil {
		c.warnAll(err)
	}
	for _, p := range rep.Problems {
		if p.Err != nil && asJSON {
			c.warn(p.Err)
		}
	}
	if err != nil || rep.NeedsCare() {
		return exitProblems
	}
	return exitOK
}

// printDoctor writes the report for a person: each problem with its fix
// and, after --fix, what became of it; then the counts.
func printDoctor(c *call, rep *store.DoctorReport, fixed bool) {
	out := c.env.Stdout
	fixable, fixedN, failed := 0, 0, 0
	for _, p := range rep.Problems {
		what := p.Path
		if p.ID != "" && !strings.Contains(p.Path, string(p.ID)) {
			what = string(p.ID) + " " + p.Path
		}
		fmt.Fprintf(out, "%s: %s: %s\n", what, p.Kind, p.Detail)
		fmt.Fprintf(out, "    fix: %s\n", p.FixDetail)
		if p.Fix.Changes() {
			fixable++
		}
		switch {
		case p.Err != nil:
			failed++
			c.warn(p.Err)
		case p.Fixed:
			fixedN++
			fmt.Fprintf(out, "    done: %s\n", p.Outcome)
		case p.Outcome != "":
			fmt.Fprintf(out, "    left: %s\n", p.Outcome)
		}
	}
	n := len(rep.Problems)
	switch {
	case n == 0:
		fmt.Fprintln(out, "nothing needs care")
	case !fixed:
		fmt.Fprintf(out, "%d problems: %d with a fix (apply with: lashview doctor --fix), %d to report only\n", n, fixable, n-fixable)
	default:
		fmt.Fprintf(out, "%d problems: %d fixed, %d failed, %d left for a person\n", n, fixedN, failed, n-fixedN-failed)
		if rep.Batch != nil {
			fmt.Fprintln(out, "everything removed or replaced is in the Trash; undo with: lashview restore")
		}
	}
}
