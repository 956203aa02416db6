package ui

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"lashview/internal/format"
)

// thousands writes n with comma separators: 1234567 → "1,234,567".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// humanBytes is a size in binary units, as the command line shows it too.
func humanBytes(n int64) string { return format.Bytes(n) }

// tildePath shortens a path inside the home folder to ~/…, as a person
// would write it in a title.
func tildePath(p string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || home == "/" {
		return p
	}
	if p == home {
		return "~"
	}
	if rel, err := filepath.Rel(home, p); err == nil && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) {
		return "~" + string(filepath.Separator) + rel
	}
	return p
}

// oneLine makes a label fit a single line of a cell, as the command line
// shows it too.
func oneLine(s string) string { return format.OneLine(s) }
