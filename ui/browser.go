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
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lashview/sessions"
	"lashview/store"
	"lashview/store/s3store"
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
	// ListingDir keeps the last listing of each bucket, shown at once the
	// next time it is opened while it is listed again; "" means
	// $XDG_CACHE_HOME/lashview/listings.
	ListingDir string
	// Trash is where deleted attachments go and the journal that undoes
	// them; nil means store.DefaultTrashCan(), as the command line uses.
	Trash *store.TrashCan
	// ListingIndexDir is where each store's listing index is kept (see
	// store.HintIndex), beside the thumbnail cache; empty: none, every
	// start lists the store from its folders (tests).
	ListingIndexDir string
}

// Browser is the window's controller: the open store, what the grid shows,
// the selection, and the widgets that show them.
type Browser struct {
	// dialogs are the dialogs shown over the window, newest last, which
	// the keys go to (dialogs.go); dialogHooked those whose closing is
	// watched.
	dialogs      []dialog.Dialog
	dialogHooked map[dialog.Dialog]bool
	app          fyne.App
	win          fyne.Window
	cfg          Config
	q            *uiQueue
	now          func() time.Time

	// The open store and its services; all replaced by Open. face is the
	// store, whichever backend holds it (store.Folder, or a bucket's
	// *store.Objects); st is the same store when it is a folder (nil for a
	// bucket), for what only a folder has.
	face     store.Face
	st       *store.Store
	storeURL string // the bucket being opened or open ("" for a folder)
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
	b.st, b.face, b.storeURL = nil, nil, ""
}

// Open shows the store at dir (a folder, or a bucket's s3:// URL): the
// welcome view when it does not exist, else the grid, filled in the
// background as the listing proceeds.
func (b *Browser) Open(dir string) {
	bucket := s3store.IsURL(dir)
	if abs, err := filepath.Abs(dir); err == nil && !bucket {
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
	if bucket {
		b.openBucket(dir)
		return
	}
	st, warn := b.openStore(dir)
	if st == nil {
		// store.Open's checks of the folder say why there is no store.
		b.st = store.New(dir)
		why := fmt.Sprintf("The store at %s cannot be opened: %v.", tildePath(dir), errors.Unwrap(warn))
		switch {
		case errors.Is(warn, store.ErrNoStore):
			why = "There is no store at " + tildePath(dir) + "."
		case errors.Is(warn, store.ErrNotAFolder):
			why = tildePath(dir) + " is a file, not a store folder."
		}
		b.showWelcome(dir, why, errors.Is(warn, store.ErrNoStore))
		return
	}
	b.opened(store.Folder(st), st, dir, warn)
}

// opened shows the store v (st when it is a folder) named dir, once it
// could be opened: its services start and its listing begins.
func (b *Browser) opened(v store.Face, st *store.Store, dir string, warn error) {
	gen := b.storeGen
	thumbs, live, err := b.cfg.Services(v, func(r thumbs.Result) {
		b.q.post(func() { b.onThumb(gen, r) })
	})
	if err != nil {
		b.st = st
		b.showWelcome(dir, fmt.Sprintf("The store at %s cannot be shown: %v.", tildePath(dir), err), false)
		return
	}
	b.face, b.st, b.thumbs = v, st, thumbs
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
