package ui

import (
	"testing"
	"time"
)

// A cell that comes into view with a new attachment shows no label in the
// frame being made; its label follows once the cell has shown it for a
// while (labelDelay). A cell bound again before that shows only the label
// of what it shows now, and binding a cell to what it already shows keeps
// its label.
func TestCellLabelFollowsTheFrame(t *testing.T) {
	dir, newest := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	c := h.b.cellByID[newest[0]]
	if c == nil || c.id != newest[0] {
		t.Fatal("no cell shows the newest attachment")
	}
	want := func(i int) string {
		return h.b.labels.fit(oneLine(h.b.cat.displayLabel(newest[i])), c.labelWidth(c.Size().Width), c.label.TextSize)
	}
	if c.label.Text != want(0) || c.label.Text == "" {
		t.Fatalf("settled cell label %q, want %q", c.label.Text, want(0))
	}

	c.bind(newest[0]) // the same attachment: a refresh, not a new cell
	if c.label.Text != want(0) {
		t.Fatalf("rebinding the same attachment changed the label to %q", c.label.Text)
	}

	c.bind(newest[1])
	if c.label.Text != "" || c.fullLabel != "" {
		t.Fatalf("a newly bound cell shows label %q (full %q) in the frame it comes into view", c.label.Text, c.fullLabel)
	}
	c.bind(newest[2]) // scrolled on before the label came
	if c.label.Text != "" {
		t.Fatalf("label %q at once", c.label.Text)
	}
	if n := len(h.b.grid.labelsDue); n != 1 {
		t.Fatalf("%d labels due for one cell", n)
	}
	h.settle(func() bool { return c.label.Text != "" })
	if c.label.Text != want(2) || c.fullLabel != oneLine(h.b.cat.displayLabel(newest[2])) {
		t.Errorf("after the frame the label is %q, want %q", c.label.Text, want(2))
	}
	if len(h.b.grid.labelsDue) != 0 || c.labelDue {
		t.Error("labels still due after the queue ran")
	}
}

// The frame timer's quantiles are the median, the 95th percentile and the
// largest.
func TestFrameQuantiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	m, p, w := quantiles(ds)
	if m != 51*time.Millisecond || p != 96*time.Millisecond || w != 100*time.Millisecond {
		t.Errorf("quantiles %v %v %v, want 51ms 96ms 100ms", m, p, w)
	}
	if m, p, w := quantiles(nil); m != 0 || p != 0 || w != 0 {
		t.Errorf("quantiles of nothing %v %v %v", m, p, w)
	}
	if ds[0] != 100*time.Millisecond {
		t.Error("quantiles sorted the caller's slice")
	}
}
