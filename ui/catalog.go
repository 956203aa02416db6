package ui

import (
	"slices"
	"sort"
	"strings"
	"time"

	"lashview/store"
)

// sortOrder is how the grid orders the attachments it shows.
type sortOrder int

// The sort orders, in the order the sort menu lists them.
const (
	sortNewest sortOrder = iota // newest blob first (the default)
	sortOldest                  // oldest first
	sortLabel                   // by label, case-insensitively; unlabelled ones by id after them
	sortSize                    // largest first
	sortType                    // by media type, newest first within a type
)

// sortNames are the words the sort menu shows, by sortOrder.
var sortNames = []string{"Newest first", "Oldest first", "Label", "Size", "Type"}

// String is the sort order's name in the menu.
func (o sortOrder) String() string {
	if o < 0 || int(o) >= len(sortNames) {
		return sortNames[0]
	}
	return sortNames[o]
}

// parseSortOrder reads a name from sortNames back; unknown names (an old
// preference) fall back to newest first.
func parseSortOrder(s string) sortOrder {
	for i, n := range sortNames {
		if n == s {
			return sortOrder(i)
		}
	}
	return sortNewest
}

// gridFilter narrows what the grid shows.
type gridFilter struct {
	// Query matches label text (case-insensitive, anywhere) or an id prefix
	// (with or without "sha256:").
	Query string
	// MediaType, when set, keeps only attachments of that type.
	MediaType store.MediaType
	// ProblemsOnly keeps only attachments whose status is not ok.
	ProblemsOnly bool
}

// entry is one attachment with what filtering and sorting need precomputed,
// so typing in the search field over 100,000 items stays fast.
type entry struct {
	att     catAtt
	display string // the label the cell shows (see catalog.labelOf)
	label   string // display, lowercased, for search and sort
	named   bool   // it has a non-blank label
}

// catAtt is the catalog's copy of a store.Attachment, 88 bytes instead of
// 184: what sorting, filtering and the cells read is kept as fields; the
// rest (status, detail, MIME type, generation, pixel size), which few
// attachments differ in, is shared between the entries that say the same.
// The decoded sidecar is not kept: the window shows what Attachment says,
// and the sidecar would be a second copy of each of 100,000 ids.
type catAtt struct {
	ID         store.ID
	Label      *string
	MediaType  store.MediaType
	Modified   time.Time
	Size       int64
	HasBlob    bool
	HasSidecar bool
	rest       *attRest
}

// attRest is the part of an attachment entries share.
type attRest struct {
	Status        store.Status
	Detail        string
	MIME          string
	Generation    store.Generation
	Width, Height int
}

// rests shares attRest values between a catalog's entries.
type rests map[attRest]*attRest

// compact makes the catalog's copy of a, sharing its rest through shared
// (nil: not shared).
func compact(a store.Attachment, shared rests) catAtt {
	r := attRest{Status: a.Status, Detail: a.Detail, MIME: a.MIME, Generation: a.Generation, Width: a.Width, Height: a.Height}
	p := shared[r]
	if p == nil {
		p = &r
		if shared != nil {
			shared[r] = p
		}
	}
	return catAtt{ID: a.ID, Label: a.Label, MediaType: a.MediaType, Modified: a.Modified, Size: a.Size,
		HasBlob: a.HasBlob, HasSidecar: a.HasSidecar, rest: p}
}

// full is the attachment as the store said it, less the decoded sidecar.
func (c *catAtt) full() store.Attachment {
	return store.Attachment{ID: c.ID, Status: c.rest.Status, Detail: c.rest.Detail, HasBlob: c.HasBlob, HasSidecar: c.HasSidecar,
		Size: c.Size, Modified: c.Modified, MediaType: c.MediaType, Width: c.rest.Width, Height: c.rest.Height,
		Label: c.Label, MIME: c.rest.MIME, Generation: c.rest.Generation}
}

// Status is the attachment's status.
func (c *catAtt) Status() store.Status { return c.rest.Status }

// DisplayLabel is store.Attachment.DisplayLabel.
func (c *catAtt) DisplayLabel() string {
	if c.Label != nil && strings.TrimSpace(*c.Label) != "" {
		return *c.Label
	}
	return c.ID.Short()
}

// Same is store.Attachment.Same against the catalog's copy.
func (c *catAtt) Same(a store.Attachment) bool { return c.full().Same(a) }

func newEntry(a store.Attachment, sessionLabel func(store.ID) (string, bool), shared rests) *entry {
	e := &entry{att: compact(a, shared)}
	e.setLabel(sessionLabel)
	return e
}

// catalog is everything the window knows of the store's attachments, and
// the filtered, sorted list of ids the grid shows. It is only touched on
// the UI goroutine.
type catalog struct {
	byID  map[store.ID]*entry
	rests rests // the attRest values its entries share
	// shown are the ids the grid shows, in order; rows are their entries.
	shown     []store.ID
	rows      []*entry
	order     sortOrder
	filter    gridFilter
	totalSize int64
	// sessionLabel is the label lash's sessions give an attachment the
	// store keeps none for (nil: none known); scope narrows the grid to a
	// session's attachments or the unreferenced ones (nil: all). Both are
	// refView's (sessions.go).
	sessionLabel func(store.ID) (string, bool)
	scope        func(*entry) bool
}

func newCatalog() *catalog {
	return &catalog{byID: map[store.ID]*entry{}, rests: rests{}}
}

// reset forgets every attachment.
func (c *catalog) reset() {
	c.byID = map[store.ID]*entry{}
	c.rests = rests{}
	c.totalSize = 0
	c.rebuild()
}

// put adds or replaces an attachment. Call rebuild after a batch of puts.
func (c *catalog) put(a store.Attachment) {
	if old := c.byID[a.ID]; old != nil {
		c.totalSize -= old.att.Size
	}
	c.byID[a.ID] = newEntry(a, c.sessionLabel, c.rests)
	c.totalSize += a.Size
}

// remove forgets an attachment. Call rebuild after a batch of removes.
func (c *catalog) remove(id store.ID) {
	if old := c.byID[id]; old != nil {
		c.totalSize -= old.att.Size
		delete(c.byID, id)
	}
}

// get returns the attachment with id, if known.
func (c *catalog) get(id store.ID) (store.Attachment, bool) {
	e := c.byID[id]
	if e == nil {
		return store.Attachment{}, false
	}
	return e.att.full(), true
}

// total is how many attachments the store holds.
func (c *catalog) total() int { return len(c.byID) }

// position is id's index in the shown list, or -1. The list is sorted by
// a total order, so a binary search finds it; an entry replaced by put and
// not yet rebuilt may sit out of order, and a plain search finds that.
func (c *catalog) position(id store.ID) int {
	if c.byID[id] == nil {
		return -1
	}
	if i := c.search(id); i >= 0 {
		return i
	}
	return slices.Index(c.shown, id)
}

// search is position's binary search: id's index in the sorted rows, or
// -1 when it is not where its entry sorts.
func (c *catalog) search(id store.ID) int {
	e := c.byID[id]
	if e == nil {
		return -1
	}
	less := lessFunc(c.order)
	i := sort.Search(len(c.rows), func(i int) bool { return !less(c.rows[i], e) })
	if i < len(c.rows) && c.shown[i] == id {
		return i
	}
	return -1
}

// add puts a batch of attachments in the catalog and the shown list; see
// apply.
func (c *catalog) add(atts []store.Attachment) { c.apply(atts, nil) }

// apply puts a batch of attachments in the catalog and removes a batch of
// ids, and updates the shown list. Attachments that say what the catalog
// knows already are left alone. When nothing known changed, the new ones
// are merged into the sorted list in one pass, where a rebuild would sort
// everything again (a listing adds 100,000 in batches; a live store adds a
// few at a time to a large one). It reports whether anything changed.
func (c *catalog) apply(puts []store.Attachment, removes []store.ID) bool {
	fresh := make([]*entry, 0, len(puts))
	replaced, removed, added := false, false, false
	for _, id := range removes {
		if c.byID[id] != nil {
			c.remove(id)
			removed = true
		}
	}
	for _, a := range puts {
		if old := c.byID[a.ID]; old != nil {
			if old.att.Same(a) {
				continue
			}
			replaced = true
		}
		c.put(a)
		added = true
		if e := c.byID[a.ID]; c.keeps(e) {
			fresh = append(fresh, e)
		}
	}
	switch {
	case replaced:
		c.rebuild()
		return true
	case !removed && len(fresh) == 0:
		// The shown list stays; new ones the filter hides are a change
		// all the same (the total).
		return added
	}
	rows := c.rows
	if removed {
		rows = slices.DeleteFunc(slices.Clone(rows), func(e *entry) bool { return c.byID[e.att.ID] != e })
	}
	less := lessFunc(c.order)
	slices.SortFunc(fresh, cmpOf(less))
	merged := make([]*entry, 0, len(rows)+len(fresh))
	i, j := 0, 0
	for i < len(rows) && j < len(fresh) {
		if less(fresh[j], rows[i]) {
			merged = append(merged, fresh[j])
			j++
		} else {
			merged = append(merged, rows[i])
			i++
		}
	}
	merged = append(append(merged, rows[i:]...), fresh[j:]...)
	c.setRows(merged)
	return true
}

// cmpOf turns a strict order into slices.SortFunc's comparison.
func cmpOf[T any](less func(a, b T) bool) func(a, b T) int {
	return func(a, b T) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	}
}

// setRows makes rows the shown list.
func (c *catalog) setRows(rows []*entry) {
	c.rows = rows
	c.shown = slices.Grow(c.shown[:0], len(rows))[:len(rows)]
	for i, e := range rows {
		c.shown[i] = e.att.ID
	}
}

// matches reports whether e passes the filter.
func (f gridFilter) matches(e *entry) bool {
	if f.MediaType != "" && e.att.MediaType != f.MediaType {
		return false
	}
	if f.ProblemsOnly && e.att.Status() == store.StatusOK {
		return false
	}
	q := strings.ToLower(strings.TrimSpace(f.Query))
	if q == "" {
		return true
	}
	if strings.Contains(e.label, q) {
		return true
	}
	return strings.HasPrefix(string(e.att.ID), strings.TrimPrefix(q, "sha256:"))
}

// rebuild recomputes the shown list from the filter and sort order.
func (c *catalog) rebuild() {
	shown := make([]*entry, 0, len(c.byID))
	for _, e := range c.byID {
		if c.keeps(e) {
			shown = append(shown, e)
		}
	}
	less := lessFunc(c.order)
	slices.SortFunc(shown, cmpOf(less))
	c.setRows(shown)
}

// lessFunc is the comparison of a sort order. Every order ends in the id,
// so the grid's order never depends on map iteration.
func lessFunc(o sortOrder) func(a, b *entry) bool {
	newer := func(a, b *entry) bool {
		if !a.att.Modified.Equal(b.att.Modified) {
			return a.att.Modified.After(b.att.Modified)
		}
		return a.att.ID < b.att.ID
	}
	switch o {
	case sortOldest:
		return func(a, b *entry) bool {
			if !a.att.Modified.Equal(b.att.Modified) {
				return a.att.Modified.Before(b.att.Modified)
			}
			return a.att.ID < b.att.ID
		}
	case sortLabel:
		return func(a, b *entry) bool {
			if a.named != b.named {
				return a.named // labelled ones first: labels come first
			}
			if a.label != b.label {
				return a.label < b.label
			}
			return newer(a, b)
		}
	case sortSize:
		return func(a, b *entry) bool {
			if a.att.Size != b.att.Size {
				return a.att.Size > b.att.Size
			}
			return newer(a, b)
		}
	case sortType:
		return func(a, b *entry) bool {
			if a.att.MediaType != b.att.MediaType {
				return a.att.MediaType < b.att.MediaType
			}
			return newer(a, b)
		}
	}
	return newer
}

// selection is the set of selected ids with the one the keyboard moves
// from (the focus, shown in the details panel). It survives reordering and
// live changes because it holds ids, not positions.
type selection struct {
	ids   map[store.ID]struct{}
	focus store.ID
}

func newSelection() *selection { return &selection{ids: map[store.ID]struct{}{}} }

// only makes id the whole selection and the focus.
func (s *selection) only(id store.ID) {
	s.ids = map[store.ID]struct{}{id: {}}
	s.focus = id
}

// toggle adds or removes id (Ctrl-click) and makes it the focus.
func (s *selection) toggle(id store.ID) {
	if _, ok := s.ids[id]; ok {
		delete(s.ids, id)
	} else {
		s.ids[id] = struct{}{}
	}
	s.focus = id
}

// clear empties the selection.
func (s *selection) clear() {
	s.ids = map[store.ID]struct{}{}
	s.focus = ""
}

// has reports whether id is selected.
func (s *selection) has(id store.ID) bool {
	_, ok := s.ids[id]
	return ok
}

// drop removes ids that no longer exist; it reports whether the focus went.
func (s *selection) drop(id store.ID) bool {
	delete(s.ids, id)
	if s.focus == id {
		s.focus = ""
		return true
	}
	return false
}

// freshFor is how long a newly arrived attachment stays highlighted.
const freshFor = 3 * time.Second
