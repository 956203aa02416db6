// Package fynecache shortens how long Fyne keeps what it drew for objects
// no longer on screen, so scrolling a grid of 100,000 labels does not
// grow the window's memory by hundreds of megabytes.
//
// Fyne rasterises every distinct text it draws into a texture and keeps
// it, with widget renderers and other caches, until it has gone unused for
// a minute (fyne-io/fyne#5486, "Unbounded internal cache sizes can lead to
// unbounded RAM use"). A grid cell shows one label per attachment, so a
// fast scroll through a large store makes a new texture for every label
// it passes: several megabytes a second of driver memory, all of it kept
// for that minute. Fyne reads the duration once, while the program
// initialises, from the FYNE_CACHE environment variable (any
// time.ParseDuration string); there is no API for it.
//
// Import this package for its side effect from package main. It imports
// only os, so it initialises before fyne.io/fyne/v2/internal/cache (the Go
// spec initialises packages in import-path order as soon as their imports
// are ready; `GODEBUG=inittrace=1 lashview --version` shows the order).
// A FYNE_CACHE the user set wins.
package fynecache

import "os"

// Duration is how long lashview lets Fyne keep unused textures and
// renderers. Fyne cleans its caches at most every ten seconds, but each
// clean frees what has been unused for longer than this, so a shorter
// duration still lowers the peak: scrolling a store of 30,000 top to
// bottom peaked at 380–398 MB with 10s, 347 MB with 5s, 336 MB with 3s
// and 329 MB with 2s (issue 16). What scrolls back into view after three
// seconds is drawn again: a few dozen labels, milliseconds.
const Duration = "3s"

// set says the variable was set here, not by the user.
var set bool

func init() {
	if _, ok := os.LookupEnv("FYNE_CACHE"); !ok {
		os.Setenv("FYNE_CACHE", Duration)
		set = true
	}
}

// Unsetenv takes the variable out of the environment again once Fyne has
// read it, so programs lashview starts (Open with…) do not inherit it.
func Unsetenv() {
	if set {
		os.Unsetenv("FYNE_CACHE")
		set = false
	}
}
