package ui

import "fyne.io/fyne/v2"

// The preference keys lashview keeps between runs.
const (
	prefLastStore    = "store.last"
	prefWindowWidth  = "window.width"
	prefWindowHeight = "window.height"
	prefSort         = "grid.sort"
	prefThumbSize    = "grid.thumbSize"
	// prefConfirmTrash asks before moving to the Trash (on by default;
	// undo makes it safe to switch off).
	prefConfirmTrash = "trash.confirm"
)

// Thumbnail cell sizes, in device-independent pixels.
const (
	minThumb     = 64
	maxThumb     = 384
	defaultThumb = 160
	thumbStep    = 32
)

// prefs reads and writes lashview's remembered settings.
type prefs struct{ p fyne.Preferences }

func (p prefs) lastStore() string { return p.p.String(prefLastStore) }

func (p prefs) setLastStore(dir string) { p.p.SetString(prefLastStore, dir) }

func (p prefs) windowSize() fyne.Size {
	return fyne.NewSize(float32(p.p.Float(prefWindowWidth)), float32(p.p.Float(prefWindowHeight)))
}

func (p prefs) setWindowSize(s fyne.Size) {
	if s.Width < 200 || s.Height < 150 {
		return // a window being torn down reports nonsense; keep the last good size
	}
	p.p.SetFloat(prefWindowWidth, float64(s.Width))
	p.p.SetFloat(prefWindowHeight, float64(s.Height))
}

func (p prefs) sortOrder() sortOrder { return parseSortOrder(p.p.String(prefSort)) }

func (p prefs) setSortOrder(o sortOrder) { p.p.SetString(prefSort, o.String()) }

func (p prefs) thumbSize() float32 {
	return clampThumb(float32(p.p.FloatWithFallback(prefThumbSize, defaultThumb)))
}

func (p prefs) setThumbSize(s float32) { p.p.SetFloat(prefThumbSize, float64(s)) }

func (p prefs) confirmTrash() bool { return p.p.BoolWithFallback(prefConfirmTrash, true) }

func (p prefs) setConfirmTrash(on bool) { p.p.SetBool(prefConfirmTrash, on) }

func clampThumb(s float32) float32 {
	return min(max(s, minThumb), maxThumb)
}
