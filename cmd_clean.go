package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"lashview/store"
)

func init() {
	commands["rm"] = command{"[--store DIR] ID...", "move attachments to the Trash (undo: lashview restore)", runRm}
	commands["restore"] = command{"[--store DIR] [ID...]", "bring attachments back from the Trash; no ID: undo the last rm or doctor --fix", runRestore}
	commands["verify"] = command{"[--store DIR] [--json]", "re-hash every blob and decode every image; changes nothing", runVerify}
	commands["doctor"] = command{"[--store DIR] [--json] [--fix]", "find what crashes and hand edits left; --fix repairs it, recoverably", runDoctor}
}

// interruptible returns a context cancelled by Ctrl-C, so a long verify or
// doctor stops between files rather than mid-rename.
func interruptible() (context.Context, func()) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// parseIDs reads the id arguments; a bad one fails the command (exit 1),
// as it does for get and label, before the store is touched.
func parseIDs(env *cliEnv, name string, args []string) ([]store.ID, bool) {
	ids := make([]store.ID, 0, len(args))
	for _, a := range args {
		id, err := store.ParseID(a)
		if err != nil {
			fail(env, name, err)
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

func runRm(args []string, env *cliEnv) int {
	fs, dir := newFlags("rm", env)
	pos, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(pos) == 0 {
		return usageError(env, "rm", "name at least one attachment id")
	}
	ids, ok := parseIDs(env, "rm", pos)
	if !ok {
		return exitProblems
	}
	s, ok := openStore(env, "rm", *dir)
	if !ok {
		return exitProblems
	}
	ctx, stop := interruptible()
	defer stop()
	batch, err := s.Trash(ctx, ids, store.TrashOptions{})
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
		fmt.Fprintf(env.stdout, "trashed %s (%s)\n", id, strings.Join(moved[id], " and "))
	}
	if len(order) > 0 {
		fmt.Fprintf(env.stdout, "%d of %d attachments moved to the Trash in %s; undo with: lashview restore\n", len(order), len(ids), where)
	}
	if err != nil {
		for _, e := range splitErrors(err) {
			fmt.Fprintf(env.stderr, "lashview rm: %v\n", e)
		}
		return exitProblems
	}
	return exitOK
}

// splitErrors unpacks an errors.Join into its sentences.
func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func runRestore(args []string, env *cliEnv) int {
	fs, dir := newFlags("restore", env)
	pos, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	ids, ok := parseIDs(env, "restore", pos)
	if !ok {
		return exitProblems
	}
	s, ok := openStore(env, "restore", *dir)
	if !ok {
		return exitProblems
	}
	ctx, stop := interruptible()
	defer stop()
	rep, err := s.Restore(ctx, ids, store.TrashOptions{})
	if rep != nil {
		for _, b := range rep.Batches {
			fmt.Fprintf(env.stdout, "undoing %s of %s\n", b.Op, b.Time.Local().Format("2006-01-02 15:04:05"))
		}
		counts := map[store.RestoreOutcome]int{}
		for _, it := range rep.Items {
			counts[it.Outcome]++
			line := fmt.Sprintf("%-13s %s", it.Outcome, relTo(s.Root(), it.Path))
			if it.Detail != "" {
				line += ": " + it.Detail
			}
			if it.Err != nil {
				fmt.Fprintf(env.stderr, "lashview restore: %v\n", it.Err)
				continue
			}
			fmt.Fprintln(env.stdout, line)
		}
		fmt.Fprintf(env.stdout, "%d restored, %d undone, %d already in place, %d kept (their Trash copies stay), %d gone from the Trash, %d failed\n",
			counts[store.OutcomeRestored], counts[store.OutcomeUndone], counts[store.OutcomeAlreadyThere], counts[store.OutcomeKept], counts[store.OutcomeGone], counts[store.OutcomeFailed])
	}
	if err != nil {
		for _, e := range splitErrors(err) {
			fmt.Fprintf(env.stderr, "lashview restore: %v\n", e)
		}
		return exitProblems
	}
	if rep.Failed() {
		return exitProblems
	}
	return exitOK
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

// verifyRecord is one line of `verify --json`.
type verifyRecord struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

func runVerify(args []string, env *cliEnv) int {
	fs, dir := newFlags("verify", env)
	asJSON := fs.Bool("json", false, "one JSON object per line, one per problem")
	pos, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(pos) > 0 {
		return usageError(env, "verify", "unexpected argument %q", pos[0])
	}
	s, ok := openStore(env, "verify", *dir)
	if !ok {
		return exitProblems
	}
	ctx, stop := interruptible()
	defer stop()
	opt := store.VerifyOptions{}
	var bar *progressLine
	if env.stdoutTTY {
		bar = &progressLine{w: env.stderr, start: time.Now()}
		opt.Progress = bar.update
	}
	rep, err := s.Verify(ctx, opt)
	bar.clear()
	if err != nil {
		return fail(env, "verify", err)
	}
	problems := rep.Problems()
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		for _, r := range problems {
			if err := enc.Encode(verifyRecord{ID: string(r.ID), Kind: string(r.Status), Detail: r.Detail}); err != nil {
				return fail(env, "verify", fmt.Errorf("write to stdout: %w", err))
			}
		}
	} else {
		counts := map[store.VerifyStatus]int{}
		for _, r := range rep.Results {
			counts[r.Status]++
		}
		for _, r := range problems {
			fmt.Fprintf(env.stdout, "%-13s %s  %s\n", r.Status, r.ID, r.Detail)
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
		fmt.Fprintf(env.stdout, "verified %d blobs (%s) in %s: %s\n", len(rep.Results), HumanBytes(rep.Bytes), rep.Elapsed.Round(10*time.Millisecond), strings.Join(parts, ", "))
	}
	if len(problems) > 0 {
		return exitProblems
	}
	return exitOK
}

// progressLine redraws one status line on a terminal with \r.
type progressLine struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	width int // of the last line drawn, to blank it
}

func (p *progressLine) update(v store.VerifyProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start).Seconds()
	line := fmt.Sprintf("verify: %d/%d blobs, %s of %s", v.Files, v.TotalFiles, HumanBytes(v.Bytes), HumanBytes(v.TotalBytes))
	if el > 0.2 && v.Bytes > 0 {
		rate := float64(v.Bytes) / el
		left := time.Duration(float64(v.TotalBytes-v.Bytes) / rate * float64(time.Second))
		line += fmt.Sprintf(", %s/s, %s left", HumanBytes(int64(rate)), left.Round(time.Second))
	}
	p.drawLocked(line)
}

// draw shows line in place of the last one.
func (p *progressLine) draw(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawLocked(line)
}

func (p *progressLine) drawLocked(line string) {
	pad := ""
	if n := p.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.width = len(line)
}

// clear blanks the line so the results print on a clean one.
func (p *progressLine) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
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

func runDoctor(args []string, env *cliEnv) int {
	fs, dir := newFlags("doctor", env)
	asJSON := fs.Bool("json", false, "one JSON object per line, one per problem")
	fix := fs.Bool("fix", false, "apply the proposed fixes (every one recoverable through the Trash)")
	pos, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(pos) > 0 {
		return usageError(env, "doctor", "unexpected argument %q", pos[0])
	}
	s, ok := openStore(env, "doctor", *dir)
	if !ok {
		return exitProblems
	}
	ctx, stop := interruptible()
	defer stop()
	rep, err := s.Doctor(ctx, store.DoctorOptions{Fix: *fix})
	if rep == nil {
		return fail(env, "doctor", err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		for _, p := range rep.Problems {
			r := doctorRecord{ID: string(p.ID), Path: p.Path, Kind: p.Kind, Detail: p.Detail, Fix: string(p.Fix), FixDetail: p.FixDetail, Outcome: p.Outcome}
			if *fix {
				r.Fixed = &p.Fixed
			}
			if p.Err != nil {
				r.Error = p.Err.Error()
			}
			if err := enc.Encode(r); err != nil {
				return fail(env, "doctor", fmt.Errorf("write to stdout: %w", err))
			}
		}
	} else {
		printDoctor(env, rep, *fix)
	}
	if err != nil {
		for _, e := range splitErrors(err) {
			fmt.Fprintf(env.stderr, "lashview doctor: %v\n", e)
		}
	}
	for _, p := range rep.Problems {
		if p.Err != nil && *asJSON {
			fmt.Fprintf(env.stderr, "lashview doctor: %v\n", p.Err)
		}
	}
	if err != nil || rep.NeedsCare() {
		return exitProblems
	}
	return exitOK
}

func printDoctor(env *cliEnv, rep *store.DoctorReport, fixed bool) {
	fixable, fixedN, failed := 0, 0, 0
	for _, p := range rep.Problems {
		what := p.Path
		if p.ID != "" && !strings.Contains(p.Path, string(p.ID)) {
			what = string(p.ID) + " " + p.Path
		}
		fmt.Fprintf(env.stdout, "%s: %s: %s\n", what, p.Kind, p.Detail)
		fmt.Fprintf(env.stdout, "    fix: %s\n", p.FixDetail)
		if p.Fix.Changes() {
			fixable++
		}
		switch {
		case p.Err != nil:
			failed++
			fmt.Fprintf(env.stderr, "lashview doctor: %v\n", p.Err)
		case p.Fixed:
			fixedN++
			fmt.Fprintf(env.stdout, "    done: %s\n", p.Outcome)
		case p.Outcome != "":
			fmt.Fprintf(env.stdout, "    left: %s\n", p.Outcome)
		}
	}
	n := len(rep.Problems)
	switch {
	case n == 0:
		fmt.Fprintln(env.stdout, "nothing needs care")
	case !fixed:
		fmt.Fprintf(env.stdout, "%d problems: %d with a fix (apply with: lashview doctor --fix), %d to report only\n", n, fixable, n-fixable)
	default:
		fmt.Fprintf(env.stdout, "%d problems: %d fixed, %d failed, %d left for a person\n", n, fixedN, failed, n-fixedN-failed)
		if rep.Batch != nil {
			fmt.Fprintln(env.stdout, "everything removed or replaced is in the Trash; undo with: lashview restore")
		}
	}
}
