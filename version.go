package main

import (
	"fmt"
	"io"
)

// Set at link time by the Makefile (-ldflags "-X main.version=...").
var (
	version = "dev"
	build   = "0"
	commit  = "unknown"
)

func printVersion(w io.Writer) {
	fmt.Fprintf(w, "lashview %s (build %s, commit %s)\n", version, build, commit)
}
