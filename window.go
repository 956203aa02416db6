package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"lashview/ui/fynecache" // first: bounds Fyne's texture cache (see its doc)
	_ "lashview/ui/locale"  // first: keeps Fyne quiet about the C locale (see its doc)

	"lashview/ui"
	"lashview/ui/desktop"
)

// runWindow opens the window on the store named by --store, else the last
// one used, else the default store.
//
// LASHVIEW_PROBE=first|scroll|empty (with LASHVIEW_PROBE_START, the Unix
// time in nanoseconds the harness started the process) makes the window
// report its benchmark measurements on stderr; see ui.Probe.
func runWindow(args []string, env *cliEnv) int {
	fynecache.Unsetenv()
	fs, dir := newFlags("", env)
	if _, ok := parseFlags(fs, args); !ok {
		return exitUsage
	}
	cfg := ui.Config{DefaultStore: defaultStore()}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "store" {
			cfg.StoreDir = *dir
		}
	})
	report := func(s string) { fmt.Fprintln(env.stderr, "lashview probe:", s) }
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
		fmt.Fprintf(env.stderr, "lashview: LASHVIEW_PROBE=%q is not first, scroll or empty\n", mode)
		return exitUsage
	}
	desktop.Run(cfg)
	return exitOK
}
