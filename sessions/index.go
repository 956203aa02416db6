// Package sessions reads lash's session databases (one SQLite file per
// session in $LASH_HOME/sessions, or lash's PostgreSQL store) read-only and
// tells, for every attachment id, which sessions reference it and how: a
// manifest row (committed or only an intent), graph nodes that show it
// (live or tombstoned), the labels and words around it. It also carries lash
// alpha.111's rule for which blobs its attachment sweep would delete
// (Collect), so a dry run and the window share one answer. The formats are in
// ../shared/docs/lash-sessions-format.md.
package sessions

import (
	"sort"

	"lashview/store"
)

// Session is one primary session database (or one session of a PostgreSQL
// store), as its session_meta row describes it. A primary whose session_meta
// row is missing has only File and UserVersion.
type Session struct {
	File        string // base name of the primary DB; "" for PostgreSQL
	ID          string // session_meta.session_id
	Name        string // session_meta.session_name
	Created     string // session_meta.created_at, RFC 3339 exactly as stored
	Model       string
	Cwd         string
	ParentID    string // parent_session_id of a child session; "" for a root
	UserVersion int    // PRAGMA user_version; 0 for PostgreSQL
}

// Problem is a session database that could not be read, with the reason in
// words. File is the DB's base name (or the redacted URL for PostgreSQL).
type Problem struct {
	File   string
	Reason string
}

func (p Problem) Error() string { return p.File + ": " + p.Reason }

// GraphState says how a session's graph shows an attachment.
type GraphState int

const (
	// GraphNone: no graph node of the session shows it (a bare manifest row).
	GraphNone GraphState = iota
	// GraphLive: at least one non-tombstoned node shows it.
	GraphLive
	// GraphTombstoned: only tombstoned nodes (hidden from lash's reads) show it.
	GraphTombstoned
)

func (g GraphState) String() string {
	switch g {
	case GraphLive:
		return "live"
	case GraphTombstoned:
		return "tombstoned"
	}
	return "none"
}

// Message is a graph node that shows an attachment.
type Message struct {
	NodeID     string
	Role       string // "User", "Assistant", …; "" for a non-conversation node
	Tombstoned bool
	Text       string // the node's Text, Prose and ToolResult parts, joined by newlines
}

// Use is what one session says about one attachment id.
type Use struct {
	Session *Session

	// Manifest is true when the session's attachment_manifest has a row for
	// the id; the fields up to OwnerEnded describe that row.
	Manifest      bool
	Committed     bool  // committed_at_ms is set: a turn made the ref durable
	CommittedAtMs int64 // 0 when not committed
	IntentAtMs    int64 // when the row was written, before the bytes
	OwnerKind     string
	OwnerID       string // with OwnerKind ("turn", "process"); both "" before alpha.111 and for host puts
	// OwnerEnded is true for an uncommitted intent owned by a turn when
	// another turn of the same session committed after the intent: that
	// turn will never stamp it. Process owners never count as ended here:
	// lash's CLI wires no process registry into its sweep.
	OwnerEnded bool

	Graph    GraphState
	Labels   []string  // distinct labels of the refs in live nodes, first seen first
	Messages []Message // every node that shows the id, in graph order
}

// Meta is what the session references say about an attachment: taken from
// the newest reference (by node timestamp) in a live node, else from the
// newest in a tombstoned node. Label comes only from a live node.
type Meta struct {
	MediaType string // MIME; alpha.43's {kind,type} is read as kind/type, image/jpg as image/jpeg
	ByteLen   int64
	Width     int // 0 when the reference gives none
	Height    int
	Label     string
	Labelled  bool // the reference has a label ("" is a label)

	Session    *Session // where the reference was found
	NodeID     string
	Tombstoned bool
}

// Index is every primary session database of a sessions folder (or a
// PostgreSQL store), reduced to what concerns attachments. It is read-only
// after Load and safe for concurrent readers.
type Index struct {
	Source   Source
	Sessions []Session // sorted by File (PostgreSQL: by ID)
	Problems []Problem // databases that could not be read; Collect refuses while any exist

	uses map[store.ID][]Use
	meta map[store.ID]Meta
}

// Uses returns what each session says about id, in Sessions order, or nil
// when no session names it.
func (ix *Index) Uses(id store.ID) []Use { return ix.uses[id] }

// Meta returns what the newest session reference says about id; ok is false
// when no graph node of any session shows it (a bare manifest row gives no
// type, size or label).
func (ix *Index) Meta(id store.ID) (m Meta, ok bool) {
	m, ok = ix.meta[id]
	return m, ok
}

// IDs returns every id that some session names, sorted.
func (ix *Index) IDs() []store.ID {
	ids := make([]store.ID, 0, len(ix.uses))
	for id := range ix.uses {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// Dangling is a session's reference to an id whose blob is not in the store.
type Dangling struct {
	Session   *Session
	ID        store.ID
	Committed bool
}

// Dangling returns every (session, id) whose blob storeHas says is absent,
// in Sessions order, then by id.
func (ix *Index) Dangling(storeHas func(store.ID) bool) []Dangling {
	var out []Dangling
	for _, id := range ix.IDs() {
		if storeHas(id) {
			continue
		}
		for _, u := range ix.uses[id] {
			out = append(out, Dangling{Session: u.Session, ID: id, Committed: u.Committed})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return sessionLess(out[i].Session, out[j].Session) })
	return out
}

// Unreferenced returns the ids (of the store, say) that no session names at
// all, neither by a manifest row nor in any graph node, sorted.
func (ix *Index) Unreferenced(ids []store.ID) []store.ID {
	var out []store.ID
	for _, id := range ids {
		if len(ix.uses[id]) == 0 {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// SweepBlockers returns the primaries that the newest lash writing here
// cannot open, so that lash's own attachment sweep aborts and reclaims
// nothing: lash accepts only its own user_version, and only lash from
// alpha.87 (user_version 10) sweeps at all. Empty when lash would sweep.
func (ix *Index) SweepBlockers() []Session {
	newest := 0
	for _, s := range ix.Sessions {
		newest = max(newest, s.UserVersion)
	}
	if newest < 10 {
		return nil
	}
	var out []Session
	for _, s := range ix.Sessions {
		if s.UserVersion != newest {
			out = append(out, s)
		}
	}
	return out
}

func sessionLess(a, b *Session) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.ID < b.ID
}

// loaded is one session as a backend read it, before indexing.
type loaded struct {
	session  Session
	manifest []manifestRow
	nodes    []node // only nodes that show an attachment, in seq order
	turns    []turnCommit
}

type manifestRow struct {
	sessionID   string
	id          store.ID
	intentAt    int64
	committedAt int64 // 0 = NULL
	committed   bool
	ownerKind   string
	ownerID     string
}

type turnCommit struct {
	sessionID string
	turnID    string
	at        int64
}

// metaPick is a candidate for Meta, ordered by (live, time, session, seq).
// It points into the loaded node rather than copying it: the index keeps
// the node's refs and text anyway.
type metaPick struct {
	n        *node
	r        int // index in n.refs
	sessionI int
}

func (p metaPick) newer(q metaPick) bool {
	if p.n.tombstoned != q.n.tombstoned {
		return !p.n.tombstoned
	}
	if !p.n.time.Equal(q.n.time) {
		return p.n.time.After(q.n.time)
	}
	if p.sessionI != q.sessionI {
		return p.sessionI > q.sessionI
	}
	return p.n.seq > q.n.seq
}

// build indexes the loaded sessions (already sorted) and problems.
func build(src Source, ls []loaded, problems []Problem) *Index {
	b := newBuilder(src, len(ls))
	for i := range ls {
		b.add(&ls[i])
	}
	return b.finish(problems)
}

// builder indexes sessions one at a time, in Sessions order, so that Load
// can index a session while later ones are still being read.
type builder struct {
	ix    *Index
	picks map[store.ID]metaPick
	per   map[store.ID]int // this session's ids, as index into uses
	ids   []store.ID       // this session's ids, first seen first
	uses  []Use            // and what the session says about each
}

// newBuilder expects at most n sessions: ix.Sessions never grows past its
// capacity, so the *Session each Use holds stays valid.
func newBuilder(src Source, n int) *builder {
	return &builder{
		ix: &Index{
			Source:   src,
			Sessions: make([]Session, 0, n),
			uses:     map[store.ID][]Use{},
			meta:     map[store.ID]Meta{},
		},
		picks: map[store.ID]metaPick{},
		per:   map[store.ID]int{},
	}
}

func (b *builder) add(l *loaded) {
	ix := b.ix
	if len(ix.Sessions) == cap(ix.Sessions) {
		panic("sessions: builder got more sessions than it was made for")
	}
	i := len(ix.Sessions)
	ix.Sessions = append(ix.Sessions, l.session)
	s := &ix.Sessions[i]
	clear(b.per)
	b.ids, b.uses = b.ids[:0], b.uses[:0]
	get := func(id store.ID) *Use {
		j, ok := b.per[id]
		if !ok {
			j = len(b.uses)
			b.per[id] = j
			b.ids = append(b.ids, id)
			b.uses = append(b.uses, Use{Session: s})
		}
		return &b.uses[j]
	}
	for _, m := range l.manifest {
		u := get(m.id)
		u.Manifest = true
		u.Committed = m.committed
		u.CommittedAtMs = m.committedAt
		u.IntentAtMs = m.intentAt
		u.OwnerKind, u.OwnerID = m.ownerKind, m.ownerID
		if !m.committed && m.ownerKind == "turn" {
			u.OwnerEnded = turnEnded(l.turns, m)
		}
	}
	var seen map[store.ID]bool // for a node with many refs
	for k := range l.nodes {
		n := &l.nodes[k]
		if len(n.refs) > 16 {
			seen = make(map[store.ID]bool, len(n.refs))
		}
		for j, r := range n.refs {
			u := get(r.id)
			var first bool
			if len(n.refs) > 16 {
				first = !seen[r.id]
				seen[r.id] = true
			} else {
				first = !seenBefore(n.refs, j)
			}
			if first { // one Message per node, however many refs it has to the id
				u.Messages = append(u.Messages, Message{NodeID: n.id, Role: n.role, Tombstoned: n.tombstoned, Text: n.text})
			}
			if n.tombstoned {
				if u.Graph == GraphNone {
					u.Graph = GraphTombstoned
				}
			} else {
				u.Graph = GraphLive
				if r.labelled && !contains(u.Labels, r.label) {
					u.Labels = append(u.Labels, r.label)
				}
			}
			p := metaPick{n: n, r: j, sessionI: i}
			if q, ok := b.picks[r.id]; !ok || p.newer(q) {
				b.picks[r.id] = p
			}
		}
	}
	// One backing array for the session's uses; each id's slice is capped
	// at its own element, so a later session's append copies instead of
	// writing over a neighbour.
	all := make([]Use, len(b.uses))
	copy(all, b.uses)
	for j, id := range b.ids {
		if prev := ix.uses[id]; prev != nil {
			ix.uses[id] = append(prev, all[j])
		} else {
			ix.uses[id] = all[j : j+1 : j+1]
		}
	}
}

func (b *builder) finish(problems []Problem) *Index {
	ix := b.ix
	ix.Problems = problems
	for id, p := range b.picks {
		r := &p.n.refs[p.r]
		m := Meta{
			MediaType: r.mediaType, ByteLen: r.byteLen, Width: r.width, Height: r.height,
			Session: &ix.Sessions[p.sessionI], NodeID: p.n.id, Tombstoned: p.n.tombstoned,
		}
		if !p.n.tombstoned {
			m.Label, m.Labelled = r.label, r.labelled
		}
		ix.meta[id] = m
	}
	b.picks = nil
	return ix
}

// seenBefore reports whether refs[j]'s id came earlier in refs.
func seenBefore(refs []ref, j int) bool {
	for k := 0; k < j; k++ {
		if refs[k].id == refs[j].id {
			return true
		}
	}
	return false
}

// turnEnded: another turn of the same session committed after the intent,
// so the owning turn is over without having stamped the row.
func turnEnded(turns []turnCommit, m manifestRow) bool {
	for _, t := range turns {
		if t.sessionID == m.sessionID && t.turnID != m.ownerID && t.at > m.intentAt {
			return true
		}
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
