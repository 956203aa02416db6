package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"lashview/store"
)

func init() {
	commands["ls"] = command{"[--store DIR] [--json]", "list the attachments, newest first", runLs}
	commands["put"] = command{"[--store DIR] [--label L] FILE...", "store image files (atomic, streaming)", runPut}
	commands["get"] = command{"[--store DIR] ID [-o FILE]", "write an attachment's bytes to stdout or FILE", runGet}
	commands["label"] = command{"[--store DIR] ID LABEL", "set an attachment's label", runLabel}
}

// lsRecord is one line of `ls --json`.
type lsRecord struct {
	ID        string  `json:"id"`
	Status    string  `json:"status"`
	MediaType *string `json:"media_type"`
	ByteLen   int64   `json:"byte_len"`
	Width     *int    `json:"width"`
	Height    *int    `json:"height"`
	Label     *string `json:"label"`
	Modified  string  `json:"modified"`
}

func runLs(args []string, env *cliEnv) int {
	fs, dir := newFlags("ls", env)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	pos, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(pos) > 0 {
		return usageError(env, "ls", "unexpected argument %q", pos[0])
	}
	s, ok := openStore(env, "ls", *dir)
	if !ok {
		return exitProblems
	}
	res, err := s.Scan(context.Background(), store.ScanOptions{})
	if err != nil {
		return fail(env, "ls", err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		for _, a := range res.Attachments {
			r := lsRecord{ID: string(a.ID), Status: string(a.Status), ByteLen: a.Size, Label: a.Label,
				Modified: a.Modified.Format(time.RFC3339)}
			if a.MediaType != "" {
				m := a.MediaType.MIME()
				r.MediaType = &m
			}
			if a.Width > 0 {
				r.Width = &a.Width
			}
			if a.Height > 0 {
				r.Height = &a.Height
			}
			if err := enc.Encode(r); err != nil {
				return fail(env, "ls", err)
			}
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODIFIED\tID\tTYPE\tSIZE\tPIXELS\tSTATUS\tLABEL")
	for _, a := range res.Attachments {
		pix := "-"
		if a.Width > 0 && a.Height > 0 {
			pix = fmt.Sprintf("%d×%d", a.Width, a.Height)
		}
		typ := string(a.MediaType)
		if typ == "" {
			typ = "-"
		}
		label := "-"
		if a.Label != nil {
			label = oneLine(*a.Label)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Modified.Local().Format("2006-01-02 15:04"), a.ID.Short(),
			typ, HumanBytes(a.Size), pix, a.Status, label)
	}
	tw.Flush()
	fmt.Fprintf(env.stdout, "%d attachments in %s\n", len(res.Attachments), s.Root())
	return exitOK
}

// oneLine shows control characters in a label visibly, for a table cell.
func oneLine(s string) string {
	r := strings.NewReplacer("\n", `\n`, "\t", `\t`, "\r", `\r`)
	return r.Replace(s)
}

// HumanBytes formats a size as a person reads it: 1.4 MB (decimal units).
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

func runPut(args []string, env *cliEnv) int {
	fs, dir := newFlags("put", env)
	label := fs.String("label", "", "the label (default: each file's base name)")
	files, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(files) == 0 {
		return usageError(env, "put", "name at least one file to put")
	}
	labelSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "label" {
			labelSet = true
		}
	})
	s := store.New(*dir)
	code := exitOK
	for _, path := range files {
		l := filepath.Base(path)
		if labelSet {
			l = *label
		}
		ref, err := putFile(s, path, l)
		if err != nil {
			fmt.Fprintf(env.stderr, "lashview put: %s: %v\n", path, err)
			code = exitProblems
			continue
		}
		fmt.Fprintf(env.stdout, "%s\n", ref.EncodeCompact())
	}
	return code
}

// putFile puts one file from disk; only regular files are read (a FIFO or a
// device would block or never end).
func putFile(s *store.Store, path, label string) (store.Sidecar, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return store.Sidecar{}, errors.Unwrap(err)
	}
	if !fi.Mode().IsRegular() {
		return store.Sidecar{}, errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return store.Sidecar{}, errors.Unwrap(err)
	}
	defer f.Close()
	return s.Put(context.Background(), f, store.PutOptions{Label: &label})
}

func runGet(args []string, env *cliEnv) int {
	fs, dir := newFlags("get", env)
	out := fs.String("o", "", "write to `FILE` instead of stdout")
	pos, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(pos) != 1 {
		return usageError(env, "get", "name exactly one attachment id")
	}
	id, err := store.ParseID(pos[0])
	if err != nil {
		return fail(env, "get", err)
	}
	s, ok := openStore(env, "get", *dir)
	if !ok {
		return exitProblems
	}
	r, _, err := s.Open(id)
	if err != nil {
		return fail(env, "get", err)
	}
	defer r.Close()
	if *out == "" {
		if _, err := io.Copy(env.stdout, r); err != nil {
			return fail(env, "get", fmt.Errorf("write to stdout: %w", err))
		}
		return exitOK
	}
	if err := writeFileAtomic(*out, r); err != nil {
		return fail(env, "get", err)
	}
	return exitOK
}

// writeFileAtomic writes r to path through a temp file in the same folder,
// so a failed get never leaves half a file under the name asked for.
func writeFileAtomic(path string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func runLabel(args []string, env *cliEnv) int {
	fs, dir := newFlags("label", env)
	pos, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(pos) != 2 {
		return usageError(env, "label", "name an attachment id and the new label")
	}
	id, err := store.ParseID(pos[0])
	if err != nil {
		return fail(env, "label", err)
	}
	s, ok := openStore(env, "label", *dir)
	if !ok {
		return exitProblems
	}
	if _, err := s.SetLabel(id, pos[1]); err != nil {
		return fail(env, "label", err)
	}
	return exitOK
}
