// Package desktop opens lashview's window with Fyne's desktop (GLFW)
// driver. It is the only package that needs cgo and a display; package ui
// is tested without either through Fyne's test driver.
package desktop

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"fyne.io/fyne/v2"

	"fyne.io/fyne/v2/app"
	"github.com/adrg/xdg"

	"lashview/ui"
)

// memoryLimit is the Go heap's soft limit in the window.
const memoryLimit = 192 << 20

// Run opens the window and returns when it is closed.
func Run(cfg ui.Config) {
	// Scrolling a large store decodes thumbnails from disk at a high rate:
	// short-lived garbage that, at the default GC pace, lets the heap grow to
	// twice what is live. A soft limit makes the collector work harder
	// before the window gets heavy (GOMEMLIMIT, when set, wins).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	a := app.NewWithID(ui.AppID)
	a.SetIcon(ui.Icon)
	if cfg.DemoDir == "" {
		cfg.DemoDir = filepath.Join(xdg.DataHome, "lashview", "demo-store")
	}
	w := a.NewWindow("lashview")
	w.SetIcon(ui.Icon)
	b := ui.New(a, w, cfg)
	w.SetOnClosed(b.Close)
	w.SetMaster()
	a.Lifecycle().SetOnStopped(b.Close)
	// GLFW names the X11 window class after the title the window has when
	// it is created: keep that "lashview", so desktops match the window to
	// the .desktop entry (StartupWMClass) and its icon, and show the store
	// and count once the window exists.
	w.SetTitle("lashview")
	a.Lifecycle().SetOnStarted(b.ShowTitle)
	w.ShowAndRun()
}

// RunEmpty opens an empty window of the same size and reports the peak
// memory after a few seconds: the baseline the benchmark compares with.
func RunEmpty(report func(string)) {
	a := app.NewWithID(ui.AppID + ".bench")
	w := a.NewWindow("lashview (empty)")
	w.Resize(fyne.NewSize(1100, 720))
	go func() {
		time.Sleep(3 * time.Second)
		rss, err := ui.PeakRSS()
		fyne.Do(func() {
			if err != nil {
				report("peak RSS: " + err.Error())
			} else {
				report(fmt.Sprintf("empty Fyne window: peak RSS %d MB", rss>>20))
			}
			a.Quit()
		})
	}()
	w.ShowAndRun()
}
