// Package format writes the numbers and labels lashview shows a person the
// same way in the window and on the command line: sizes in binary units
// (KiB, MiB: what file managers and du -h show), a label on one line, and
// intervals and how long ago something was.
// It imports no Fyne, so the command line can use it.
package format

import (
	"fmt"
	"strings"
	"time"
)

// Bytes is a size in binary units a person reads at a glance: "1 byte",
// "3 bytes", "12.4 KiB", "512 KiB", "1.1 GiB". Below 10 of a unit it keeps
// one decimal; above, the decimal would be noise.
func Bytes(n int64) string {
	if n < 1024 {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n)
	u := -1
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if v < 10 {
		return fmt.Sprintf("%.1f %s", v, units[u])
	}
	return fmt.Sprintf("%.0f %s", v, units[u])
}

// lineBreaks shows the characters that would break a line as visible marks.
var lineBreaks = strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\r", " ⏎ ", "\t", " ⇥ ")

// OneLine makes a label fit a single line (a grid cell, a table column):
// newlines and tabs, which labels may hold, become visible marks rather
// than breaking the layout.
func OneLine(s string) string {
	if !strings.ContainsAny(s, "\t\n\r") {
		return s
	}
	return lineBreaks.Replace(s)
}

// Interval writes a duration for a person: "3 s", "1.5 s", "2 min".
func Interval(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d >= time.Second && d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// Ago writes how long ago something was, d before now: "just now",
// "2 s ago", "3 min ago", "5 h ago".
func Ago(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", d/time.Minute)
	}
	return fmt.Sprintf("%d h ago", d/time.Hour)
}
