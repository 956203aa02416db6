package main

import (
	"fmt"
	"os"
	"path/filepath"
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
// LASHVIEW_PROBE=first|scroll|empty (with LASHVIEW_PROBE_START, the Unix
// time in nanoseconds the harness started the process) makes the window
// report its benchmark measurements on stderr; see ui.Probe.
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
	case "first", "scroll":
		start := time.Now()
		if ns, err := strconv.ParseInt(os.Getenv("LASHVIEW_PROBE_START"), 10, 64); err == nil {
			start = time.Unix(0, ns)
		}
		cfg.Probe = &ui.Probe{Start: start, Scroll: mode == "scroll", Report: report}
	default:
		fmt.Fprintf(os.Stderr, "lashview: LASHVIEW_PROBE=%q is not first, scroll or empty\n", mode)
		return exitUsage
	}
	desktop.Run(cfg)
	return exitOK
}
