package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/sessions"
	"lashview/store"
)

// danglingExplain is the Health view's sentence about dangling references.
const danglingExplain = "A lash session holds an attachment whose blob is not in the store: that session will fail to show it. When lashview moved the blob to its Trash, it can be brought back."

// trashedOf are the ids whose blob of the store v lies in its trash: the
// desktop Trash of can for a folder (trashedBlobs), the trash area of a
// bucket.
func trashedOf(ctx context.Context, v store.Face, can *store.TrashCan) (map[store.ID]bool, error) {
	if o, ok := v.(interface {
		TrashedIDs(ctx context.Context) (map[store.ID]bool, error)
	}); ok {
		return o.TrashedIDs(ctx)
	}
	if st, ok := store.FolderOf(v); ok {
		return trashedBlobs(can, st)
	}
	return nil, nil
}

// trashedBlobs are the ids whose blob of the store st lies in the Trash
// of can (nil: the default), by its journal, not yet restored.
func trashedBlobs(can *store.TrashCan, st *store.Store) (map[store.ID]bool, error) {
	if can == nil {
		can = store.DefaultTrashCan()
	}
	batches, err := can.Batches()
	if err != nil {
		return nil, err
	}
	root, err := filepath.Abs(st.Root())
	if err != nil {
		root = st.Root()
	}
	out := map[store.ID]bool{}
	for _, b := range batches {
		if b.Store != root {
			continue
		}
		for _, it := range b.Items {
			if it.Action == store.ActionTrash && it.Role == store.RoleBlob && it.ID != "" && !it.Undone {
				out[it.ID] = true
			}
		}
	}
	return out, nil
}

// showDangling adds the dangling references to the list, grouped by id,
// with the sessions that hold each and, when its blob is in lashview's
// Trash, a button that restores it. It returns how many ids dangle.
func (h *healthView) showDangling() int {
	b := h.e.b
	r := b.refs
	if r.loading {
		h.list.Add(wrapped("Dangling references: lash's sessions are still being read."))
		h.list.Add(widget.NewSeparator())
		return 0
	}
	if r.ix == nil {
		return 0
	}
	var order []store.ID
	byID := map[store.ID][]sessions.Dangling{}
	for _, d := range r.ix.Dangling(func(id store.ID) bool {
		a, ok := b.cat.get(id)
		return ok && a.HasBlob
	}) {
		if byID[d.ID] == nil {
			order = append(order, d.ID)
		}
		byID[d.ID] = append(byID[d.ID], d)
	}
	if len(order) == 0 {
		return 0
	}
	h.list.Add(heading(fmt.Sprintf("Dangling references (%d)", len(order))))
	h.list.Add(wrapped(danglingExplain))
	for _, id := range order {
		var held []string
		for _, d := range byID[id] {
			how := "committed"
			if !d.Committed {
				how = "only an intent"
			}
			held = append(held, fmt.Sprintf("%s (%s)", d.Session.Title(), how))
		}
		text := "• " + string(id)
		if m, ok := r.ix.Meta(id); ok && m.Labelled && strings.TrimSpace(m.Label) != "" {
			text += " “" + oneLine(m.Label) + "”"
		}
		h.list.Add(wrapped(text))
		h.list.Add(indent(wrapped("Held by " + strings.Join(held, ", "))))
		if h.inTrash[id] {
			id := id
			btn := widget.NewButtonWithIcon("Restore from "+trashWord(b.trashName()), theme.ContentUndoIcon(), func() { h.restore(id) })
			h.list.Add(indent(container.NewHBox(btn)))
		} else {
			h.list.Add(indent(wrapped("Left as it is: the blob is not in " + b.trashName() + ", so only a copy of the file kept elsewhere could bring it back.")))
		}
	}
	h.list.Add(widget.NewSeparator())
	return len(order)
}

// restore brings one dangling id's blob back from the Trash (as
// `lashview restore ID`), shows it in the grid and scans again.
func (h *healthView) restore(id store.ID) {
	if h.busy() {
		return
	}
	ctx := h.begin("Restoring "+id.Short()+" from "+h.e.b.trashName()+"…", false)
	b := h.e.b
	st, tc := h.st, b.cfg.Trash
	h.e.b.background(func(context.Context) func() {
		rep, err := st.Restore(ctx, []store.ID{id}, store.TrashOptions{Can: tc})
		return func() {
			h.end()
			msg := restoreProblems(rep, err)
			if st == b.face {
				h.e.showIDs([]store.ID{id}, nil)
			}
			if msg != "" {
				b.showError(fmt.Errorf("%s could not be restored from %s:\n%s", id.Short(), b.trashName(), msg))
			} else {
				h.result.SetText("Restored " + id.Short() + " from " + b.trashName() + ": the sessions that hold it can show it again.")
				h.result.Show()
			}
			h.scan()
		}
	})
}

// trashWord is a trash's name for a button: "the Trash", "the trash area".
func trashWord(trash string) string {
	if trash == "the Trash" {
		return trash
	}
	return "the trash area"
}
