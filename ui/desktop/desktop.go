// Package desktop opens lashview's window with Fyne's desktop (GLFW)
// driver. It is the only package that needs cgo and a display; package ui
// is tested without either through Fyne's test driver.
package desktop

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"fyne.io/fyne/v2/app"
	"github.com/adrg/xdg"

	"lashview/ui"
)

// memoryLimit is the Go heap's soft limit in the window, and headroom how
// much garbage it leaves room for above the live heap when that grows
// near it. Scrolling 100,000 attachments allocates about 10 MB a second
// (thumbnails read back), so 48 MB of room is a collection every few
// seconds: the same process CPU a frame as 64 MB had, 16 MB less resident
// (issue 16).
const (
	memoryLimit = 128 << 20
	headroom    = 48 << 20
)

// Run opens the window and returns when it is closed.
func Run(cfg ui.Config) {
	// Scrolling a large store decodes thumbnails from disk at a high rate:
	// short-lived garbage that, at the default GC pace, lets the heap grow to
	// twice what is live. A soft limit makes the collector work harder
	// before the window gets heavy (GOMEMLIMIT, when set, wins).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
		stop := make(chan struct{})
		defer close(stop)
		go followLiveHeap(stop)
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

// followLiveHeap keeps the soft memory limit headroom above the live heap
// until stop is closed. A limit at or under the live heap makes the
// collector run back to back: with 100,000 attachments and lash's sessions
// beside them about 190 MB was live under a fixed 192 MB limit (about
// 125 MB is now), and scrolling spent two thirds of the process's CPU
// marking it again every few megabytes of thumbnails.
func followLiveHeap(stop <-chan struct{}) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return // the runtime no longer says
		}
		debug.SetMemoryLimit(memoryLimitFor(sample[0].Value.Uint64()))
	}
}

// memoryLimitFor is the soft limit for a live heap of live bytes.
func memoryLimitFor(live uint64) int64 {
	return max(memoryLimit, int64(live)+headroom)
}

// RunEmpty opens an empty window of the same size, times frames that each
// repaint the whole window (a rectangle of a new colour; see
// ui.FrameTimer), and reports them and the peak memory: the baselines the
// benchmark compares with.
func RunEmpty(report func(string)) {
	a := app.NewWithID(ui.AppID + ".bench")
	w := a.NewWindow("lashview (empty)")
	w.Resize(fyne.NewSize(1100, 720))
	bg := canvas.NewRectangle(color.Gray{Y: 0x80})
	w.SetContent(bg)
	const frames = 300
	n := 0
	t := &ui.FrameTimer{
		Step: func() bool {
			n++
			bg.FillColor = color.Gray{Y: uint8(0x60 + n%2*0x40)}
			bg.Refresh()
			return n <= frames
		},
		Done: func(s ui.FrameStats) {
			report("empty Fyne window, a repaint a frame: " + s.String())
			rss, err := ui.PeakRSS()
			if err != nil {
				report("peak RSS: " + err.Error())
			} else {
				report(fmt.Sprintf("empty Fyne window: peak RSS %d MB", rss>>20))
			}
			a.Quit()
		},
	}
	go func() {
		time.Sleep(3 * time.Second)
		fyne.Do(t.Start)
	}()
	w.ShowAndRun()
}
