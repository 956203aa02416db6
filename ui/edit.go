package ui

import (
	"context"
	"fmt"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// editor is the part of the window that changes the store: drop-in and
// import, delete to the Trash and undo, relabel, health and repairs. Every
// change goes through the same store functions as `lashview put`, `rm`,
// `restore`, `label` and `doctor`, so the window and the command line
// behave alike. Background work reports through the browser's uiQueue.
type editor struct {
	b *Browser

	// tools sits in the toolbar; banner under it (undo note, import progress).
	tools  *fyne.Container
	banner *fyne.Container

	trashBtn  *widget.Button
	healthBtn *widget.Button

	undoBox  *fyne.Container
	undoText *widget.Label
	undoBtn  *widget.Button
	undo     *trashed // the last move to the Trash, until undone or replaced
	busy     bool     // a trash or restore is running

	imp     *importView
	relabel *relabeler
	health  *healthView
	// healthFound is how many problems the last health scan found (-1: none yet).
	healthFound int
}

func newEditor(b *Browser) *editor {
	e := &editor{b: b, healthFound: -1}
	importBtn := widget.NewButtonWithIcon("Import…", theme.ContentAddIcon(), b.action("import"))
	e.trashBtn = widget.NewButtonWithIcon("", theme.DeleteIcon(), b.action("trash"))
	e.healthBtn = widget.NewButtonWithIcon("Health", theme.WarningIcon(), b.action("health"))
	e.tools = container.NewHBox(importBtn, e.trashBtn, e.healthBtn)

	e.undoText = widget.NewLabel("")
	e.undoText.Truncation = fyne.TextTruncateEllipsis
	e.undoBtn = widget.NewButtonWithIcon("Undo", theme.ContentUndoIcon(), b.action("undo-trash"))
	closeBtn := widget.NewButtonWithIcon("", theme.CancelIcon(), e.hideUndo)
	closeBtn.Importance = widget.LowImportance
	e.undoBox = container.NewBorder(nil, nil, widget.NewIcon(theme.DeleteIcon()), container.NewHBox(e.undoBtn, closeBtn), e.undoText)
	e.undoBox.Hide()
	e.imp = newImportView(e)
	e.relabel = newRelabeler(b, b.cat)
	e.banner = container.NewVBox(e.undoBox, e.imp.box)
	e.banner.Hide()
	return e
}

// layoutBanner shows the banner while it has something to say and lays the
// window out again. Hidden, it takes no room at all (the toolbar's VBox
// adds no padding for it), so the grid keeps its full height.
func (e *editor) layoutBanner() {
	if e.undoBox.Visible() || e.imp.box.Visible() {
		e.banner.Show()
	} else {
		e.banner.Hide()
	}
	e.banner.Refresh()
	if m, ok := e.b.main.(*fyne.Container); ok {
		m.Refresh()
	}
}

// storeChanged forgets what belonged to the store that was open: the
// undo banner, an import, a relabel in progress, the Health view and badge.
func (e *editor) storeChanged() {
	e.undo = nil
	e.hideUndo()
	if e.imp.running() {
		e.imp.done()
	}
	if e.relabel.title != nil {
		e.relabel.follow("")
	}
	if e.health != nil {
		if e.health.cancel != nil {
			e.health.cancel()
		}
		e.health.dlg.Hide()
		e.health = nil
	}
	e.setHealthBadge(0)
}

// confirmTrash reports whether a move to the Trash asks first.
func (e *editor) confirmTrash() bool {
	return e.b.prefs.confirmTrash()
}

// setConfirmTrash switches the question on or off and ticks the menu item.
func (e *editor) setConfirmTrash(on bool) {
	e.b.prefs.setConfirmTrash(on)
	e.b.refreshMenu()
}

// storeReady reports whether a store is open in the grid view; otherwise it
// says why nothing can be done.
func (e *editor) storeReady(what string) bool {
	b := e.b
	if b.face == nil || b.root.Objects[0] != b.stack {
		b.showError(fmt.Errorf("open a store before you %s", what))
		return false
	}
	return true
}

// selectedIDs are the selected attachments the catalog knows, in the
// grid's order (those hidden by the filter last, by id).
func (e *editor) selectedIDs() []store.ID {
	b := e.b
	ids := make([]store.ID, 0, len(b.sel.ids))
	for id := range b.sel.ids {
		if _, ok := b.cat.get(id); ok {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		pi, pj := b.cat.position(ids[i]), b.cat.position(ids[j])
		if (pi < 0) != (pj < 0) {
			return pi >= 0
		}
		if pi != pj {
			return pi < pj
		}
		return ids[i] < ids[j]
	})
	return ids
}

// selectAll selects every attachment the grid shows (Ctrl+A).
func (e *editor) selectAll() {
	b := e.b
	if len(b.cat.shown) == 0 {
		return
	}
	for _, id := range b.cat.shown {
		b.sel.ids[id] = struct{}{}
	}
	if !b.sel.has(b.sel.focus) {
		b.sel.focus = b.cat.shown[0]
	}
	b.grid.Refresh()
	b.refreshDetails()
	b.flash(fmt.Sprintf("%s selected", plural(len(b.sel.ids), "attachment")))
}

// showIDs puts attachments the store now holds into the catalog at once
// (the watcher's echo of them changes nothing), selects them, and scrolls
// the first into view.
func (e *editor) showIDs(ids []store.ID, fresh map[store.ID]bool) {
	b := e.b
	if b.face == nil || len(ids) == 0 {
		return
	}
	e.showAttachments(examineAll(b.lifetime(), b.face, ids), fresh)
}

// examineAll looks at each id as a listing would (off the UI goroutine
// for a bucket: each is a request); those not in the store are left out.
func examineAll(ctx context.Context, v store.Face, ids []store.ID) []store.Attachment {
	out := make([]store.Attachment, 0, len(ids))
	for _, id := range ids {
		if a, ok, err := v.Examine(ctx, id); err == nil && ok {
			out = append(out, a)
		}
	}
	return out
}

// showAttachments is showIDs with the attachments examined already.
func (e *editor) showAttachments(atts []store.Attachment, fresh map[store.ID]bool) {
	b := e.b
	if b.face == nil || len(atts) == 0 {
		return
	}
	now := b.now()
	sel := make([]store.ID, 0, len(atts))
	for _, a := range atts {
		id := a.ID
		if _, known := b.cat.byID[id]; !known && fresh[id] {
			b.fresh[id] = now
		}
		b.cat.put(a)
		sel = append(sel, id)
	}
	if len(sel) == 0 {
		return
	}
	b.cat.rebuild()
	b.sel.clear()
	first := -1
	for _, id := range sel {
		b.sel.ids[id] = struct{}{}
		if p := b.cat.position(id); p >= 0 && (first < 0 || p < first) {
			first = p
		}
	}
	b.sel.focus = sel[0]
	if first >= 0 {
		b.sel.focus = b.cat.shown[first]
		b.grid.ScrollTo(first)
	}
	b.refreshAll()
}

// inform shows a message the person should read, in a dialog.
func (e *editor) inform(title, msg string) {
	d := dialog.NewInformation(title, msg, e.b.win)
	e.b.showDialog(d)
}
