package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// relabeler makes the label in the details panel editable: the pencil
// button (or F2) turns it into a field, Enter saves with store.SetLabel
// (as `lashview label` does), Escape cancels.
type relabeler struct {
	host    relabelHost
	cat     *catalog
	title   *widget.Label // the details panel's title
	entry   *labelEntry
	editBtn *widget.Button
	// why says, under the title, why the label cannot be changed here
	// (a blob-only attachment: lash keeps its labels in its sessions).
	why   *widget.Label
	id    store.ID // the attachment being relabelled; "" when not editing
	shown store.ID // the attachment the details panel shows (follow)
}

func newRelabeler(host relabelHost, cat *catalog) *relabeler {
	r := &relabeler{host: host, cat: cat}
	r.entry = newLabelEntry(r)
	r.entry.Hide()
	r.editBtn = widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), r.start)
	r.editBtn.Importance = widget.LowImportance
	r.why = widget.NewLabel("")
	r.why.Wrapping = fyne.TextWrapWord
	r.why.Importance = widget.LowImportance
	r.why.Hide()
	return r
}

// row is the details panel's title line: the label (or the field editing
// it) and the pencil button.
func (r *relabeler) row(title *widget.Label) fyne.CanvasObject {
	r.title = title
	line := container.NewBorder(nil, nil, nil, container.NewVBox(r.editBtn), container.NewStack(title, r.entry))
	return container.NewVBox(line, r.why)
}

// blobOnlyWhy is the reason, in words, why a blob-only attachment cannot be
// relabelled in lashview.
var blobOnlyWhy = "The label can't be changed here: " + store.ErrBlobOnlyLabel.Error() + "."

// editing reports whether the field is open.
func (r *relabeler) editing() bool { return r.id != "" }

// start opens the field on the focused attachment's label.
func (r *relabeler) start() {
	a, ok := r.cat.get(r.shown)
	if !ok || r.host.current() == nil || !a.HasBlob {
		if ok && !a.HasBlob {
			r.host.showError(fmt.Errorf("%s has no blob, so it has no label to change: lash cannot read it", a.ID.Short()))
		}
		return
	}
	if a.CanLabel() != nil {
		r.host.flash(blobOnlyWhy)
		return
	}
	r.id = a.ID
	text := ""
	if a.Label != nil {
		text = *a.Label
	}
	r.entry.SetText(text)
	r.entry.CursorColumn = len([]rune(text))
	r.title.Hide()
	r.entry.Show()
	r.editBtn.Disable()
	r.host.canvas().Focus(r.entry)
}

// cancel closes the field without saving (Escape).
func (r *relabeler) cancel() {
	if !r.editing() {
		return
	}
	r.close()
	r.host.focusGrid()
}

func (r *relabeler) close() {
	r.id = ""
	r.entry.Hide()
	r.title.Show()
	r.editBtn.Enable()
}

// save writes the new label (Enter). The catalog takes the new label at
// once, so the title shows it without waiting for the write, and the
// watcher's echo of the rewritten sidecar changes nothing on screen.
func (r *relabeler) save() {
	cat := r.cat
	id := r.id
	old, ok := cat.get(id)
	if !ok {
		r.cancel()
		return
	}
	label := r.entry.Text
	r.cancel()
	if old.Label != nil && *old.Label == label && old.Status == store.StatusOK {
		return // unchanged
	}
	shown := old
	shown.Label = &label
	cat.put(shown)
	cat.rebuild()
	r.host.refreshAll()
	st := r.host.current()
	r.host.background(func(ctx context.Context) func() {
		sc, err := st.SetLabel(ctx, id, label)
		fresh, found, _ := st.Examine(ctx, id)
		return func() {
			if st != r.host.current() {
				return
			}
			if err != nil {
				if _, ok := cat.get(id); ok {
					cat.put(old)
					cat.rebuild()
					r.host.refreshAll()
				}
				r.host.showError(fmt.Errorf("the label of %s could not be changed: %w", id.Short(), err))
				return
			}
			if found {
				cat.put(fresh)
			} else {
				shown.Meta = &sc
				cat.put(shown)
			}
			cat.rebuild()
			r.host.refreshAll()
			r.host.flash(fmt.Sprintf("Label saved: %s", oneLine(label)))
		}
	})
}

// follow keeps the field on its attachment: when the details panel moves
// to another one, an open field is cancelled.
func (r *relabeler) follow(id store.ID) {
	r.shown = id
	if r.editing() && r.id != id {
		r.close()
	}
	if r.editBtn != nil {
		a, ok := r.cat.get(id)
		blobOnly := ok && a.CanLabel() != nil
		if ok && a.HasBlob && !blobOnly && !r.editing() {
			r.editBtn.Enable()
		} else if !r.editing() {
			r.editBtn.Disable()
		}
		if blobOnly {
			r.why.SetText(blobOnlyWhy)
			r.why.Show()
		} else {
			r.why.Hide()
		}
	}
}

// labelEntry is the label field: Enter saves, Escape cancels.
type labelEntry struct {
	widget.Entry
	r *relabeler
}

func newLabelEntry(r *relabeler) *labelEntry {
	e := &labelEntry{r: r}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder("Label (empty: no words)")
	return e
}

// TypedKey saves on Enter and cancels on Escape.
func (e *labelEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		e.r.save()
	case fyne.KeyEscape:
		e.r.cancel()
	default:
		e.Entry.TypedKey(ev)
	}
}
