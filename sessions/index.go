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
	"time"

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
//
// A window keeps it beside a catalog of 100,000 attachments, so it is kept
// compact: ids as their 32 bytes, each id's uses and messages in flat
// arrays, the strings that repeat (roles, owners, media types) once. Uses
// and Meta build their answers from it.
type Index struct {
	Source   Source
	Sessions []Session // sorted by File (PostgreSQL: by ID)
	Problems []Problem // databases that could not be read; Collect refuses while any exist

	slots  map[idKey]int32 // id → index in ids
	ids    []idEntry
	uses   []useRec
	msgs   []Message
	labels []string
	owners []owner // owners[0] is none
	metas  []Meta
}

// idKey is an id as its 32 bytes (store.Key).
type idKey = store.Key

// idEntry is one id: its uses, a chain through Index.uses in Sessions
// order, and its Meta (-1: none).
type idEntry struct {
	first, last int32
	meta        int32
}

// useRec is a Use without pointers and strings of its own: the session by
// index, the owner by index into Index.owners, labels and messages as
// ranges of Index.labels and Index.msgs.
type useRec struct {
	next          int32 // the id's next use, -1 at the end
	session       int32
	owner         int32
	lab0, nlab    int32
	msg0, nmsg    int32
	flags         uint8
	graph         GraphState
	committedAtMs int64
	intentAtMs    int64
}

const (
	flagManifest = 1 << iota
	flagCommitted
	flagOwnerEnded
)

type owner struct{ kind, id string }

func (ix *Index) use(r *useRec) Use {
	o := ix.owners[r.owner]
	u := Use{
		Session:       &ix.Sessions[r.session],
		Manifest:      r.flags&flagManifest != 0,
		Committed:     r.flags&flagCommitted != 0,
		CommittedAtMs: r.committedAtMs,
		IntentAtMs:    r.intentAtMs,
		OwnerKind:     o.kind,
		OwnerID:       o.id,
		OwnerEnded:    r.flags&flagOwnerEnded != 0,
		Graph:         r.graph,
	}
	// Capped at their own length: a caller's append copies instead of
	// writing over the next use's.
	if r.nlab > 0 {
		u.Labels = ix.labels[r.lab0 : r.lab0+r.nlab : r.lab0+r.nlab]
	}
	if r.nmsg > 0 {
		u.Messages = ix.msgs[r.msg0 : r.msg0+r.nmsg : r.msg0+r.nmsg]
	}
	return u
}

// slot is the entry of id, nil when no session names it.
func (ix *Index) slot(id store.ID) *idEntry {
	k, ok := id.Key()
	if !ok {
		return nil
	}
	i, ok := ix.slots[k]
	if !ok {
		return nil
	}
	return &ix.ids[i]
}

// Uses returns what each session says about id, in Sessions order, or nil
// when no session names it.
func (ix *Index) Uses(id store.ID) []Use {
	e := ix.slot(id)
	if e == nil {
		return nil
	}
	var out []Use
	for r := e.first; r >= 0; r = ix.uses[r].next {
		out = append(out, ix.use(&ix.uses[r]))
	}
	return out
}

// Named reports whether some session names id (a manifest row or a graph
// node): len(Uses(id)) > 0, without building the uses.
func (ix *Index) Named(id store.ID) bool { return ix.slot(id) != nil }

// Holding calls f with each session that names id, in Sessions order (a
// session once), without building the uses.
func (ix *Index) Holding(id store.ID, f func(*Session)) {
	e := ix.slot(id)
	if e == nil {
		return
	}
	for r := e.first; r >= 0; r = ix.uses[r].next {
		f(&ix.Sessions[ix.uses[r].session])
	}
}

// Meta returns what the newest session reference says about id; ok is false
// when no graph node of any session shows it (a bare manifest row gives no
// type, size or label).
func (ix *Index) Meta(id store.ID) (m Meta, ok bool) {
	e := ix.slot(id)
	if e == nil || e.meta < 0 {
		return Meta{}, false
	}
	return ix.metas[e.meta], true
}

// IDs returns every id that some session names, sorted.
func (ix *Index) IDs() []store.ID {
	ids := make([]store.ID, 0, len(ix.slots))
	for k := range ix.slots {
		ids = append(ids, k.ID())
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
		for _, u := range ix.Uses(id) {
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
		if !ix.Named(id) {
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

// pickKey orders the candidates for an id's Meta by (live, time,
// session, seq): the newest reference in a live node wins.
type pickKey struct {
	set        bool
	tombstoned bool
	time       time.Time
	sessionI   int
	seq        int64
}

func (p pickKey) newer(q pickKey) bool {
	if p.tombstoned != q.tombstoned {
		return !p.tombstoned
	}
	if !p.time.Equal(q.time) {
		return p.time.After(q.time)
	}
	if p.sessionI != q.sessionI {
		return p.sessionI > q.sessionI
	}
	return p.seq > q.seq
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
// can index a session while later ones are still being read. What it keeps
// of a session is copied out of the loaded nodes, so a session's rows are
// garbage once it is added.
type builder struct {
	ix     *Index
	picks  []pickKey        // by id slot: the reference ix.metas holds
	per    map[store.ID]int // this session's ids, as index into uses
	ids    []store.ID       // this session's ids, first seen first
	uses   []Use            // and what the session says about each
	strs   map[string]string
	owners map[owner]int32
}

// newBuilder expects at most n sessions: ix.Sessions never grows past its
// capacity, so the *Session each Use holds stays valid.
func newBuilder(src Source, n int) *builder {
	return &builder{
		ix: &Index{
			Source:   src,
			Sessions: make([]Session, 0, n),
			slots:    map[idKey]int32{},
			owners:   []owner{{}},
		},
		per:    map[store.ID]int{},
		strs:   map[string]string{},
		owners: map[owner]int32{{}: 0},
	}
}

// intern returns one copy of each of the few strings that repeat on every
// row (roles, media types).
func (b *builder) intern(s string) string {
	if t, ok := b.strs[s]; ok {
		return t
	}
	b.strs[s] = s
	return s
}

// slotOf is the index of id's entry, made when new.
func (b *builder) slotOf(id store.ID) int32 {
	ix := b.ix
	k, ok := id.Key()
	if !ok {
		panic("sessions: an id that was not checked: " + string(id))
	}
	i, ok := ix.slots[k]
	if !ok {
		i = int32(len(ix.ids))
		ix.slots[k] = i
		ix.ids = append(ix.ids, idEntry{first: -1, last: -1, meta: -1})
		b.picks = append(b.picks, pickKey{})
	}
	return i
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
		role := b.intern(n.role)
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
				u.Messages = append(u.Messages, Message{NodeID: n.id, Role: role, Tombstoned: n.tombstoned, Text: n.text})
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
			slot := b.slotOf(r.id)
			p := pickKey{set: true, tombstoned: n.tombstoned, time: n.time, sessionI: i, seq: n.seq}
			if q := b.picks[slot]; !q.set || p.newer(q) {
				b.picks[slot] = p
				m := Meta{
					MediaType: b.intern(r.mediaType), ByteLen: r.byteLen, Width: r.width, Height: r.height,
					Session: s, NodeID: n.id, Tombstoned: n.tombstoned,
				}
				if !n.tombstoned {
					m.Label, m.Labelled = r.label, r.labelled
				}
				if e := &ix.ids[slot]; e.meta < 0 {
					e.meta = int32(len(ix.metas))
					ix.metas = append(ix.metas, m)
				} else {
					ix.metas[e.meta] = m
				}
			}
		}
	}
	for j, id := range b.ids {
		u := &b.uses[j]
		o := owner{u.OwnerKind, u.OwnerID}
		oi, ok := b.owners[o]
		if !ok {
			oi = int32(len(ix.owners))
			b.owners[o] = oi
			ix.owners = append(ix.owners, o)
		}
		r := useRec{
			next: -1, session: int32(i), owner: oi, graph: u.Graph,
			committedAtMs: u.CommittedAtMs, intentAtMs: u.IntentAtMs,
			lab0: int32(len(ix.labels)), nlab: int32(len(u.Labels)),
			msg0: int32(len(ix.msgs)), nmsg: int32(len(u.Messages)),
		}
		if u.Manifest {
			r.flags |= flagManifest
		}
		if u.Committed {
			r.flags |= flagCommitted
		}
		if u.OwnerEnded {
			r.flags |= flagOwnerEnded
		}
		ix.labels = append(ix.labels, u.Labels...)
		ix.msgs = append(ix.msgs, u.Messages...)
		ri := int32(len(ix.uses))
		ix.uses = append(ix.uses, r)
		e := &ix.ids[b.slotOf(id)]
		if e.first < 0 {
			e.first = ri
		} else {
			ix.uses[e.last].next = ri
		}
		e.last = ri
	}
}

func (b *builder) finish(problems []Problem) *Index {
	ix := b.ix
	ix.Problems = problems
	// Copied to their length: append grows by a quarter at this size,
	// and the slack would live as long as the window.
	ix.ids = fit(ix.ids)
	ix.uses = fit(ix.uses)
	ix.msgs = fit(ix.msgs)
	ix.labels = fit(ix.labels)
	ix.metas = fit(ix.metas)
	b.picks, b.strs, b.owners = nil, nil, nil
	return ix
}

// fit is s in an array of its length, when the slack is worth a copy.
func fit[T any](s []T) []T {
	if cap(s)-len(s) < 1024 {
		return s
	}
	return append(make([]T, 0, len(s)), s...)
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
