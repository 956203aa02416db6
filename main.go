// Command lashview browses and looks after the attachment store of the lash
// agent runtime: a window (with no subcommand) and a command line for every
// operation, which needs no display. The command line is internal/cli;
// window.go opens the window when it asks.
package main

import (
	"os"

	"lashview/internal/cli"
)

func main() {
	env := cli.Stdio()
	env.Window = runWindow
	os.Exit(cli.Run(os.Args[1:], env))
}
