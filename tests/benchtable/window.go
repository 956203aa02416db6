package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// windowBench measures the real window under Xvfb on generated stores with
// a warm thumbnail cache: the time to the first screen of thumbnails when
// the store is opened the first time, warm, and with the page cache
// dropped (cold, as after a reboot), for 10,000 attachments and for n; the
// peak RSS after scrolling the store of n top to bottom; and the frame
// times while scrolling it one and three screens a frame, beside the peak
// RSS and the frame period of an empty Fyne window measured in the same
// run.
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
	// The go command that writes the stores keeps the caller's module and
	// build caches: a fresh HOME would download and compile everything.
	for _, v := range []string{"GOMODCACHE", "GOCACHE"} {
		if out, err := exec.Command("go", "env", v).Output(); err == nil && len(bytes.TrimSpace(out)) > 0 {
			env = append(env, v+"="+string(bytes.TrimSpace(out)))
		}
	}
	sizes := []int{n}
	if n > 10_000 {
		sizes = []int{10_000, n}
	}
	stores := map[int]string{}
	for _, k := range sizes {
		storeDir := filepath.Join(work, "store-"+strconv.Itoa(k))
		stores[k] = storeDir
		fmt.Printf("window: writing %d attachments and their thumbnails\n", k)
		gen := exec.Command("go", "test", "-count=1", "-timeout", "60m", "-run", "^TestMakeBenchStore$", "./ui/")
		// With lash's sessions beside it (issue 14): 200 databases that
		// reference every attachment, read after the first screen.
		gen.Env = append(env, "LASHVIEW_BENCH_STORE="+storeDir, "LASHVIEW_BENCH_N="+strconv.Itoa(k), "LASHVIEW_BENCH_SESSIONS=200")
		if out, err := gen.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("generating the store: %v %s", err, out)
		}
	}
	display := ":" + strconv.Itoa(90+os.Getpid()%50)
	xvfb := exec.Command("Xvfb", display, "-screen", "0", "1280x800x24", "-noreset", "-nolisten", "tcp")
	if err := xvfb.Start(); err != nil {
		return nil, err
	}
	defer func() { xvfb.Process.Kill(); xvfb.Wait() }()
	time.Sleep(time.Second)
	env = append(env, "DISPLAY="+display)
	// probe runs the window in a probe mode and returns what it reports;
	// with until, it ends the window once a report contains until.
	probe := func(mode, until string, args ...string) ([]string, error) {
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
		killed := false
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "lashview probe: "); ok {
				fmt.Println("window:", l)
				lines = append(lines, l)
				if until != "" && strings.Contains(l, until) && !killed {
					killed = true
					cmd.Process.Kill()
				}
			}
		}
		err = cmd.Wait()
		if killed {
			err = nil
		}
		return lines, err
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
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	ratio := func(a, b float64) string { return strconv.FormatFloat(a/b, 'f', 2, 64) }
	var results []result
	for _, k := range sizes {
		// Each run lasts until the listing has finished, so what it leaves
		// in the cache (the thumbnails, a listing index) is complete.
		firstScreen := func(what string) (float64, float64, error) {
			lines, err := probe("first", "listing finished", "--store", stores[k])
			if err != nil {
				return 0, 0, fmt.Errorf("%s first screen of %d: %v", what, k, err)
			}
			first, ok1 := num(lines, `first screen of thumbnails: (\d+) ms`)
			listed, ok2 := num(lines, `listing finished: (\d+) ms`)
			if !ok1 || !ok2 {
				return 0, 0, fmt.Errorf("%s first screen of %d: the probe did not report every figure: %q", what, k, lines)
			}
			return first, listed, nil
		}
		opened, _, err := firstScreen("first-open")
		if err != nil {
			return nil, err
		}
		warm, warmListed, err := firstScreen("warm")
		if err != nil {
			return nil, err
		}
		name := "BenchmarkWindowFirstScreen/" + strconv.Itoa(k)
		results = append(results, result{name: name + "/warm", metrics: [][2]string{
			{f(warm), "ms-to-first-screen"}, {f(warmListed), "ms-to-listing-finished"}, {f(opened), "ms-first-open-first-screen"}, {strconv.Itoa(k), "attachments"}}})
		if derr := dropPageCache(); derr != nil {
			results = append(results, result{name: name + "/cold", metrics: [][2]string{{"not", "measured: " + derr.Error()}}})
			continue
		}
		cold, coldListed, err := firstScreen("cold")
		if err != nil {
			return nil, err
		}
		// The same without the listing index (issue 16), as the window
		// started before it had one: what the index saves.
		listing := filepath.Join(work, "cache", "lashview", "listing")
		kept := listing + ".kept"
		if err := os.Rename(listing, kept); err != nil {
			return nil, fmt.Errorf("setting the listing index aside: %v", err)
		}
		if err := dropPageCache(); err != nil {
			return nil, err
		}
		bare, _, err := firstScreen("cold, without the listing index,")
		if err != nil {
			return nil, err
		}
		if err := os.RemoveAll(listing); err != nil {
			return nil, err
		}
		if err := os.Rename(kept, listing); err != nil {
			return nil, err
		}
		// The baseline: a plain walk that stats every file of the store
		// from a dropped page cache, what any listing of it must pay once.
		if derr := dropPageCache(); derr != nil {
			return nil, derr
		}
		walkStart := time.Now()
		files := 0
		werr := filepath.WalkDir(stores[k], func(_ string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if _, err := d.Info(); err != nil {
				return err
			}
			files++
			return nil
		})
		if werr != nil {
			return nil, fmt.Errorf("cold walk of %s: %v", stores[k], werr)
		}
		walk := float64(time.Since(walkStart).Microseconds()) / 1000
		results = append(results, result{name: name + "/cold", metrics: [][2]string{
			{ratio(cold, walk), "ratio_time_cold_first_screen_over_cold_walk"}, {ratio(cold, warm), "ratio_time_cold_over_warm"},
			{ratio(cold, bare), "ratio_time_over_cold_without_index"},
			{f(cold), "ms-to-first-screen"}, {f(bare), "ms-to-first-screen-without-index"}, {f(coldListed), "ms-to-listing-finished"}, {strconv.FormatFloat(walk, 'f', 0, 64), "ms-cold-stat-walk"},
			{strconv.Itoa(files), "files-walked"}, {strconv.Itoa(k), "attachments"}}})
	}
	empty, err := probe("empty", "")
	if err != nil {
		return nil, fmt.Errorf("empty window: %v", err)
	}
	one, err := probe("scroll1", "", "--store", stores[n])
	if err != nil {
		return nil, fmt.Errorf("window on the store, one screen a frame: %v", err)
	}
	full, err := probe("scroll", "", "--store", stores[n])
	if err != nil {
		return nil, fmt.Errorf("window on the store: %v", err)
	}
	emptyRSS, ok1 := num(empty, `peak RSS (\d+) MB`)
	emptyGap, ok2 := num(empty, `gaps between frames: median ([\d.]+) ms`)
	emptyFrame, ok3 := num(empty, `frames: median ([\d.]+) ms`)
	scrollRSS, ok4 := num(full, `scrolled .* peak RSS (\d+) MB`)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, fmt.Errorf("the probe did not report every figure: %q %q", empty, full)
	}
	results = append(results,
		result{name: "BenchmarkWindowScrollPeakRSS", metrics: [][2]string{{strconv.FormatFloat(scrollRSS/emptyRSS, 'f', 2, 64), "x-empty-window-RSS"}, {f(scrollRSS), "peak-RSS-MB"}, {f(emptyRSS), "empty-window-peak-RSS-MB"}, {strconv.Itoa(n), "attachments"}}},
	)
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
		results = append(results, result{name: run.name, metrics: [][2]string{
			{r2(med / emptyGap), "ratio_time_median_frame_to_empty_window_period"},
			{r2(p95 / (2 * emptyGap)), "ratio_time_p95_frame_to_2_periods"},
			{f(med), "median-ms"}, {f(p95), "p95-ms"}, {f(worst), "worst-ms"}, {f(frames), "frames"},
			{f(gap), "median-gap-ms"}, {f(gap95), "p95-gap-ms"},
			{f(uiCPU), "median-UI-thread-CPU-ms"}, {f(uiCPU95), "p95-UI-thread-CPU-ms"}, {f(procCPU), "process-CPU-ms-a-frame"},
			{f(shown), "%-cells-with-thumbnail"},
			{f(rss), "peak-RSS-MB"}, {f(emptyGap), "empty-window-period-ms"}, {f(emptyFrame), "empty-window-median-frame-ms"},
		}})
	}
	return results, nil
}

// dropPageCache empties the kernel's page, dentry and inode caches, as a
// reboot does; it needs root, and says why when it cannot.
func dropPageCache() error {
	exec.Command("sync").Run()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0); err != nil {
		return fmt.Errorf("cannot drop the page cache (it needs root): %v", err)
	}
	return nil
}
