package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"lashview/internal/storecases"
	"lashview/store"
)

// A blob-only store (lash alpha.111, its sessions beside it) shows no
// problem badges; its PDF shows a type tile, not a broken-image mark; its
// reference is lash-attachment://sha256/<id>; and relabelling is disabled
// with the reason in words.
func TestBlobOnlyStoreInTheWindow(t *testing.T) {
	root := filepath.Join(storecases.CopyHome(t, "alpha111"), "attachments")
	h := newHarness(t, root)
	h.loaded()
	if n := h.b.cat.total(); n != 13 {
		t.Fatalf("%d attachments, want 13", n)
	}
	h.b.setThumbSize(64) // the whole store on one screen
	const pdf = store.ID("9e6506e7a063781cac34b0df903f4549cc248a2a284ea89ce56f8194215331dc")
	h.settle(func() bool { c := h.b.cellByID[pdf]; return c != nil && c.id == pdf })
	for _, id := range h.b.cat.shown {
		a, _ := h.b.cat.get(id)
		if a.Status != store.StatusOK || a.Generation != store.GenBlobOnly {
			t.Errorf("%s: %s %s", id.Short(), a.Status, a.Generation)
		}
		if c := h.b.cellByID[id]; c != nil && c.id == id && c.badge.Visible() {
			t.Errorf("%s shows a badge %q", id.Short(), c.badge.Text)
		}
	}
	c := h.b.cellByID[pdf]
	if !c.kind.Visible() || c.kind.Text != "PDF" || !c.size.Visible() || c.size.Text != humanBytes(601) || c.broken.Visible() {
		t.Errorf("PDF cell: tile %v %q %q, broken %v", c.kind.Visible(), c.kind.Text, c.size.Text, c.broken.Visible())
	}
	h.b.click(pdf, 0)
	h.settle(func() bool { return h.b.details.id == pdf })
	f := h.b.details.fields
	if got := f["Reference"].Text; got != "lash-attachment://sha256/"+string(pdf) {
		t.Errorf("reference %q", got)
	}
	if got := f["Media type"].Text; got != "application/pdf" {
		t.Errorf("media type %q", got)
	}
	r := h.b.ed.relabel
	if !r.editBtn.Disabled() || !r.why.Visible() || !strings.Contains(r.why.Text, "session databases") {
		t.Errorf("relabel: disabled %v, reason %v %q", r.editBtn.Disabled(), r.why.Visible(), r.why.Text)
	}
	r.start() // F2 does the same: refuses, changes nothing
	if r.editing() {
		t.Error("the label field opened on a blob-only attachment")
	}
	if _, err := filepath.Glob(filepath.Join(root, "sha256", "*", "*.json")); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(root, "sha256", "*", "*.json")); len(m) != 0 {
		t.Errorf("sidecars appeared: %v", m)
	}
}

// In a sidecar store the pencil stays enabled and no reason shows.
func TestSidecarStoreRelabelEnabled(t *testing.T) {
	dir, ids := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	h.b.click(ids[0], 0)
	h.settle(func() bool { return h.b.details.id == ids[0] })
	r := h.b.ed.relabel
	if r.editBtn.Disabled() || r.why.Visible() {
		t.Errorf("relabel in a sidecar store: disabled %v, reason shown %v", r.editBtn.Disabled(), r.why.Visible())
	}
	if got := h.b.details.fields["Reference"].Text; got != ids[0].Ref() {
		t.Errorf("reference %q", got)
	}
}
