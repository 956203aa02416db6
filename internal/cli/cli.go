// Package cli is lashview's command line: every subcommand (ls, put, get,
// label, rm, restore, verify, doctor, watch, thumbs), help and --version,
// and the window's own flags. It imports no Fyne, so a subcommand needs no
// display and prints nothing Fyne would say; the window is opened through
// Env.Window, which package main supplies.
//
// Each subcommand is one file holding its command value, and one entry in
// the table in command.go.
package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Env is what the command line may use of its surroundings; tests make
// their own.
type Env struct {
	Stdout, Stderr io.Writer
	// StdoutTTY says stdout is a terminal: long commands then draw a
	// progress line on stderr.
	StdoutTTY bool
	// Window opens the window with the --store and --sessions values (""
	// when not given) and returns the exit code once it closes. Without it,
	// calling lashview with no subcommand is a usage error.
	Window func(WindowArgs) int
}

// WindowArgs are the window's flags.
type WindowArgs struct {
	Store    string // --store: the store folder
	Sessions string // --sessions: lash's sessions folder or postgres:// URL
}

// Stdio is the process's own surroundings, without a window.
func Stdio() *Env {
	return &Env{Stdout: os.Stdout, Stderr: os.Stderr, StdoutTTY: isTerminal(os.Stdout)}
}

// Exit codes shared by every subcommand.
const (
	exitOK       = 0
	exitProblems = 1 // an operation failed, or a check found something
	exitUsage    = 2
)

// Run runs the command line args (without the program's name) and returns
// the process's exit code: a subcommand, help, --version, or the window.
func Run(args []string, env *Env) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name := args[0]
		if name == "help" {
			printHelp(env.Stdout)
			return exitOK
		}
		cmd := lookup(name)
		if cmd == nil {
			fmt.Fprintf(env.Stderr, "lashview: unknown command %q\n", name)
			printHelp(env.Stderr)
			return exitUsage
		}
		return cmd.exec(args[1:], env)
	}
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			printHelp(env.Stdout)
			return exitOK
		case "-version", "--version":
			fmt.Fprintln(env.Stdout, versionLine())
			return exitOK
		}
	}
	return runWindow(args, env)
}

// runWindow takes the window's flags, --store and --sessions, and opens
// the window.
func runWindow(args []string, env *Env) int {
	fs := flag.NewFlagSet("lashview ", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dir := fs.String("store", DefaultStore(), "the store `folder`")
	sess := sessionsFlag(fs)
	fs.Usage = func() {
		// As a subcommand's usage line, with no name and no arguments.
		fmt.Fprintf(env.Stderr, "usage: lashview  \n")
		fs.PrintDefaults()
	}
	if _, ok := parseFlags(fs, args); !ok {
		return exitUsage
	}
	if env.Window == nil {
		fmt.Fprintln(env.Stderr, "lashview: name a command; this build has no window")
		printHelp(env.Stderr)
		return exitUsage
	}
	var w WindowArgs
	if isSet(fs, "store") {
		w.Store = *dir
	}
	w.Sessions = *sess
	return env.Window(w)
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "lashview: browse and look after a lash attachment store")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage:")
	fmt.Fprintln(w, "  lashview [--store DIR] [--sessions S]   open the window")
	cmds := make([]*command, len(commands))
	copy(cmds, commands)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(w, "  lashview %-30s %s\n", c.name+" "+c.usage, c.help)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "The default store is $LASH_HOME/attachments, else ~/.lash/attachments (now: %s).\n", DefaultStore())
	fmt.Fprintln(w, "--store s3://BUCKET/PREFIX names a store in an S3 bucket, on the server and with the credentials of the AWS_* environment.")
	fmt.Fprintln(w, "Every command takes --sessions S, where lash's sessions are: a folder or a postgres:// URL (else $LASH_POSTGRES_DATABASE_URL, else the sessions folder beside the store).")
	fmt.Fprintln(w, "Exit codes: 0 success, 1 failure or problems found, 2 usage error.")
}

// DefaultStore is $LASH_HOME/attachments, else ~/.lash/attachments.
func DefaultStore() string {
	if h := os.Getenv("LASH_HOME"); h != "" {
		return filepath.Join(h, "attachments")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".lash", "attachments")
	}
	return filepath.Join(home, ".lash", "attachments")
}
