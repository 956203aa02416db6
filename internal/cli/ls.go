package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"lashview/internal/format"
	"lashview/sessions"
	"lashview/store"
)

var lsCommand = &command{
	name:  "ls",
	usage: "[--store DIR] [--json]",
	help:  "list the attachments, newest first",
	flags: func(fs *flag.FlagSet) action {
		asJSON := fs.Bool("json", false, "one JSON object per line")
		return action{run: func(c *call) int { return runLs(c, *asJSON) }}
	},
}

// lsRecord is one line of `ls --json`: the store's attachments, then the
// ids lash's sessions name that the store lacks (status "missing").
type lsRecord struct {
	ID         string      `json:"id"`
	Status     string      `json:"status"`
	Generation *string     `json:"generation"`
	Reference  string      `json:"reference"`
	MediaType  *string     `json:"media_type"`
	MetaSource *string     `json:"meta_source"`
	ByteLen    *int64      `json:"byte_len"`
	Width      *int        `json:"width"`
	Height     *int        `json:"height"`
	Label      *string     `json:"label"`
	Modified   *string     `json:"modified"`
	Sessions   []useRecord `json:"sessions"`
}

// useRecord is one session that holds an attachment, as ls and refs print
// it.
type useRecord struct {
	File          string          `json:"file,omitempty"`
	SessionID     string          `json:"session_id"`
	SessionName   string          `json:"session_name"`
	Created       string          `json:"created_at,omitempty"`
	Model         string          `json:"model,omitempty"`
	Cwd           string          `json:"cwd,omitempty"`
	Manifest      bool            `json:"manifest"`
	Committed     bool            `json:"committed"`
	CommittedAtMs *int64          `json:"committed_at_ms"`
	IntentAtMs    *int64          `json:"intent_at_ms"`
	OwnerKind     *string         `json:"owner_kind"`
	OwnerID       *string         `json:"owner_id"`
	Graph         string          `json:"graph"`
	Labels        []string        `json:"labels"`
	Messages      []messageRecord `json:"messages"`
}

type messageRecord struct {
	NodeID     string `json:"node_id"`
	Role       string `json:"role"`
	Tombstoned bool   `json:"tombstoned"`
	Text       string `json:"text"`
}

// useRecords is what the sessions say about id, as records.
func useRecords(ix *sessions.Index, id store.ID) []useRecord {
	out := []useRecord{}
	if ix == nil {
		return out
	}
	for _, u := range ix.Uses(id) {
		r := useRecord{File: u.Session.File, SessionID: u.Session.ID, SessionName: u.Session.Name,
			Created: u.Session.Created, Model: u.Session.Model, Cwd: u.Session.Cwd,
			Manifest: u.Manifest, Committed: u.Committed, Graph: u.Graph.String(),
			Labels: append([]string{}, u.Labels...), Messages: []messageRecord{}}
		if u.Manifest {
			intent := u.IntentAtMs
			r.IntentAtMs = &intent
			if u.Committed {
				at := u.CommittedAtMs
				r.CommittedAtMs = &at
			}
		}
		if u.OwnerKind != "" {
			kind, oid := u.OwnerKind, u.OwnerID
			r.OwnerKind, r.OwnerID = &kind, &oid
		}
		for _, m := range u.Messages {
			r.Messages = append(r.Messages, messageRecord{NodeID: m.NodeID, Role: m.Role, Tombstoned: m.Tombstoned, Text: m.Text})
		}
		out = append(out, r)
	}
	return out
}

func runLs(c *call, asJSON bool) int {
	res, err := c.store.Scan(c.ctx(), c.scanOptions())
	if err != nil {
		return c.fail(err)
	}
	ix, _, err := c.index()
	if err != nil {
		c.warn(fmt.Errorf("lash's sessions at %s could not be read, so labels and references from them are left out: %w", c.sessionsWhere(), err))
	}
	if ix != nil {
		for _, p := range ix.Problems {
			c.warn(fmt.Errorf("session database %v", p))
		}
	}
	if asJSON {
		enc := json.NewEncoder(c.env.Stdout)
		enc.SetEscapeHTML(false)
		have := map[store.ID]bool{}
		for _, a := range res.Attachments {
			have[a.ID] = true
			d := sessions.Describe(a, ix)
			gen, src, size, mod := string(a.Generation), d.Source, a.Size, a.Modified.Format(time.RFC3339)
			r := lsRecord{ID: string(a.ID), Status: string(a.Status), Generation: &gen, Reference: a.Reference(),
				MetaSource: &src, ByteLen: &size, Label: d.Label, Modified: &mod, Sessions: useRecords(ix, a.ID)}
			if d.MediaType != "" {
				r.MediaType = &d.MediaType
			}
			if d.Width > 0 && d.Height > 0 {
				r.Width, r.Height = &d.Width, &d.Height
			}
			if err := enc.Encode(r); err != nil {
				return c.fail(err)
			}
		}
		if ix != nil {
			writes, err := c.store.Writes(c.ctx())
			if err != nil {
				return c.fail(err)
			}
			for _, id := range ix.IDs() {
				if have[id] {
					continue
				}
				r := lsRecord{ID: string(id), Status: "missing", Reference: writes.Reference(id), Sessions: useRecords(ix, id)}
				if m, ok := ix.Meta(id); ok {
					src := sessions.SourceSession
					r.MetaSource = &src
					if m.MediaType != "" {
						r.MediaType = &m.MediaType
					}
					if m.ByteLen > 0 {
						r.ByteLen = &m.ByteLen
					}
					if m.Width > 0 && m.Height > 0 {
						r.Width, r.Height = &m.Width, &m.Height
					}
					if m.Labelled && !m.Tombstoned {
						r.Label = &m.Label
					}
				}
				if err := enc.Encode(r); err != nil {
					return c.fail(err)
				}
			}
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODIFIED\tID\tTYPE\tSIZE\tPIXELS\tSTATUS\tLABEL")
	for _, a := range res.Attachments {
		pix := "-"
		if a.Width > 0 && a.Height > 0 {
			pix = fmt.Sprintf("%d×%d", a.Width, a.Height)
		}
		d := sessions.Describe(a, ix)
		typ := strings.TrimPrefix(d.MediaType, "image/")
		if typ == "" {
			typ = "-"
		}
		label := "-"
		if d.Label != nil {
			label = format.OneLine(*d.Label)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Modified.Local().Format("2006-01-02 15:04"), a.ID.Short(),
			typ, format.Bytes(a.Size), pix, a.Status, label)
	}
	tw.Flush()
	fmt.Fprintf(c.env.Stdout, "%d attachments in %s\n", len(res.Attachments), c.store.Where())
	return exitOK
}
