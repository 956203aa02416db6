package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
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

// The status bar's left text gets the width it needs, up to three
// quarters of the bar, so the listing's progress at its end shows.
func TestStatusLayoutGivesTheStatusItsWidth(t *testing.T) {
	test.NewTempApp(t)
	left, right := widget.NewLabel(""), widget.NewLabel("a hover note")
	left.Truncation, right.Truncation = fyne.TextTruncateEllipsis, fyne.TextTruncateEllipsis
	l := &statusLayout{left: left}
	objs := []fyne.CanvasObject{left, right}
	for _, text := range []string{
		"~/.lash/attachments  ·  62,067 attachments  ·  8.5 MiB  ·  reading… 62%",
		strings.Repeat("a very long status ", 30),
	} {
		left.Text = text
		bar := fyne.NewSize(1000, 35)
		l.Layout(objs, bar)
		need := widget.NewLabel(text).MinSize().Width
		want := min(need+2*theme.InnerPadding(), bar.Width*3/4)
		if got := left.Size().Width; got != want {
			t.Errorf("%.40q…: the status gets %.0f of %.0f; want %.0f", text, got, bar.Width, want)
		}
		if right.Position().X < left.Size().Width || right.Position().X+right.Size().Width > bar.Width {
			t.Errorf("the hover note at %v, %v overlaps the status or leaves the bar", right.Position(), right.Size())
		}
	}
}
