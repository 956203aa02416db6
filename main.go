// Command lashview browses and looks after the attachment store of the lash
// agent runtime: a window (with no subcommand) and a command line for every
// operation, which needs no display.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"lashview/store"
)

// command is one subcommand. run returns the process's exit code.
type command struct {
	usage string // the arguments after the name, for help
	help  string // one line
	run   func(args []string, env *cliEnv) int
}

// commands is filled by the cmd_*.go files' init functions.
var commands = map[string]command{}

// cliEnv is what a subcommand may use of its surroundings; tests replace it.
type cliEnv struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	stdoutTTY      bool
}

// Exit codes shared by every subcommand.
const (
	exitOK       = 0
	exitProblems = 1 // an operation failed, or a check found something
	exitUsage    = 2
)

func main() {
	env := &cliEnv{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, stdoutTTY: isTerminal(os.Stdout)}
	os.Exit(runCLI(os.Args[1:], env))
}

func runCLI(args []string, env *cliEnv) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name := args[0]
		if name == "help" {
			printHelp(env.stdout)
			return exitOK
		}
		cmd, ok := commands[name]
		if !ok {
			fmt.Fprintf(env.stderr, "lashview: unknown command %q\n", name)
			printHelp(env.stderr)
			return exitUsage
		}
		return cmd.run(args[1:], env)
	}
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			printHelp(env.stdout)
			return exitOK
		case "-version", "--version":
			printVersion(env.stdout)
			return exitOK
		}
	}
	return runWindow(args, env)
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "lashview: browse and look after a lash attachment store")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage:")
	fmt.Fprintln(w, "  lashview [--store DIR]                 open the window")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  lashview %-30s %s\n", n+" "+c.usage, c.help)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "The default store is $LASH_HOME/attachments, else ~/.lash/attachments (now: %s).\n", defaultStore())
	fmt.Fprintln(w, "Exit codes: 0 success, 1 failure or problems found, 2 usage error.")
}

// defaultStore is $LASH_HOME/attachments, else ~/.lash/attachments.
func defaultStore() string {
	if h := os.Getenv("LASH_HOME"); h != "" {
		return filepath.Join(h, "attachments")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".lash", "attachments")
	}
	return filepath.Join(home, ".lash", "attachments")
}

// newFlags makes a flag set for a subcommand that prints its errors and
// usage to env.stderr and has the common --store flag.
func newFlags(name string, env *cliEnv) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("lashview "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	dir := fs.String("store", defaultStore(), "the store `folder`")
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: lashview %s %s\n", name, commands[name].usage)
		fs.PrintDefaults()
	}
	return fs, dir
}

// parseFlags parses args, allowing flags after positional arguments
// ("lashview put a.png --label x"). It returns false on a usage error,
// which it has reported.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, true
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// usageError reports a wrong call and returns the usage exit code.
func usageError(env *cliEnv, name, format string, a ...any) int {
	fmt.Fprintf(env.stderr, "lashview %s: %s\n", name, fmt.Sprintf(format, a...))
	fmt.Fprintf(env.stderr, "usage: lashview %s %s\n", name, commands[name].usage)
	return exitUsage
}

// fail reports an operation's error in words and returns exit code 1.
func fail(env *cliEnv, name string, err error) int {
	fmt.Fprintf(env.stderr, "lashview %s: %v\n", name, err)
	return exitProblems
}

// openStore returns the store at dir, or reports that it does not exist.
func openStore(env *cliEnv, name, dir string) (*store.Store, bool) {
	s := store.New(dir)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(env.stderr, "lashview %s: there is no store at %s (the folder does not exist)\n", name, dir)
		return nil, false
	case err != nil:
		fmt.Fprintf(env.stderr, "lashview %s: cannot open the store at %s: %v\n", name, dir, err)
		return nil, false
	case !fi.IsDir():
		fmt.Fprintf(env.stderr, "lashview %s: %s is not a folder\n", name, dir)
		return nil, false
	}
	return s, true
}

// isTerminal reports whether f is a terminal: a character device that
// answers a terminal ioctl (/dev/null is a character device, not a terminal).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
