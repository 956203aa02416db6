package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// The grid's labels are shortened by adding up rune widths; the real,
// shaped width of what it returns must still fit, and what fits must be
// left alone.
func TestLabelFitterNeverOverflows(t *testing.T) {
	test.NewTempApp(t)
	size := theme.TextSize()
	var f labelFitter
	labels := []string{
		"IMG_0001.JPG", "Screenshot 2024-05-17 at 09.41.13 (second monitor).png",
		"Ünïcødé façade — 大きな写真 with a long tail", "שלום مرحبا 👋🏽 (RTL + emoji)",
		"WWWWWWWWWWWWWWWWWWWWWWWWWWWW", "iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii",
		"AVAVAVAVAVAVAVAVAVAVAVAVAV To Ta Yo fi fl ffi", "a", "",
	}
	for _, width := range []float32{40, 90, 143, 200, 400} {
		for _, s := range labels {
			got := f.fit(s, width, size)
			full := fyne.MeasureText(s, size, fyne.TextStyle{}).Width
			if full <= width*0.98 && got != s {
				t.Errorf("fit(%q, %v) = %q; it fits whole (%.1f wide)", s, width, got, full)
			}
			if got == s {
				continue
			}
			if !strings.HasSuffix(got, "…") || !strings.HasPrefix(s, strings.TrimSuffix(got, "…")) {
				t.Errorf("fit(%q, %v) = %q; want a start of it and an ellipsis", s, width, got)
			}
			if w := fyne.MeasureText(got, size, fyne.TextStyle{}).Width; w > width {
				t.Errorf("fit(%q, %v) = %q, %.1f wide: it overflows", s, width, got, w)
			}
		}
	}
	// A new text size measures again.
	small := f.fit(labels[1], 143, size)
	if big := f.fit(labels[1], 143, 2*size); len(big) >= len(small) {
		t.Errorf("at twice the size the label keeps %d bytes, at the normal size %d", len(big), len(small))
	}
}
