package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"lashview/internal/format"
	"lashview/sessions"
	"lashview/store"
)

var refsCommand = &command{
	name:  "refs",
	usage: "[--store DIR] [--sessions S] [--json] ID",
	help:  "which lash sessions use an attachment, and the messages that show it",
	args:  argSpec{min: 1, max: 1, wrong: "name one attachment id", ids: 1},
	flags: func(fs *flag.FlagSet) action {
		asJSON := fs.Bool("json", false, "one JSON object")
		return action{run: func(c *call) int { return runRefs(c, *asJSON) }}
	},
}

// refsRecord is `refs --json`.
type refsRecord struct {
	ID        string      `json:"id"`
	InStore   bool        `json:"in_store"`
	Reference string      `json:"reference"`
	Sessions  []useRecord `json:"sessions"`
}

func runRefs(c *call, asJSON bool) int {
	id := c.ids[0]
	ix, found, err := c.index()
	if err != nil {
		return c.fail(fmt.Errorf("lash's sessions at %s could not be read: %w", c.sessionsWhere(), err))
	}
	if !found {
		return c.fail(errors.New(c.noSessions()))
	}
	for _, p := range ix.Problems {
		c.warn(fmt.Errorf("session database %v: its references are not known", p))
	}
	a, inStore, err := c.store.Examine(c.ctx(), id)
	if err != nil {
		return c.fail(err)
	}
	writes, err := c.store.Writes(c.ctx())
	if err != nil {
		return c.fail(err)
	}
	ref := writes.Reference(id)
	if inStore {
		ref = a.Reference()
	}
	if asJSON {
		enc := json.NewEncoder(c.env.Stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(refsRecord{ID: string(id), InStore: inStore && a.HasBlob, Reference: ref, Sessions: useRecords(ix, id)}); err != nil {
			return c.fail(err)
		}
		return exitOK
	}
	uses := ix.Uses(id)
	w := c.env.Stdout
	switch {
	case len(uses) == 0:
		fmt.Fprintf(w, "%s is used by no session.\n", id)
	default:
		fmt.Fprintf(w, "%s is %s.\n", id, sessions.UsedBy(ix.Holders(id)))
	}
	if !inStore || !a.HasBlob {
		fmt.Fprintf(w, "Its blob is not in the store at %s: a session that shows it will fail to.\n", c.store.Where())
	}
	for _, u := range uses {
		s := u.Session
		fmt.Fprintf(w, "\n%s", s.Title())
		var about []string
		if s.File != "" {
			about = append(about, s.File)
		}
		if s.Created != "" {
			about = append(about, "started "+s.Created)
		}
		if s.Model != "" {
			about = append(about, s.Model)
		}
		if len(about) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(about, ", "))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  %s\n", useState(u))
		for _, m := range u.Messages {
			text := format.OneLine(m.Text)
			if len([]rune(text)) > 160 {
				text = string([]rune(text)[:159]) + "…"
			}
			tomb := ""
			if m.Tombstoned {
				tomb = " (hidden: tombstoned)"
			}
			fmt.Fprintf(w, "  %s%s: %s\n", orDash(m.Role), tomb, orDash(text))
		}
	}
	return exitOK
}

// useState says in words what a session's manifest says of an attachment.
func useState(u sessions.Use) string {
	switch {
	case !u.Manifest:
		return "shown in its messages, with no manifest row (lash's clean-up does not keep it for this session)"
	case u.Committed:
		return "committed " + msTime(u.CommittedAtMs)
	}
	s := "only an intent since " + msTime(u.IntentAtMs) + ", never committed"
	if u.OwnerKind != "" {
		s += " (owner: " + u.OwnerKind + " " + u.OwnerID + ")"
	}
	return s
}

func msTime(ms int64) string {
	return time.UnixMilli(ms).Local().Format("2006-01-02 15:04:05")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// holdersOf is, for each id some session holds, the titles of those
// sessions.
func holdersOf(ix *sessions.Index, ids []store.ID) map[store.ID][]string {
	held := map[store.ID][]string{}
	for _, id := range ids {
		if names := ix.Holders(id); len(names) > 0 {
			held[id] = names
		}
	}
	return held
}
