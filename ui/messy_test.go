package ui

import (
	"context"
	"strings"
	"testing"

	"lashview/internal/fixture"
	"lashview/store"
)

// On the damaged store every problem shows plainly: a badge on each
// attachment that is not ok, "problems only" finds exactly those, and an
// image that cannot be decoded shows the broken-image mark with its reason.
func TestMessyStore(t *testing.T) {
	dir := fixture.Copy(t, "messy")
	h := newHarness(t, dir)
	h.loaded()
	if n := h.b.cat.total(); n != 30 {
		t.Errorf("messy: %d attachments, want 30", n)
	}
	h.b.problems.SetChecked(true)
	if n := len(h.b.cat.shown); n != 7 {
		t.Errorf("problems only shows %d, want 7", n)
	}
	for _, id := range h.b.cat.shown {
		a, _ := h.b.cat.get(id)
		if a.Status == store.StatusOK {
			t.Errorf("problems only shows %s, which is ok", id.Short())
		}
	}
	h.b.problems.SetChecked(false)
	h.b.setThumbSize(64) // small cells: the whole store on one screen
	const truncated = "f3818ee4c130"
	var id store.ID
	for _, x := range h.b.cat.shown {
		if strings.HasPrefix(string(x), truncated) {
			id = x
		}
	}
	h.settle(func() bool { return h.b.thumbErrs[id] != nil })
	c := h.b.cellByID[id]
	if c == nil || c.id != id || !c.broken.Visible() {
		t.Fatal("the truncated PNG does not show the broken-image mark")
	}
	h.b.click(id, 0)
	if !strings.Contains(h.b.details.explain.Text, "No picture can be shown") {
		t.Errorf("details do not say why: %q", h.b.details.explain.Text)
	}
	h.b.hover(id)
	if !strings.HasPrefix(h.b.hoverL.Text, "No picture:") {
		t.Errorf("hover says %q", h.b.hoverL.Text)
	}
	for _, x := range h.b.cat.shown {
		a, _ := h.b.cat.get(x)
		if c := h.b.cellByID[x]; c != nil && c.id == x && a.Status != store.StatusOK && (!c.badge.Visible() || c.badge.Text != badgeText(a.Status)) {
			t.Errorf("%s (%s) has no badge", x.Short(), a.Status)
		}
	}
}

// The Health badge counts what the watcher's whole listing found, before
// the Health view is ever opened: the 7 attachments that are not ok and the
// 9 stray paths of the messy fixture.
func TestHealthBadgeFromTheFirstScan(t *testing.T) {
	dir := fixture.Copy(t, "messy")
	h := newHarness(t, dir)
	h.loaded()
	if got := h.b.ed.healthBtn.Text; got != "Health" {
		t.Errorf("badge before any whole listing: %q", got)
	}
	res, err := store.New(dir).Scan(context.Background(), store.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.live.send(t, change{Full: true, Listing: res.Attachments, Findings: res.Findings})
	h.settle(func() bool { return true })
	if got := h.b.ed.healthBtn.Text; got != "Health · 16" {
		t.Errorf("badge %q, want %q", got, "Health · 16")
	}
	// Repaired by hand: the next whole listing clears the badge.
	h.live.send(t, change{Full: true})
	h.settle(func() bool { return true })
	if got := h.b.ed.healthBtn.Text; got != "Health" {
		t.Errorf("badge on an empty listing: %q", got)
	}
}
