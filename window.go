package main

import (
	"flag"

	_ "lashview/ui/locale" // first: keeps Fyne quiet about the C locale (see its doc)

	"lashview/ui"
	"lashview/ui/desktop"
)

// runWindow opens the window on the store named by --store, else the last
// one used, else the default store.
func runWindow(args []string, env *cliEnv) int {
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
	desktop.Run(cfg)
	return exitOK
}
