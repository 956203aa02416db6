package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/sessions"
	"lashview/store"
)

// usedBySection is the details panel's "Used by": each session holding the
// attachment, when and how (committed, or only an intent since when), and
// the words of the message it appears in, so a person sees why the agent
// stored it.
type usedBySection struct {
	refs *refView
	cat  *catalog
	obj  *fyne.Container
	list *fyne.Container

	// What the list shows now: it is built again only when one changes
	// (the panel refreshes with every batch of a listing).
	id      store.ID
	ix      *sessions.Index
	loading bool
}

func newUsedBySection(refs *refView, cat *catalog) *usedBySection {
	u := &usedBySection{refs: refs, cat: cat, list: container.NewVBox()}
	head := widget.NewLabelWithStyle("Used by", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.SizeName = theme.SizeNameCaptionText
	u.obj = container.NewVBox(head, u.list)
	return u
}

// show lists the sessions that hold id.
func (u *usedBySection) show(id store.ID) {
	r := u.refs
	if id == u.id && r.ix == u.ix && r.loading == u.loading && len(u.list.Objects) > 0 {
		return
	}
	u.id, u.ix, u.loading = id, r.ix, r.loading
	u.list.RemoveAll()
	switch {
	case r.loading:
		u.list.Add(wrapped("Reading lash's sessions…"))
		return
	case r.missing && r.src == (sessions.Source{}):
		u.list.Add(wrapped("Unknown: no lash sessions were named. A bucket has no sessions folder beside it; open it with --sessions postgres://… (or set $LASH_POSTGRES_DATABASE_URL) to see who uses what."))
		return
	case r.missing:
		u.list.Add(wrapped("No session: there are no lash sessions at " + tildePath(r.src.String()) + "."))
		return
	case r.err != nil:
		u.list.Add(wrapped("Unknown: lash's sessions could not be read: " + r.err.Error()))
		return
	case r.ix == nil:
		u.list.Add(wrapped("Unknown: lash's sessions have not been read."))
		return
	}
	uses := r.ix.Uses(id)
	if len(uses) == 0 {
		s := "Used by no session. lash's clean-up would delete it once it is older than the grace period."
		if n := len(r.ix.Problems); n > 0 {
			s += fmt.Sprintf(" (%s could not be read and may use it.)", plural(n, "session database"))
		}
		u.list.Add(wrapped(s))
		return
	}
	if m, ok := r.ix.Meta(id); ok && m.Labelled && m.Session != nil {
		if a, ok := u.cat.get(id); ok && a.Label == nil && !a.HasSidecar {
			u.list.Add(dim(fmt.Sprintf("The label is the one session %s gives it; the store keeps none.", m.Session.Title())))
		}
	}
	for i, use := range uses {
		if i > 0 {
			u.list.Add(widget.NewSeparator())
		}
		u.list.Add(u.useRow(use))
	}
}

// useRow is one session's use: its name (a link that shows only its
// attachments), its date and model, the state of its manifest row, and the
// message.
func (u *usedBySection) useRow(use sessions.Use) fyne.CanvasObject {
	s := use.Session
	name := widget.NewHyperlink(s.Title(), nil)
	name.Wrapping = fyne.TextWrapBreak
	key := scopeSession + sessionKey(s)
	name.OnTapped = func() { u.refs.setScope(key) }
	box := container.NewVBox(name)
	var facts []string
	if t, err := time.Parse(time.RFC3339Nano, s.Created); err == nil {
		facts = append(facts, "started "+t.Local().Format("2006-01-02 15:04"))
	} else if s.Created != "" {
		facts = append(facts, "started "+s.Created)
	}
	if s.Model != "" {
		facts = append(facts, s.Model)
	}
	if s.ParentID != "" {
		facts = append(facts, "a child session")
	}
	if len(facts) > 0 {
		box.Add(dim(strings.Join(facts, " · ")))
	}
	box.Add(wrapped(useState(use)))
	if len(use.Messages) > 0 {
		m := use.Messages[0]
		for _, x := range use.Messages {
			if !x.Tombstoned {
				m = x
				break
			}
		}
		text := excerpt(m.Text, 2, 200)
		if text == "" {
			text = "(a message without words)"
		}
		who := m.Role
		if who == "" {
			who = "A message"
		}
		if m.Tombstoned {
			who += " (hidden: tombstoned)"
		}
		q := widget.NewLabel(who + ": “" + text + "”")
		if n := len(use.Messages) - 1; n > 0 {
			q.Text += fmt.Sprintf(" (and %s)", plural(n, "more message"))
		}
		q.Wrapping = fyne.TextWrapWord
		q.TextStyle.Italic = true
		box.Add(q)
	}
	return box
}

// useState says in words what the session's manifest row says.
func useState(u sessions.Use) string {
	var s string
	switch {
	case !u.Manifest:
		s = "Shown in its messages, but it has no manifest row: lash's clean-up does not count it."
	case u.Committed:
		s = "Committed " + msTime(u.CommittedAtMs)
	default:
		s = "Only an intent since " + msTime(u.IntentAtMs) + ", never committed"
		if u.OwnerKind != "" {
			s += " (owner: " + u.OwnerKind
			if u.OwnerEnded {
				s += ", which has ended"
			}
			s += ")"
		}
	}
	switch u.Graph {
	case sessions.GraphTombstoned:
		s += "; only hidden (tombstoned) messages show it"
	case sessions.GraphNone:
		if u.Manifest {
			s += "; no message shows it"
		}
	}
	return s
}

// msTime is a lash millisecond timestamp as a local date and time.
func msTime(ms int64) string {
	if ms == 0 {
		return "(time unknown)"
	}
	return time.UnixMilli(ms).Local().Format("2006-01-02 15:04:05")
}

// excerpt is the first lines of s (blank ones skipped), each trimmed, cut
// at max runes with "…".
func excerpt(s string, lines, max int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	cut := len(out) > lines
	if cut {
		out = out[:lines]
	}
	r := []rune(strings.Join(out, "\n"))
	if len(r) > max {
		return strings.TrimSpace(string(r[:max-1])) + "…"
	}
	if cut {
		return string(r) + " …"
	}
	return string(r)
}

// dim is a small, quiet line of text.
func dim(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	return l
}
