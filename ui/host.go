package ui

import (
	"context"
	"image"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"

	"lashview/store"
)

// The feature views see the window through the small interfaces below,
// each the part of the Browser one of them needs; the Browser is the only
// implementation. The catalog (what the store holds and the grid shows)
// and the sessions' refView are handed to them as they are.

// viewerHost is what the full-size viewer needs of the window.
type viewerHost interface {
	current() store.Face
	post(f func())
	canvas() fyne.Canvas
	selectOnly(id store.ID)
	lifetime() context.Context
	closeViewer()
	doKey(where keyPlace, k fyne.KeyName) bool
}

// detailsHost is what the details panel needs of the window.
type detailsHost interface {
	current() store.Face
	clock() time.Time
	selectedCount() int
	thumbErr(id store.ID) error
	thumbnail(id store.ID, dp float32, set func(image.Image, error))
}

// relabelHost is what the label field needs of the window.
type relabelHost interface {
	current() store.Face
	canvas() fyne.Canvas
	focusGrid()
	refreshAll()
	flash(s string)
	showError(err error)
	background(work func(ctx context.Context) func())
}

var (
	_ viewerHost  = (*Browser)(nil)
	_ detailsHost = (*Browser)(nil)
	_ relabelHost = (*Browser)(nil)
)

// current is the open store (nil when none is).
func (b *Browser) current() store.Face { return b.face }

// post runs f on the UI goroutine, in the window's one queue.
func (b *Browser) post(f func()) { b.q.post(f) }

// lifetime is a context that ends when the open store is closed.
func (b *Browser) lifetime() context.Context {
	if b.storeCtx == nil {
		return context.Background()
	}
	return b.storeCtx
}

// placeOf names a key of the store v for a person: its path in a folder,
// its s3:// URL in a bucket.
func placeOf(v store.Face, key string) string {
	if v == nil {
		return ""
	}
	if o, ok := v.(interface{ Backend() store.Backend }); ok {
		return o.Backend().Where(key)
	}
	if st, ok := store.FolderOf(v); ok {
		return filepath.Join(st.Root(), filepath.FromSlash(key))
	}
	return v.Where() + "/" + key
}

// canvas is the window's canvas.
func (b *Browser) canvas() fyne.Canvas { return b.win.Canvas() }

// clock is the time now, by the window's clock (tests fix it).
func (b *Browser) clock() time.Time { return b.now() }

// selectedCount is how many attachments are selected.
func (b *Browser) selectedCount() int { return len(b.sel.ids) }

// thumbErr is why id's thumbnail could not be made, if it could not.
func (b *Browser) thumbErr(id store.ID) error { return b.thumbErrs[id] }

// focusGrid gives the grid the keyboard.
func (b *Browser) focusGrid() { b.win.Canvas().Focus(b.grid) }

// selectOnly makes id the selection and shows it in the grid and details.
func (b *Browser) selectOnly(id store.ID) {
	b.sel.only(id)
	b.grid.Refresh()
	b.refreshDetails()
}

// background runs work off the UI goroutine with a context that ends
// with the store, and hands done's function to the UI goroutine.
func (b *Browser) background(work func(ctx context.Context) func()) {
	ctx := b.storeCtx
	if ctx == nil {
		ctx = context.Background()
	}
	go func() {
		done := work(ctx)
		b.q.post(done)
	}()
}
