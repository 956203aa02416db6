package ui

import (
	"fmt"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"golang.org/x/sys/unix"
)

// FrameTimer times frames of the real window for the benchmark probe, as a
// person sees them.
//
// Fyne's desktop driver draws on one goroutine, in a loop: at each tick of
// a 60 Hz ticker it polls input, ticks the running animations, then lays out
// and paints every window that changed and swaps its buffers; between ticks
// it runs what fyne.Do queued (here: thumbnails arriving). The timer runs as
// a Fyne animation, so each Step (the probe's scroll) happens where a wheel
// event would, just before the paint of the same tick.
//
// A frame starts at its Step and ends when the loop goroutine is free again
// after painting it: when a marker queued with fyne.Do at the Step runs, or
// when the next tick starts, whichever comes first (after a late frame the
// next tick is already due and the loop's select may take it before the
// marker). A frame's time is therefore the scroll, the cell binding and
// layout it causes, the paint and buffer swap, and any UI work queued
// before the marker: everything that keeps the next frame from coming.
// The gap between two ticks is how often a new frame reaches the screen; it
// cannot be shorter than the ticker's 16.7 ms.
//
// Wall-clock frame times include the time other processes held the CPU
// (the benchmark machine has 2 cores, often shared). The driver's loop
// runs on the process's main thread (it locks it for GLFW), so the CPU
// time that thread spent in a frame (CLOCK_THREAD_CPUTIME_ID) is also
// kept: what the frame cost, whatever the load.
type FrameTimer struct {
	// Step runs at the start of each frame, on the UI goroutine; it returns
	// false to stop (that frame is not counted).
	Step func() bool
	// Done receives the figures once Step has returned false.
	Done func(FrameStats)

	frames, gaps, cpu []time.Duration
	start, last       time.Time // start is zero between frames
	startCPU          time.Duration
	anim              *fyne.Animation
}

// FrameStats are the frame times and the gaps between frames of a run.
type FrameStats struct {
	Frames, Gaps []time.Duration
	CPU          []time.Duration // the UI thread's CPU time in each frame
}

// Start begins stepping at the next frame. Call it on the UI goroutine.
func (t *FrameTimer) Start() {
	t.anim = fyne.NewAnimation(time.Hour, t.tick)
	t.anim.RepeatCount = fyne.AnimationRepeatForever
	t.anim.Start()
}

func (t *FrameTimer) tick(float32) {
	now := time.Now()
	t.end(now)
	if !t.last.IsZero() {
		t.gaps = append(t.gaps, now.Sub(t.last))
	}
	t.last = now
	if !t.Step() {
		t.anim.Stop()
		t.Done(FrameStats{Frames: t.frames, Gaps: t.gaps, CPU: t.cpu})
		return
	}
	t.start, t.startCPU = now, threadCPU()
	fyne.Do(func() { t.end(time.Now()) })
}

// end closes the frame in progress, if any.
func (t *FrameTimer) end(now time.Time) {
	if t.start.IsZero() {
		return
	}
	t.frames = append(t.frames, now.Sub(t.start))
	t.cpu = append(t.cpu, threadCPU()-t.startCPU)
	t.start = time.Time{}
}

// threadCPU is the CPU time the calling thread has used.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// quantiles returns the median, the 95th percentile and the largest of ds.
func quantiles(ds []time.Duration) (median, p95, worst time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.5), at(0.95), s[len(s)-1]
}

// String says the figures in one line, in milliseconds, for the harness to
// read: "N frames: median M ms, p95 P ms, worst W ms; gaps between
// frames: …; UI thread CPU a frame: …".
func (s FrameStats) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }
	fm, fp, fw := quantiles(s.Frames)
	gm, gp, gw := quantiles(s.Gaps)
	cm, cp, cw := quantiles(s.CPU)
	return fmt.Sprintf("%d frames: median %s ms, p95 %s ms, worst %s ms; gaps between frames: median %s ms, p95 %s ms, worst %s ms; UI thread CPU a frame: median %s ms, p95 %s ms, worst %s ms",
		len(s.Frames), ms(fm), ms(fp), ms(fw), ms(gm), ms(gp), ms(gw), ms(cm), ms(cp), ms(cw))
}
