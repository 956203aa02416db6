package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// trashed is one move to the Trash the banner can undo: the attachments
// the batch moved, in the grid's order.
type trashed struct {
	st    store.Face
	ids   []store.ID
	size  int64
	label string // what the banner calls them: a label, or "3 attachments"
}

// trashSelection moves the selected attachments to the Trash (Delete key,
// toolbar button), after a confirmation unless that is switched off. (The
// command runs it only while the viewer is closed: windowCommands.)
func (e *editor) trashSelection() {
	b := e.b
	if e.busy {
		return
	}
	if !e.storeReady("move attachments to the Trash") {
		return
	}
	ids := e.selectedIDs()
	if len(ids) == 0 {
		b.flash("Select the attachments to move to the Trash first")
		return
	}
	var size int64
	for _, id := range ids {
		a, _ := b.cat.get(id)
		size += a.Size
	}
	what := e.describe(ids)
	if b.refs.askBeforeTrash(ids, size, what, func() { e.trash(ids, size, what) }) {
		return
	}
	if !e.confirmTrash() {
		e.trash(ids, size, what)
		return
	}
	ask := widget.NewCheck("Ask every time", nil)
	ask.SetChecked(true)
	msg := widget.NewLabel(fmt.Sprintf("Move %s (%s) to the Trash?\n\nThey can be brought back with Undo (Ctrl+Z), from the Trash of your file manager, or with lashview restore.", what, humanBytes(size)))
	if b.st == nil {
		msg.SetText(fmt.Sprintf("Move %s (%s) to the bucket's trash area (%s)?\n\nA bucket has no desktop Trash: they are copied into the trash area of the same bucket, where lash never looks, and then deleted. They can be brought back with Undo (Ctrl+Z) or with lashview restore.",
			what, humanBytes(size), placeOf(b.face, store.TrashDir)))
	}
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Move to Trash", "Move to Trash", "Cancel", container.NewVBox(msg, ask), func(ok bool) {
		if !ok {
			return
		}
		if !ask.Checked {
			e.setConfirmTrash(false)
		}
		e.trash(ids, size, what)
	}, b.win)
	b.showDialog(d)
}

// describe names attachments for a sentence: one by its label, more by count.
func (e *editor) describe(ids []store.ID) string {
	if len(ids) == 1 {
		return "“" + oneLine(e.b.cat.displayLabel(ids[0])) + "”"
	}
	return thousands(len(ids)) + " attachments"
}

// trash moves ids to the Trash in the background with store.Trash (as
// `lashview rm` does), takes them off the grid, and offers Undo.
func (e *editor) trash(ids []store.ID, size int64, what string) {
	b := e.b
	st, tc, where := b.face, b.cfg.Trash, b.trashName()
	e.busy = true
	b.flash(fmt.Sprintf("Moving %s to %s…", what, where))
	e.b.background(func(ctx context.Context) func() {
		batch, err := st.Trash(ctx, ids, store.TrashOptions{Can: tc})
		return func() {
			e.busy = false
			moved := map[store.ID]bool{}
			if batch != nil {
				for _, it := range batch.Items {
					moved[it.ID] = true
				}
			}
			var done []store.ID
			var doneSize int64
			for _, id := range ids {
				if moved[id] {
					done = append(done, id)
					a, _ := b.cat.get(id)
					doneSize += a.Size
				}
			}
			if st == b.face {
				e.forget(done)
			}
			if len(done) > 0 {
				if len(done) != len(ids) {
					what = thousands(len(done)) + " of " + thousands(len(ids)) + " attachments"
				}
				e.undo = &trashed{st: st, ids: done, size: doneSize, label: what}
				e.showUndo(fmt.Sprintf("Moved %s (%s) to %s.", what, humanBytes(doneSize), where))
			}
			if err != nil {
				b.showError(fmt.Errorf("some attachments could not be moved to %s:\n%s", where, joinErrors(err)))
			}
		}
	})
}

// forget takes attachments off the grid and out of the selection at once;
// the watcher's echo of their removal then changes nothing.
func (e *editor) forget(ids []store.ID) {
	b := e.b
	if len(ids) == 0 {
		return
	}
	anchor := b.grid.anchor()
	next := ""
	if p := b.cat.position(ids[len(ids)-1]); p >= 0 && p+1 < len(b.cat.shown) {
		next = string(b.cat.shown[p+1])
	}
	gone := map[store.ID]bool{}
	for _, id := range ids {
		gone[id] = true
		b.cat.remove(id)
		b.sel.drop(id)
		delete(b.fresh, id)
		if b.viewer.showing(id) {
			b.viewer.close()
		}
	}
	b.cat.rebuild()
	if len(b.sel.ids) == 0 && next != "" && !gone[store.ID(next)] {
		// Keep the keyboard somewhere sensible: on the item after the last one moved.
		b.sel.only(store.ID(next))
	}
	b.grid.restore(anchor)
	b.refreshAll()
}

// showUndo shows the banner with its Undo button.
func (e *editor) showUndo(msg string) {
	e.undoText.SetText(msg)
	e.undoBtn.Enable()
	e.undoBox.Show()
	e.layoutBanner()
}

// hideUndo closes the banner; Ctrl+Z still undoes the last move.
func (e *editor) hideUndo() {
	e.undoBox.Hide()
	e.layoutBanner()
}

// undoTrash brings back exactly the attachments of the last move to the
// Trash (Undo, Ctrl+Z) with store.Restore, as `lashview restore ID...` does.
func (e *editor) undoTrash() {
	b := e.b
	u := e.undo
	if u == nil || e.busy {
		return
	}
	if u.st != b.face {
		e.undo = nil
		e.hideUndo()
		return
	}
	e.busy = true
	e.undoBtn.Disable()
	tc, where := b.cfg.Trash, b.trashName()
	e.b.background(func(ctx context.Context) func() {
		rep, err := u.st.Restore(ctx, u.ids, store.TrashOptions{Can: tc})
		back := examineAll(ctx, u.st, u.ids)
		return func() {
			e.busy = false
			e.undo = nil
			e.hideUndo()
			msg := restoreProblems(rep, err)
			if u.st == b.face {
				e.showAttachments(back, nil)
			}
			if msg != "" {
				b.showError(fmt.Errorf("the move to %s could not be undone completely:\n%s", where, msg))
				return
			}
			b.flash(fmt.Sprintf("Brought back %s from %s", u.label, where))
		}
	})
}

// restoreProblems says, one a line, what a restore could not bring back
// and why; "" when it brought back everything.
func restoreProblems(rep *store.RestoreReport, err error) string {
	var lines []string
	if err != nil {
		lines = append(lines, joinErrors(err))
	}
	if rep != nil {
		for _, it := range rep.Items {
			if it.Outcome == store.OutcomeFailed || it.Err != nil {
				lines = append(lines, fmt.Sprintf("%s (%s): %v", it.ID.Short(), it.Role, it.Err))
			}
		}
	}
	return strings.Join(lines, "\n")
}

// joinErrors lists the sentences of an errors.Join, one a line.
func joinErrors(err error) string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var lines []string
		for _, e := range j.Unwrap() {
			lines = append(lines, e.Error())
		}
		return strings.Join(lines, "\n")
	}
	return err.Error()
}
