package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/sessions"
	"lashview/store"
)

// The preference that keeps the sessions filter between runs: "" (all),
// scopeUnreferenced, or scopeSession followed by the session's key.
const (
	prefScope         = "grid.scope"
	scopeUnreferenced = "unreferenced"
	scopeSession      = "session:"
)

// refView is what the window knows of lash's session databases: the index
// of which session holds which attachment, loaded in the background each
// time a store opens or is rescanned, and the sessions filter that uses it.
// Everything here is touched on the UI goroutine only.
type refView struct {
	b *Browser

	src     sessions.Source
	ix      *sessions.Index // nil until loaded (or when the sessions could not be read)
	err     error           // why the sessions could not be read at all
	missing bool            // the sessions folder does not exist: no sessions
	loading bool
	gen     int // bumps on every load: a late index of an earlier load is dropped

	// scopeSel is the toolbar's sessions filter; keys are what its options
	// mean, in order (see scopeKey).
	scopeSel *widget.Select
	// bar is the row under the toolbar: the filter, what the sessions say
	// of the store in numbers, and Clean up.
	bar     *fyne.Container
	summary *widget.Label
	keys    []string
	scope   string // the chosen key, as remembered
	setting bool   // scopeSel is being filled: its OnChanged is ours

	cleanup *cleanupView // the Clean up dialog of the open store, once opened
}

func newRefView(b *Browser) *refView {
	r := &refView{b: b, scope: b.prefs.p.String(prefScope)}
	r.scopeSel = widget.NewSelect(nil, r.onScope)
	r.scopeSel.PlaceHolder = "All sessions"
	r.summary = widget.NewLabel("")
	r.summary.Truncation = fyne.TextTruncateEllipsis
	clean := widget.NewButtonWithIcon("Clean up…", theme.ContentClearIcon(), b.action("cleanup"))
	r.bar = container.NewBorder(nil, nil, container.NewHBox(widget.NewLabel("Sessions:"), r.scopeSel), clean, r.summary)
	r.fillScope()
	b.cat.sessionLabel = r.label
	return r
}

// load reads the sessions of the open store in the background: Locate, then
// Open off the UI goroutine; the index is applied through the UI queue,
// unless the store or a newer load replaced it meanwhile. The first screen
// never waits for it.
func (r *refView) load() {
	b := r.b
	if b.face == nil || b.storeCtx == nil {
		return
	}
	r.gen++
	gen, refGen := b.storeGen, r.gen
	r.loading = true
	r.summary.SetText(r.numbers())
	ctx, flag, root := b.storeCtx, b.cfg.Sessions, ""
	bucketSrc := sessions.Source{}
	if b.st != nil {
		root = b.st.Root()
	} else if bucketSrc = sessions.LocateForBucket(flag); bucketSrc == (sessions.Source{}) {
		r.apply(bucketSrc, nil, true, nil) // none named (note says so)
		return
	}
	// Reading 200 session databases takes both cores for a moment: let the
	// first screen of thumbnails have them first.
	shown := b.firstShown
	go func() {
		if shown != nil {
			select {
			case <-shown:
			case <-time.After(firstScreenWait):
			case <-ctx.Done():
				return
			}
		}
		src, err := sessions.Locate(flag, root)
		if root == "" {
			src, err = bucketSrc, nil
		}
		var ix *sessions.Index
		if err == nil {
			ix, err = sessions.Open(ctx, src)
		}
		// A sessions folder that does not exist holds no sessions.
		missing := errors.Is(err, fs.ErrNotExist)
		if missing {
			err = nil
		}
		b.q.post(func() {
			if gen != b.storeGen || refGen != r.gen {
				return
			}
			r.apply(src, ix, missing, err)
		})
	}()
}

// reset forgets the sessions of the store that was open.
func (r *refView) reset() {
	r.gen++
	r.ix, r.err, r.missing, r.loading = nil, nil, false, false
	r.src = sessions.Source{}
	r.b.cat.scope = nil
	if r.cleanup != nil {
		r.cleanup.dlg.Hide()
		r.cleanup = nil
	}
}

// apply takes a loaded index: labels, filter, details and status follow it.
func (r *refView) apply(src sessions.Source, ix *sessions.Index, missing bool, err error) {
	b := r.b
	r.src, r.ix, r.missing, r.err, r.loading = src, ix, missing, err, false
	b.cat.relabel()
	r.fillScope()
	r.applyScope()
	b.grid.Refresh()
	b.refreshDetails()
	b.refreshStatus()
	if h := b.ed.health; h != nil && h.report != nil && !h.busy() {
		h.show() // dangling references are the index's
	}
	if c := r.cleanup; c != nil && c.st == b.face {
		c.compute()
	}
}

// label is the label the sessions give an attachment, for the catalog.
func (r *refView) label(id store.ID) (string, bool) {
	if r.ix == nil {
		return "", false
	}
	return r.ix.Label(id)
}

// holders are the titles of the sessions holding id (none while they are
// unknown).
func (r *refView) holders(id store.ID) []string {
	if r.ix == nil {
		return nil
	}
	return r.ix.Holders(id)
}

// note is the status bar's word on the sessions: how many were read, and
// which databases could not be.
func (r *refView) note() string {
	switch {
	case r.loading:
		return "reading lash's sessions…"
	case r.missing && r.src == (sessions.Source{}):
		return "no lash sessions named (a bucket has none beside it: --sessions postgres://…)"
	case r.missing:
		return "no lash sessions at " + tildePath(r.src.String())
	case r.err != nil:
		return "lash's sessions could not be read: " + r.err.Error()
	case r.ix == nil:
		return ""
	}
	s := plural(len(r.ix.Sessions), "session") + " read"
	if len(r.ix.Sessions) == 1 {
		s = "1 session read"
	}
	if n := len(r.ix.Problems); n > 0 {
		var names []string
		for _, p := range r.ix.Problems {
			names = append(names, p.File)
		}
		s += fmt.Sprintf("; ⚠ %s could not be read: %s", plural(n, "database"), strings.Join(names, ", "))
	}
	return s
}

// sessionKey tells sessions apart in the filter and its preference.
func sessionKey(s *sessions.Session) string { return s.File + "|" + s.ID }

// unreferenced are the ids of the catalog no session names, and their size.
func (r *refView) unreferenced() (ids []store.ID, size int64) {
	if r.ix == nil {
		return nil, 0
	}
	for id, e := range r.b.cat.byID {
		if !r.ix.Named(id) {
			ids = append(ids, id)
			size += e.att.Size
		}
	}
	return ids, size
}

// fillScope lists the filter's choices: all, unreferenced (with the count
// and size), and each session with how many of the store's attachments it
// holds.
func (r *refView) fillScope() {
	opts := []string{"All sessions"}
	keys := []string{""}
	if r.ix != nil {
		ids, size := r.unreferenced()
		opts = append(opts, fmt.Sprintf("Unreferenced: %s (%s)", thousands(len(ids)), humanBytes(size)))
		keys = append(keys, scopeUnreferenced)
		// By pointer, a session once per id (Holding's promise): no
		// string or set per id of a store of 100,000.
		count := map[*sessions.Session]int{}
		for id := range r.b.cat.byID {
			r.ix.Holding(id, func(s *sessions.Session) { count[s]++ })
		}
		for i := range r.ix.Sessions {
			s := &r.ix.Sessions[i]
			name := s.Title()
			if len([]rune(name)) > 28 {
				name = string([]rune(name)[:27]) + "…"
			}
			opts = append(opts, fmt.Sprintf("%s (%d)", name, count[s]))
			keys = append(keys, scopeSession+sessionKey(s))
		}
	}
	r.keys = keys
	r.summary.SetText(r.numbers())
	r.setting = true
	defer func() { r.setting = false }()
	r.scopeSel.SetOptions(opts)
	i := 0
	for j, k := range keys {
		if k == r.scope {
			i = j
		}
	}
	r.scopeSel.SetSelectedIndex(i)
}

// onScope is the filter's choice by the person.
func (r *refView) onScope(string) {
	if r.setting {
		return
	}
	i := r.scopeSel.SelectedIndex()
	if i < 0 || i >= len(r.keys) {
		return
	}
	r.setScope(r.keys[i])
}

// setScope narrows the grid to key's attachments and remembers the choice.
func (r *refView) setScope(key string) {
	r.scope = key
	r.b.prefs.p.SetString(prefScope, key)
	if r.scopeSel.SelectedIndex() < 0 || r.keys[r.scopeSel.SelectedIndex()] != key {
		r.fillScope()
	}
	r.applyScope()
	r.b.applyFilter()
}

// applyScope sets the catalog's scope from the chosen key. A remembered
// session that this store's sessions lack narrows nothing; until the
// sessions are read nothing is narrowed either.
func (r *refView) applyScope() {
	cat := r.b.cat
	cat.scope = nil
	ix := r.ix
	if ix == nil {
		cat.rebuild()
		return
	}
	switch {
	case r.scope == scopeUnreferenced:
		cat.scope = func(e *entry) bool { return !ix.Named(e.att.ID) }
	case strings.HasPrefix(r.scope, scopeSession):
		key := strings.TrimPrefix(r.scope, scopeSession)
		for i := range ix.Sessions {
			if s := &ix.Sessions[i]; sessionKey(s) == key {
				cat.scope = func(e *entry) bool {
					held := false
					ix.Holding(e.att.ID, func(x *sessions.Session) { held = held || x == s })
					return held
				}
			}
		}
	}
	cat.rebuild()
}

// refreshCounts updates the filter's counts once the store's listing is
// whole (counting each batch of a listing of 100,000 would cost more than
// the listing).
func (r *refView) refreshCounts() {
	if r.ix == nil || r.b.loading {
		return
	}
	r.fillScope()
}

// setLabel fills the entry's label: the store's own (a sidecar's label
// wins), else for a blob without a sidecar the one lash's sessions give it,
// else the id's start.
func (e *entry) setLabel(sessionLabel func(store.ID) (string, bool)) {
	a := &e.att
	e.display = a.DisplayLabel()
	e.named = a.Label != nil && strings.TrimSpace(*a.Label) != ""
	if a.Label == nil && !a.HasSidecar && sessionLabel != nil {
		if l, ok := sessionLabel(a.ID); ok && strings.TrimSpace(l) != "" {
			e.display, e.named = l, true
		}
	}
	e.label = strings.ToLower(e.display)
}

// keeps reports whether the grid shows e: the search and filters, and the
// sessions filter.
func (c *catalog) keeps(e *entry) bool {
	return c.filter.matches(e) && (c.scope == nil || c.scope(e))
}

// relabel takes the labels again (the sessions' index changed) and rebuilds
// the shown list.
func (c *catalog) relabel() {
	for _, e := range c.byID {
		e.setLabel(c.sessionLabel)
	}
	c.rebuild()
}

// displayLabel is the label the grid shows for id.
func (c *catalog) displayLabel(id store.ID) string {
	if e := c.byID[id]; e != nil {
		return e.display
	}
	return id.Short()
}

// askBeforeTrash asks before ids that a session holds go to the Trash,
// naming the sessions, and calls move only once the person agrees; it
// reports whether it took the decision over. Ids no session holds are left
// to the usual path (the Trash, with Undo). While the sessions are still
// being read nothing is moved: whether one holds them is not known yet.
func (r *refView) askBeforeTrash(ids []store.ID, size int64, what string, move func()) bool {
	b := r.b
	if r.loading {
		b.flash("Still reading lash's sessions: try again in a moment")
		return true
	}
	if r.ix == nil {
		return false
	}
	var names []string
	held := 0
	for _, id := range ids {
		ns := r.holders(id)
		if len(ns) > 0 {
			held++
		}
		for _, n := range ns {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if held == 0 {
		return false
	}
	subject := what + " is " + sessions.UsedBy(names)
	if len(ids) > 1 {
		subject = fmt.Sprintf("%s of %s are %s", thousands(held), what, sessions.UsedBy(names))
		if held == len(ids) {
			subject = fmt.Sprintf("%s are %s", what, sessions.UsedBy(names))
		}
	}
	msg := widget.NewLabel(fmt.Sprintf("%s.\n\nThose sessions will fail to show what is gone. Move %s (%s) to the Trash all the same?\n\nUndo (Ctrl+Z) or lashview restore brings them back.",
		subject, what, humanBytes(size)))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Used by lash sessions", "Move to Trash", "Cancel", msg, func(ok bool) {
		if ok {
			move()
		}
	}, b.win)
	d.Resize(fyne.NewSize(520, 0))
	b.showDialog(d)
	return true
}

// numbers is the sessions bar's line: how many of the store's attachments
// sessions hold, how many none does, and how many references dangle.
func (r *refView) numbers() string {
	switch {
	case r.loading:
		return "reading lash's sessions…"
	case r.ix == nil:
		return r.note()
	}
	ids, size := r.unreferenced()
	held := len(r.b.cat.byID) - len(ids)
	dangling := r.ix.Dangling(func(id store.ID) bool {
		e := r.b.cat.byID[id]
		return e != nil && e.att.HasBlob
	})
	s := fmt.Sprintf("%s in use by %s  ·  %s unreferenced (%s)", thousands(held), plural(len(r.ix.Sessions), "session"),
		thousands(len(ids)), humanBytes(size))
	if n := len(dangling); n > 0 {
		s += fmt.Sprintf("  ·  ⚠ %s (see Health)", plural(n, "dangling reference"))
	}
	if n := len(r.ix.Problems); n > 0 {
		s += fmt.Sprintf("  ·  ⚠ %s unreadable", plural(n, "session database"))
	}
	return s
}
