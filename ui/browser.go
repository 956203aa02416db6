// Package ui is lashview's window: a live, virtualised grid of a lash
// attachment store with a details panel, a full-size viewer, search, filters
// and sorting. Every Fyne widget lives here; package main only wires.
//
// Threading: widgets are touched only on the UI goroutine. Background work
// (listing the store, thumbnails, the watcher, decoding a full image) hands
// its results to a uiQueue, which batches them into one call of the
// injectable RunOnUI (fyne.Do in the app, a direct call in tests).
package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lashview/sessions"
	"lashview/store"
	"lashview/thumbs"
)

// AppID is lashview's application id: preferences are kept under it.
const AppID = "io.lash.lashview"

// Config is how package main sets up the window.
type Config struct {
	// StoreDir is the store named on the command line (--store); it wins
	// over the one remembered from the last run. Empty: the remembered
	// store, else DefaultStore.
	StoreDir string
	// DefaultStore is $LASH_HOME/attachments, else ~/.lash/attachments.
	DefaultStore string
	// Sessions is where lash's session databases are (--sessions: a folder
	// or a postgres:// URL); empty: beside the store (sessions.Locate).
	Sessions string
	// DemoDir is where "Open a demo store" writes its sample store.
	DemoDir string
	// RunOnUI runs a function on the UI goroutine; nil means fyne.Do.
	// Tests pass a direct call.
	RunOnUI func(func())
	// Services makes the thumbnail maker and the watcher of a store; nil
	// means the real packages.
	Services Services
	// Now is the clock (tests fix it); nil means time.Now.
	Now func() time.Time
	// Probe, when set, measures the window for the benchmark harness.
	Probe *Probe
	// Trash is where deleted attachments go and the journal that undoes
	// them; nil means store.DefaultTrashCan(), as the command line uses.
	Trash *store.TrashCan
}

// Browser is the window's controller: the open store, what the grid shows,
// the selection, and the widgets that show them.
type Browser struct {
	app fyne.App
	win fyne.Window
	cfg Config
	q   *uiQueue
	now func() time.Time

	// The open store and its services; all replaced by openStore.
	st       *store.Store
	thumbs   thumbnailer
	storeCtx context.Context    // ends when the store is closed
	stop     context.CancelFunc // closes storeCtx: ends the listing and the watcher
	listStop context.CancelFunc // ends the listing in progress
	// storeGen bumps on every open, listGen on every listing: late results
	// of a store or a listing that was replaced are dropped.
	storeGen, listGen int
	loading           bool
	loadNote          string
	watch             liveSource
	watchStarted      bool // the watcher runs: it starts after the first listing
	live              LiveState
	isDemo            bool
	visDirty          bool // the visible set changed; tell the thumbnail pool once per frame
	// firstShown is closed once the listing's first screen is drawn (see
	// listStore); nil after that.
	firstShown chan struct{}

	cat       *catalog
	sel       *selection
	fresh     map[store.ID]time.Time
	thumbErrs map[store.ID]error // why a thumbnail could not be made

	prefs    prefs
	cellSize float32
	labelH   float32 // height of a cell's label line, measured once
	labels   labelFitter

	root    *fyne.Container // holds exactly one of welcome, main
	main    fyne.CanvasObject
	stack   *fyne.Container // main view and the viewer on top
	grid    *gridView
	details *detailsPanel
	viewer  *viewer
	welcome *welcomeView

	search     *searchEntry
	typeSel    *widget.Select
	problems   *widget.Check
	sortSel    *widget.Select
	sizeSlider *widget.Slider
	count      *widget.Label
	statusL    *widget.Label
	liveL      *widget.Label
	hoverL     *widget.Label
	progress   *widget.ProgressBarInfinite
	statusBar  *fyne.Container
	cellByID   map[store.ID]*cell
	actions    *actions
	cmds       commandSet // the menu, shortcuts and keys (commands.go)
	ed         *editor    // drop-in, trash and undo, relabel, health
	refs       *refView   // lash's sessions: who uses what (sessions.go)
}

// New builds the window's content into w and opens the first store: the
// one on the command line, else the last one used, else the default.
func New(a fyne.App, w fyne.Window, cfg Config) *Browser {
	if cfg.RunOnUI == nil {
		cfg.RunOnUI = fyne.Do
	}
	if cfg.Services == nil {
		cfg.Services = realServices
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &Browser{
		app: a, win: w, cfg: cfg,
		q:         newUIQueue(cfg.RunOnUI),
		now:       cfg.Now,
		cat:       newCatalog(),
		sel:       newSelection(),
		fresh:     map[store.ID]time.Time{},
		thumbErrs: map[store.ID]error{},
		cellByID:  map[store.ID]*cell{},
		prefs:     prefs{a.Preferences()},
	}
	b.actions = &actions{b: b}
	b.cmds.list = windowCommands()
	b.cat.order = b.prefs.sortOrder()
	b.cellSize = b.prefs.thumbSize()
	b.build()
	w.SetContent(b.root)
	if sz := b.prefs.windowSize(); sz.Width > 0 {
		w.Resize(sz)
	} else {
		w.Resize(fyne.NewSize(1100, 720))
	}
	b.installCommands()
	dir := cfg.StoreDir
	if dir == "" {
		dir = b.prefs.lastStore()
	}
	if dir == "" {
		dir = cfg.DefaultStore
	}
	b.Open(dir)
	return b
}

// Close stops the open store's background work and remembers the window's
// size. The app calls it when the window closes.
func (b *Browser) Close() {
	b.prefs.setWindowSize(b.win.Canvas().Size())
	b.closeStore()
}

func (b *Browser) closeStore() {
	b.storeGen++ // results still on their way from the old store's workers are dropped
	if b.stop != nil {
		b.stop()
		b.stop, b.storeCtx, b.listStop = nil, nil, nil
	}
	if b.thumbs != nil {
		b.thumbs.Close()
		b.thumbs = nil
	}
	b.st = nil
}

// Open shows the store at dir: the welcome view when it does not exist,
// else the grid, filled in the background as the listing proceeds.
func (b *Browser) Open(dir string) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	b.closeStore()
	b.storeGen++
	b.viewer.close()
	b.cat.reset()
	b.sel.clear()
	b.ed.storeChanged()
	b.refs.reset()
	b.fresh = map[store.ID]time.Time{}
	b.thumbErrs = map[store.ID]error{}
	b.isDemo = b.cfg.DemoDir != "" && filepath.Clean(dir) == filepath.Clean(b.cfg.DemoDir)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		b.st = store.New(dir)
		why := "There is no store at " + tildePath(dir) + "."
		switch {
		case err != nil && !errors.Is(err, os.ErrNotExist):
			why = fmt.Sprintf("The store at %s cannot be opened: %v.", tildePath(dir), unwrapPath(err))
		case err == nil:
			why = tildePath(dir) + " is a file, not a store folder."
		}
		b.showWelcome(dir, why, err != nil && errors.Is(err, os.ErrNotExist))
		return
	}
	st, warn := b.openStore(dir)
	if st == nil {
		b.st = store.New(dir)
		b.showWelcome(dir, fmt.Sprintf("The store at %s cannot be opened: %v.", tildePath(dir), warn), false)
		return
	}
	gen := b.storeGen
	thumbs, live, err := b.cfg.Services(st, func(r thumbs.Result) {
		b.q.post(func() { b.onThumb(gen, r) })
	})
	if err != nil {
		b.st = st
		b.showWelcome(dir, fmt.Sprintf("The store at %s cannot be shown: %v.", tildePath(dir), err), false)
		return
	}
	b.st, b.thumbs = st, thumbs
	b.prefs.setLastStore(dir)
	ctx, cancel := context.WithCancel(context.Background())
	b.storeCtx, b.stop = ctx, cancel
	b.showMain()
	b.watch = live
	b.watchStarted = false
	b.live = LiveState{Kind: LiveStarting}
	if live == nil {
		b.live = LiveState{Kind: LiveFailed, Err: errors.New("no watcher")}
	}
	b.startListing()
	b.refs.load()
	b.refreshAll()
	if warn != nil {
		b.showError(warn)
	}
}

// openStore opens the store at dir as lash's sessions beside it (or at
// --sessions) describe it. A store that opens with sessions that could not
// be read comes back with the error as a warning.
func (b *Browser) openStore(dir string) (*store.Store, error) {
	src, err := sessions.Locate(b.cfg.Sessions, dir)
	if err != nil {
		st, oerr := store.Open(dir, store.Options{})
		if oerr != nil {
			return nil, oerr
		}
		return st, err
	}
	return sessions.OpenStore(dir, src)
}

// startWatching starts the watcher once the first listing has filled the
// grid. Starting it later loses nothing (it lists the store itself once
// its watches are in place, and that listing replaces ours), and it keeps
// its listing from competing with ours and with the first thumbnails.
func (b *Browser) startWatching() {
	if b.watchStarted || b.watch == nil || b.storeCtx == nil {
		return
	}
	b.watchStarted = true
	gen := b.storeGen
	go b.watch.Watch(b.storeCtx,
		func(c change) { b.q.post(func() { b.applyChange(gen, c) }) },
		func(s LiveState) { b.q.post(func() { b.setLive(gen, s) }) })
}

// startListing lists the store in the background; what it finds is merged
// into the catalog batch by batch, and ids not seen by the end are dropped
// (a rescan keeps the scroll position and the selection).
func (b *Browser) startListing() {
	if b.listStop != nil {
		b.listStop()
	}
	ctx, cancel := context.WithCancel(b.storeCtx)
	b.listStop = cancel
	b.listGen++
	gen := b.listGen
	b.loading = true
	b.loadNote = "reading…"
	seen := map[store.ID]bool{}
	st := b.st
	shown := make(chan struct{})
	b.firstShown = shown
	go listStore(ctx, st, b.cat.order, shown, func(p loadProgress) {
		b.q.post(func() {
			if gen != b.listGen {
				return
			}
			b.applyListing(seen, p)
		})
	})
}

// applyListing merges one batch of a listing into the catalog.
func (b *Browser) applyListing(seen map[store.ID]bool, p loadProgress) {
	anchor := b.grid.anchor()
	for _, a := range p.found {
		seen[a.ID] = true
		delete(b.thumbErrs, a.ID)
	}
	b.cat.add(p.found)
	if p.total > 0 {
		// Short: it follows the path, count and size in the status bar.
		b.loadNote = fmt.Sprintf("reading… %d%%", 100*p.done/p.total)
	}
	if len(p.problems) > 0 {
		b.loadNote = strings.Join(p.problems, "; ")
	}
	if p.finished {
		defer b.startWatching()
		b.loading = false
		if pr := b.cfg.Probe; pr != nil {
			pr.Report(fmt.Sprintf("listing finished: %.0f ms after start (%s attachments)",
				float64(time.Since(pr.Start).Microseconds())/1000, thousands(b.cat.total())))
		}
		var gone []store.ID
		for id := range b.cat.byID {
			if !seen[id] {
				gone = append(gone, id)
				b.sel.drop(id)
			}
		}
		b.cat.apply(nil, gone)
		b.refs.refreshCounts()
		b.loadNote = ""
		if p.err != nil {
			b.loadNote = "The store could not be read: " + p.err.Error()
		} else if len(p.problems) > 0 {
			b.loadNote = "Some folders could not be read: " + strings.Join(p.problems, "; ")
		}
	}
	b.grid.restore(anchor)
	b.refreshAll()
	b.checkFirstScreen()
}

// applyChange applies one watcher batch: new ones appear highlighted,
// removed ones vanish, changed ones update in place; the scroll position
// (the first visible item) and the selection stay.
func (b *Browser) applyChange(gen int, c change) {
	if gen != b.storeGen {
		return
	}
	anchor := b.grid.anchor()
	now := b.now()
	var puts []store.Attachment
	var removes []store.ID
	if c.Full {
		// The watcher's listing is the truth from here on: the quicker
		// listing that filled the grid meanwhile is no longer needed.
		if b.listStop != nil {
			b.listStop()
			b.listStop = nil
		}
		b.listGen++
		b.loading, b.loadNote = false, ""
		seen := make(map[store.ID]bool, len(c.Listing))
		for _, a := range c.Listing {
			seen[a.ID] = true
		}
		for id := range b.cat.byID {
			if !seen[id] {
				removes = append(removes, id)
			}
		}
		puts = c.Listing
		// A whole listing is a scan: its problems are the Health badge's.
		if b.ed != nil {
			n := len(c.Findings)
			for _, a := range c.Listing {
				if a.Status != store.StatusOK {
					n++
				}
			}
			b.ed.setHealthBadge(n)
		}
	}
	for _, a := range c.Added {
		if _, known := b.cat.byID[a.ID]; !known {
			b.fresh[a.ID] = now
		}
		delete(b.thumbErrs, a.ID)
	}
	for _, a := range c.Changed {
		delete(b.thumbErrs, a.ID)
	}
	puts = append(append(slices.Clip(puts), c.Added...), c.Changed...)
	removes = append(removes, c.Removed...)
	for _, id := range removes {
		b.sel.drop(id)
		delete(b.fresh, id)
		delete(b.thumbErrs, id)
		if b.viewer.showing(id) {
			b.viewer.close()
		}
	}
	b.cat.apply(puts, removes)
	b.refs.refreshCounts()
	b.grid.restore(anchor)
	b.refreshAll()
	if len(c.Added) > 0 {
		// Take the highlight off once it has been seen.
		time.AfterFunc(freshFor+100*time.Millisecond, func() { b.q.post(b.expireFresh) })
	}
}

func (b *Browser) expireFresh() {
	now := b.now()
	changed := false
	for id, t := range b.fresh {
		if now.Sub(t) >= freshFor {
			delete(b.fresh, id)
			changed = true
		}
	}
	if changed {
		b.grid.Refresh()
	}
}

func (b *Browser) setLive(gen int, s LiveState) {
	if gen != b.storeGen {
		return
	}
	b.live = s
	b.refreshStatus()
}

// rescan lists the whole store again (F5, or the watcher lost track).
func (b *Browser) rescan() {
	if b.st == nil || b.storeCtx == nil || b.storeCtx.Err() != nil {
		return
	}
	if b.watch != nil && b.watchStarted && b.live.Kind != LiveFailed {
		b.live = LiveState{Kind: LiveRescanning}
		b.watch.Rescan()
	} else {
		b.startListing()
	}
	b.refs.load()
	b.refreshStatus()
}

// ShowTitle sets the window title from the store and its count now.
func (b *Browser) ShowTitle() { b.win.SetTitle(b.title()) }

// title is the window title: the store and its count.
func (b *Browser) title() string {
	if b.st == nil {
		return "lashview"
	}
	t := "lashview — " + tildePath(b.st.Root())
	if b.isDemo {
		t = "lashview — demo store " + tildePath(b.st.Root())
	}
	if b.welcome != nil && b.root.Objects[0] == b.welcome.obj {
		return t
	}
	return fmt.Sprintf("%s (%s)", t, thousands(b.cat.total()))
}

// refreshAll updates everything that shows the catalog.
func (b *Browser) refreshAll() {
	b.win.SetTitle(b.title())
	b.grid.Refresh()
	b.refreshDetails()
	b.refreshStatus()
}

func (b *Browser) refreshStatus() {
	shown, total := len(b.cat.shown), b.cat.total()
	if shown == total {
		b.count.SetText(fmt.Sprintf("%s shown", thousands(total)))
	} else {
		b.count.SetText(fmt.Sprintf("%s of %s shown", thousands(shown), thousands(total)))
	}
	if b.st == nil {
		b.statusL.SetText("")
		return
	}
	noun := "attachments"
	if total == 1 {
		noun = "attachment"
	}
	s := fmt.Sprintf("%s  ·  %s %s  ·  %s", tildePath(b.st.Root()), thousands(total), noun, humanBytes(b.cat.totalSize))
	if b.loadNote != "" {
		s += "  ·  " + b.loadNote
	}
	if n := b.refs.note(); n != "" {
		s += "  ·  " + n
	}
	b.statusL.SetText(s)
	b.liveL.SetText(b.live.String())
	if b.loading {
		b.progress.Show()
	} else {
		b.progress.Hide()
	}
	b.statusBar.Refresh() // the texts changed width: lay the bar (and its statusLayout) out again
}

func (b *Browser) refreshDetails() {
	a, ok := b.cat.get(b.sel.focus)
	if !ok {
		b.details.show(nil)
		return
	}
	b.details.show(&a)
}

// thumbPx is the pixel size of a thumbnail drawn in a box of dp size:
// cell size × the screen's scale, so HiDPI screens get sharp thumbnails.
func (b *Browser) thumbPx(dp float32) int {
	scale := b.win.Canvas().Scale()
	if scale <= 0 {
		scale = 1
	}
	return int(dp*scale + 0.5)
}

// thumbnail asks for id's thumbnail for a dp box: set gets it at once
// when it is in memory, else the placeholder now and the image later
// through onThumb.
func (b *Browser) thumbnail(id store.ID, dp float32, set func(image.Image, error)) {
	if b.thumbs == nil {
		set(nil, nil)
		return
	}
	if err := b.thumbErrs[id]; isFinal(err) {
		set(nil, err) // the bytes cannot make a picture at any size
		return
	}
	r, done := b.thumbs.Request(id, b.thumbPx(dp))
	if done {
		b.noteThumbErr(id, r.Err)
		set(r.Image, r.Err)
	} else {
		set(nil, nil)
	}
	b.visibleChanged()
}

// onThumb hands a finished thumbnail to the cell and the details panel
// showing its id, if any still do (cells are recycled).
func (b *Browser) onThumb(gen int, r thumbs.Result) {
	if gen != b.storeGen {
		return
	}
	b.noteThumbErr(r.ID, r.Err)
	// A failure is about the bytes, so it holds at every size.
	final := isFinal(r.Err)
	if c := b.cellByID[r.ID]; c != nil && c.id == r.ID && (r.Px == b.thumbPx(b.cellSize) || final) {
		c.setThumb(r.Image, r.Err)
	}
	if b.details.id == r.ID && (r.Px == b.thumbPx(previewSize) || final) {
		b.details.setPreview(r.Image, r.Err)
		if r.Err != nil {
			b.refreshDetails()
		}
	}
	b.checkFirstScreen()
	if b.cfg.Probe != nil {
		b.probeCheck()
	}
}

// checkFirstScreen lets the listing go on once the screen shows every
// thumbnail it should.
func (b *Browser) checkFirstScreen() {
	if b.firstShown != nil && b.screenDrawn() {
		close(b.firstShown)
		b.firstShown = nil
	}
}

// isFinal reports whether err says the bytes cannot make a thumbnail
// (remembered by the cache, true at every size), rather than that the
// blob could not be read this time.
func isFinal(err error) bool {
	var failure *thumbs.Failure
	return errors.As(err, &failure)
}

func (b *Browser) noteThumbErr(id store.ID, err error) {
	if err != nil {
		b.thumbErrs[id] = err
	}
}

// visibleChanged tells the thumbnail pool, once per frame, which ids are
// on screen, so it serves them first and drops what scrolled away.
func (b *Browser) visibleChanged() {
	if b.visDirty {
		return
	}
	b.visDirty = true
	b.q.post(func() {
		b.visDirty = false
		if b.thumbs == nil {
			return
		}
		if b.grid.Size().Height <= 0 {
			return // not laid out yet: the range would be wrong, and SetVisible drops the rest
		}
		ids := b.visibleIDs()
		b.thumbs.SetVisible(ids)
		// SetVisible drops queued requests for ids off screen; ask again for
		// every cell on screen still waiting, so none waits forever.
		px := b.thumbPx(b.cellSize)
		for _, id := range ids {
			c := b.cellByID[id]
			if c == nil || c.id != id || c.drawn() {
				continue
			}
			if r, done := b.thumbs.Request(id, px); done {
				b.noteThumbErr(id, r.Err)
				c.setThumb(r.Image, r.Err)
			}
		}
	})
}

// visibleIDs are the ids of the cells on screen and the details panel's.
func (b *Browser) visibleIDs() []store.ID {
	first, n := b.grid.visibleRange()
	ids := make([]store.ID, 0, n+1)
	for i := first; i < first+n && i < len(b.cat.shown); i++ {
		ids = append(ids, b.cat.shown[i])
	}
	if b.details.id != "" {
		ids = append(ids, b.details.id)
	}
	return ids
}

// showMain puts the grid view in the window.
func (b *Browser) showMain() {
	b.root.Objects = []fyne.CanvasObject{b.stack}
	b.root.Refresh()
	b.win.Canvas().Focus(b.grid)
}

// newSplit puts the grid and the details panel side by side.
func newSplit(grid, details fyne.CanvasObject) *container.Split {
	s := container.NewHSplit(grid, details)
	s.Offset = 0.72
	return s
}
