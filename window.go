package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"time"

	"lashview/ui/fynecache" // bounds Fyne's texture cache (see its doc)
	_ "lashview/ui/locale"  // keeps Fyne quiet about the C locale (see its doc)

	"lashview/internal/cli"
	"lashview/thumbs"
	"lashview/ui"
	"lashview/ui/desktop"
)

// Exit codes, as the command line's.
const (
	exitOK    = 0
	exitUsage = 2
)

// runWindow opens the window on the --store folder, else the last store
// used, else the default store, with lash's sessions at --sessions (else
// beside the store), and returns when it is closed.
//
// LASHVIEW_PROBE=first|scroll|scroll1|empty (with LASHVIEW_PROBE_START, the Unix
// time in nanoseconds the harness started the process) makes the window
// report its benchmark measurements on stderr; see ui.Probe. "scroll"
// scrolls three screens a frame, "scroll1" one. With a probe,
// LASHVIEW_CPUPROFILE=FILE writes a CPU profile of the run to FILE, and
// LASHVIEW_MEMPROFILE=FILE a heap profile when the window has closed.
func runWindow(args cli.WindowArgs) int {
	fynecache.Unsetenv()
	cfg := ui.Config{DefaultStore: cli.DefaultStore(), StoreDir: args.Store, Sessions: args.Sessions,
		ListingIndexDir: filepath.Join(filepath.Dir(thumbs.DefaultDir()), "listing")}
	report := func(s string) { fmt.Fprintln(os.Stderr, "lashview probe:", s) }
	switch mode := os.Getenv("LASHVIEW_PROBE"); mode {
	case "":
	case "empty":
		desktop.RunEmpty(report)
		return exitOK
	case "first", "scroll", "scroll1":
		start := time.Now()
		if ns, err := strconv.ParseInt(os.Getenv("LASHVIEW_PROBE_START"), 10, 64); err == nil {
			start = time.Unix(0, ns)
		}
		screens := map[string]int{"first": 0, "scroll": 3, "scroll1": 1}[mode]
		cfg.Probe = &ui.Probe{Start: start, ScrollScreens: screens, Report: report}
	default:
		fmt.Fprintf(os.Stderr, "lashview: LASHVIEW_PROBE=%q is not first, scroll, scroll1 or empty\n", mode)
		return exitUsage
	}
	if path := os.Getenv("LASHVIEW_CPUPROFILE"); path != "" && cfg.Probe != nil {
		stop, err := startCPUProfile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "lashview:", err)
			return exitUsage
		}
		defer stop()
	}
	desktop.Run(cfg)
	if path := os.Getenv("LASHVIEW_MEMPROFILE"); path != "" && cfg.Probe != nil {
		// As of the last collection, which a scroll of a large store
		// triggers often: what stays live while the window is in use.
		if err := writeHeapProfile(path); err != nil {
			fmt.Fprintln(os.Stderr, "lashview:", err)
		}
	}
	return exitOK
}

// writeHeapProfile writes the heap profile to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("heap profile %s: %w", path, err)
	}
	return f.Close()
}

// startCPUProfile profiles the process's CPU into path until stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("CPU profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
