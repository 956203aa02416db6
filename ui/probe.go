package ui

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Probe measures the window for the benchmark harness: the time from the
// process's start to the first screen of thumbnails drawn, and the peak
// memory after scrolling the whole grid from top to bottom.
type Probe struct {
	// Start is when the process started.
	Start time.Time
	// ScrollScreens, when not 0, scrolls the grid down that many screens
	// per frame from the top once the listing has ended, timing each frame
	// (see FrameTimer), then reports the frame times and the peak resident
	// memory and quits.
	ScrollScreens int
	// Report receives one line per measurement.
	Report func(string)

	firstDone bool
}

// PeakRSS is the process's peak resident memory (VmHWM), in bytes.
func PeakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb); err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

// processCPU is the CPU time every thread of the process has used.
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// goMemory says how much of the memory is Go's heap, for the reports.
func goMemory() string {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return fmt.Sprintf("Go heap %d MB in use, %d MB from the OS", m.HeapInuse>>20, m.Sys>>20)
}

// screenDrawn reports whether every cell on screen shows its thumbnail (or
// its broken-image mark).
func (b *Browser) screenDrawn() bool {
	first, n := b.grid.visibleRange()
	if len(b.cat.shown) == 0 || b.grid.Size().Height == 0 {
		return false
	}
	for i := first; i < first+n && i < len(b.cat.shown); i++ {
		c := b.cellByID[b.cat.shown[i]]
		if c == nil || c.id != b.cat.shown[i] {
			continue // below the fold: GridWrap made no cell for it
		}
		if !c.drawn() {
			return false
		}
	}
	return true
}

// probeCheck runs after thumbnails arrive: it reports the first full
// screen, and drives the scroll when asked to.
func (b *Browser) probeCheck() {
	p := b.cfg.Probe
	if p == nil || !b.screenDrawn() {
		return
	}
	if !p.firstDone {
		p.firstDone = true
		// The cells are filled; the frame that draws them comes next.
		b.q.post(func() {
			rss, _ := PeakRSS()
			p.Report(fmt.Sprintf("first screen of thumbnails: %.0f ms after start (%s attachments known, peak RSS %d MB; %s)",
				float64(time.Since(p.Start).Microseconds())/1000, thousands(b.cat.total()), rss>>20, goMemory()))
		})
		if p.ScrollScreens > 0 {
			go b.probeScroll()
		}
	}
}

// probeScroll scrolls ScrollScreens screens per frame until the bottom of
// the grid, timing each frame, waits for the last screen's thumbnails, and
// reports the frame times and the peak memory.
func (b *Browser) probeScroll() {
	p := b.cfg.Probe
	// Wait for the listing to end, so the grid is the whole store.
	for {
		done := make(chan bool)
		b.q.post(func() { done <- !b.loading && b.live.Kind != LiveStarting })
		if <-done {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var stats FrameStats
	var shown, onScreen int // cells on screen at a frame's start, and how many of them showed their picture
	ended := make(chan struct{})
	var start time.Time
	t := &FrameTimer{
		Step: func() bool {
			first, n := b.grid.visibleRange()
			for i := first; i < first+n && i < len(b.cat.shown); i++ {
				if c := b.cellByID[b.cat.shown[i]]; c != nil && c.id == b.cat.shown[i] {
					onScreen++
					if c.drawn() {
						shown++
					}
				}
			}
			if first+n >= len(b.cat.shown) {
				return false
			}
			b.grid.ScrollToOffset(b.grid.GetScrollOffset() + float32(p.ScrollScreens)*b.grid.Size().Height)
			return true
		},
		Done: func(s FrameStats) {
			stats = s
			close(ended)
		},
	}
	var cpu0 time.Duration
	b.q.post(func() {
		start, cpu0 = time.Now(), processCPU()
		t.Start()
	})
	<-ended
	scrolled, cpu := time.Since(start), processCPU()-cpu0
	for {
		done := make(chan bool)
		b.q.post(func() { done <- b.screenDrawn() })
		if <-done {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	rss, err := PeakRSS()
	if err != nil {
		p.Report("peak RSS: " + err.Error())
		return
	}
	b.q.post(func() {
		p.Report(fmt.Sprintf("scrolling %d screens a frame: %s", p.ScrollScreens, stats))
		p.Report(fmt.Sprintf("scrolling %d screens a frame: process CPU %.2f ms a frame (every thread: UI, thumbnail workers, GL rasteriser, GC)",
			p.ScrollScreens, float64(cpu.Microseconds())/1000/float64(max(len(stats.Frames), 1))))
		p.Report(fmt.Sprintf("scrolling %d screens a frame: %.1f%% of the cells on screen at a frame's start showed their thumbnail", p.ScrollScreens, 100*float64(shown)/float64(max(onScreen, 1))))
		p.Report(fmt.Sprintf("scrolled %s attachments top to bottom, %d screens a frame, in %.1f s; peak RSS %d MB; %s", thousands(len(b.cat.shown)), p.ScrollScreens, scrolled.Seconds(), rss>>20, goMemory()))
		b.app.Quit()
	})
}
