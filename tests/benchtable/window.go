package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// windowBench measures the real window under Xvfb on a generated store of n
// attachments with a warm thumbnail cache: the time to the first screen of
// thumbnails, the peak RSS after scrolling top to bottom, and the frame
// times while scrolling one and three screens a frame, beside the peak RSS
// and the frame period of an empty Fyne window measured in the same run.
func windowBench(n int) ([]result, error) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		//lint:ignore ST1005 Xvfb is a program's name
		return nil, fmt.Errorf("Xvfb is not installed")
	}
	work, err := os.MkdirTemp("", "lashview-winbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "lashview")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v %s", err, out)
	}
	env := append(os.Environ(), "HOME="+work, "XDG_CACHE_HOME="+filepath.Join(work, "cache"),
		"XDG_CONFIG_HOME="+filepath.Join(work, "config"), "XDG_DATA_HOME="+filepath.Join(work, "data"))
	storeDir := filepath.Join(work, "store")
	fmt.Printf("window: writing %d attachments and their thumbnails\n", n)
	gen := exec.Command("go", "test", "-count=1", "-timeout", "60m", "-run", "^TestMakeBenchStore$", "./ui/")
	// With lash's sessions beside it (issue 14): 200 databases that
	// reference every attachment, read after the first screen.
	gen.Env = append(env, "LASHVIEW_BENCH_STORE="+storeDir, "LASHVIEW_BENCH_N="+strconv.Itoa(n), "LASHVIEW_BENCH_SESSIONS=200")
	if out, err := gen.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("generating the store: %v %s", err, out)
	}
	display := ":" + strconv.Itoa(90+os.Getpid()%50)
	xvfb := exec.Command("Xvfb", display, "-screen", "0", "1280x800x24", "-noreset", "-nolisten", "tcp")
	if err := xvfb.Start(); err != nil {
		return nil, err
	}
	defer func() { xvfb.Process.Kill(); xvfb.Wait() }()
	time.Sleep(time.Second)
	env = append(env, "DISPLAY="+display)
	probe := func(mode string, args ...string) ([]string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(env, "LASHVIEW_PROBE="+mode, "LASHVIEW_PROBE_START="+strconv.FormatInt(time.Now().UnixNano(), 10))
		stderr, err := cmd.StderrPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		var lines []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "lashview probe: "); ok {
				fmt.Println("window:", l)
				lines = append(lines, l)
			}
		}
		return lines, cmd.Wait()
	}
	empty, err := probe("empty")
	if err != nil {
		return nil, fmt.Errorf("empty window: %v", err)
	}
	one, err := probe("scroll1", "--store", storeDir)
	if err != nil {
		return nil, fmt.Errorf("window on the store, one screen a frame: %v", err)
	}
	full, err := probe("scroll", "--store", storeDir)
	if err != nil {
		return nil, fmt.Errorf("window on the store: %v", err)
	}
	num := func(lines []string, re string) (float64, bool) {
		r := regexp.MustCompile(re)
		for _, l := range lines {
			if m := r.FindStringSubmatch(l); m != nil {
				v, err := strconv.ParseFloat(m[1], 64)
				return v, err == nil
			}
		}
		return 0, false
	}
	emptyRSS, ok1 := num(empty, `peak RSS (\d+) MB`)
	emptyGap, ok2 := num(empty, `gaps between frames: median ([\d.]+) ms`)
	emptyFrame, ok3 := num(empty, `frames: median ([\d.]+) ms`)
	first, ok4 := num(full, `first screen of thumbnails: (\d+) ms`)
	scrollRSS, ok5 := num(full, `scrolled .* peak RSS (\d+) MB`)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return nil, fmt.Errorf("the probe did not report every figure: %q %q", empty, full)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	rs := []result{
		{name: "BenchmarkWindowFirstScreen", metrics: [][2]string{{f(first), "ms-to-first-screen"}, {strconv.Itoa(n), "attachments"}}},
		{name: "BenchmarkWindowScrollPeakRSS", metrics: [][2]string{{strconv.FormatFloat(scrollRSS/emptyRSS, 'f', 2, 64), "x-empty-window-RSS"}, {f(scrollRSS), "peak-RSS-MB"}, {f(emptyRSS), "empty-window-peak-RSS-MB"}}},
	}
	// Frame times (issue 16), against the empty window's frame period in
	// the same run: what the driver's ticker gives a window that repaints
	// every frame, about 16.7 ms.
	for _, run := range []struct {
		name  string
		lines []string
	}{{"BenchmarkWindowFrames/1-screen", one}, {"BenchmarkWindowFrames/3-screens", full}} {
		med, ok1 := num(run.lines, `a frame: \d+ frames: median ([\d.]+) ms`)
		p95, ok2 := num(run.lines, `a frame: \d+ frames: .*?p95 ([\d.]+) ms`)
		worst, ok3 := num(run.lines, `a frame: \d+ frames: .*?worst ([\d.]+) ms`)
		frames, ok4 := num(run.lines, `a frame: (\d+) frames`)
		gap, ok5 := num(run.lines, `gaps between frames: median ([\d.]+) ms`)
		gap95, ok6 := num(run.lines, `gaps between frames: .*?p95 ([\d.]+) ms`)
		shown, ok7 := num(run.lines, `a frame: ([\d.]+)% of the cells`)
		rss, ok8 := num(run.lines, `scrolled .* peak RSS (\d+) MB`)
		uiCPU, ok9 := num(run.lines, `UI thread CPU a frame: median ([\d.]+) ms`)
		uiCPU95, ok10 := num(run.lines, `UI thread CPU a frame: .*?p95 ([\d.]+) ms`)
		procCPU, ok11 := num(run.lines, `process CPU ([\d.]+) ms a frame`)
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 || !ok8 || !ok9 || !ok10 || !ok11 {
			return nil, fmt.Errorf("the probe did not report every frame figure: %q", run.lines)
		}
		r2 := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
		rs = append(rs, result{name: run.name, metrics: [][2]string{
			{r2(med / emptyGap), "ratio_time_median_frame_to_empty_window_period"},
			{r2(p95 / (2 * emptyGap)), "ratio_time_p95_frame_to_2_periods"},
			{f(med), "median-ms"}, {f(p95), "p95-ms"}, {f(worst), "worst-ms"}, {f(frames), "frames"},
			{f(gap), "median-gap-ms"}, {f(gap95), "p95-gap-ms"},
			{f(uiCPU), "median-UI-thread-CPU-ms"}, {f(uiCPU95), "p95-UI-thread-CPU-ms"}, {f(procCPU), "process-CPU-ms-a-frame"},
			{f(shown), "%-cells-with-thumbnail"},
			{f(rss), "peak-RSS-MB"}, {f(emptyGap), "empty-window-period-ms"}, {f(emptyFrame), "empty-window-median-frame-ms"},
		}})
	}
	return rs, nil
}
