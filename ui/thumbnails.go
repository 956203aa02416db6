package ui

import (
	"errors"
	"image"

	"lashview/store"
	"lashview/thumbs"
)

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
