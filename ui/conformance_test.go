package ui

import (
	"testing"

	"lashview/internal/storecases"
)

// TestConformance lists every case of the store conformance table in the
// window: its catalog must say of each attachment what the store's other
// readers say (the same table runs through Scan, Examine, ScanPrefix,
// HintPrefix and the watcher).
func TestConformance(t *testing.T) {
	for _, c := range storecases.Cases(t) {
		t.Run(c.Name, func(t *testing.T) {
			h := newHarness(t, c.Root)
			h.loaded()
			if n := h.b.cat.total(); n != len(c.Attachments) {
				t.Errorf("the window lists %d attachments, want %d", n, len(c.Attachments))
			}
			for id, w := range c.Attachments {
				a, ok := h.b.cat.get(id)
				if !ok {
					t.Errorf("%s: not listed", id.Short())
					continue
				}
				storecases.Check(t, "the window", a, w)
			}
		})
	}
}
