package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"lashview/internal/fixture"
)

// cli runs the command line in-process and returns exit code, stdout, stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, &Env{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// cliTTY runs the command line as if stdout were a terminal.
func cliTTY(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, &Env{Stdout: &out, Stderr: &errb, StdoutTTY: true})
	return code, out.String(), errb.String()
}

func TestCLIErrors(t *testing.T) {
	root := fixture.Copy(t, "messy")
	missing := filepath.Join(t.TempDir(), "none")
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"get", "--store", root, "../../etc/passwd"}, 1, "invalid attachment id"},
		{[]string{"get", "--store", missing, strings.Repeat("A", 64)}, 1, "invalid attachment id"},
		{[]string{"get", "--store", root, strings.Repeat("0", 64)}, 1, "NotFound"},
		{[]string{"get", "--store", root, "b372bb8e4a531befd97a6979dd21218c5420796337a71ceb0f8f55fb8ff231c5"}, 1, "MissingMeta"},
		{[]string{"get", "--store", root, "524ba41b05faf3933c80a9ccc0795517edf16263abad82ef1d57a9352bfce5bb"}, 1, "MetadataDecode"},
		{[]string{"get", "--store", root, "fe1b22274afa502812e69993d9fab118841dde668bff931f200adde196db181f"}, 1, "symbolic link"},
		{[]string{"get", "--store", root}, 2, "usage"},
		{[]string{"ls", "--store", missing}, 1, "there is no store at " + missing},
		{[]string{"ls", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"label", "--store", root, strings.Repeat("0", 64)}, 2, "usage"},
		{[]string{"put", "--store", root}, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
	}
	for _, c := range cases {
		code, _, errs := cli(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.msg)
		}
		if strings.Contains(errs, "goroutine") || strings.Contains(errs, ".go:") {
			t.Errorf("%v: stack trace in %q", c.args, errs)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a failed command created the missing store")
	}
}

// TestWindowTakesOnlyStore: with no subcommand the command line opens the
// window through Env.Window with --store's folder ("" when not given),
// and opens none for help, --version or a flag it does not know.
func TestWindowTakesOnlyStore(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args   []string
		code   int
		window bool
		store  string
		says   string // on stdout or stderr
	}{
		{nil, 0, true, "", ""},
		{[]string{"--store", dir}, 0, true, dir, ""},
		{[]string{"-store=" + dir}, 0, true, dir, ""},
		{[]string{"--store", dir, "--version"}, 0, false, "", "lashview " + releaseVersion + " (build "},
		{[]string{"--help"}, 0, false, "", "lashview ls [--store DIR] [--json]"},
		{[]string{"--frob"}, 2, false, "", "flag provided but not defined: -frob"},
	} {
		var out, errb bytes.Buffer
		opened, got := false, ""
		env := &Env{Stdout: &out, Stderr: &errb, Window: func(w WindowArgs) int { opened, got = true, w.Store; return 0 }}
		code := Run(c.args, env)
		if code != c.code || opened != c.window || got != c.store || !strings.Contains(out.String()+errb.String(), c.says) {
			t.Errorf("%q: exit %d, window %v on %q, output %q %q; want exit %d, window %v on %q, saying %q",
				c.args, code, opened, got, out.String(), errb.String(), c.code, c.window, c.store, c.says)
		}
	}
	var errb bytes.Buffer
	if code := Run(nil, &Env{Stdout: &errb, Stderr: &errb}); code != exitUsage || !strings.Contains(errb.String(), "this build has no window") {
		t.Errorf("no subcommand and no window: exit %d, %q", code, errb.String())
	}
}

// TestCommandTable: every command in the table is listed by help, in
// name order, with its arguments; runs through the shared preamble (its
// usage error names it and its usage); and names are unique.
func TestCommandTable(t *testing.T) {
	code, out, _ := cli(t, "help")
	if code != exitOK {
		t.Fatalf("help: exit %d", code)
	}
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("two commands are called %q", c.name)
		}
		seen[c.name] = true
		if c.flags == nil || c.help == "" || c.usage == "" {
			t.Errorf("%s: flags, help and usage must all be set", c.name)
		}
		if c.args.min > 0 && c.args.wrong == "" || c.args.max >= 0 && c.args.max < c.args.min {
			t.Errorf("%s: arguments %+v: a minimum needs the words for too few, and max must not be below min", c.name, c.args)
		}
		line := fmt.Sprintf("  lashview %-30s %s\n", c.name+" "+c.usage, c.help)
		at := strings.Index(out, line)
		if at < 0 {
			t.Errorf("help does not list %s as %q", c.name, line)
		}
		if lookup(c.name) != c {
			t.Errorf("lookup(%q) finds another command", c.name)
		}
		code, _, errs := cli(t, c.name, "--store", t.TempDir(), "--frob")
		if want := "flag provided but not defined: -frob\nusage: lashview " + c.name + " " + c.usage + "\n"; code != exitUsage || !strings.HasPrefix(errs, want) {
			t.Errorf("%s --frob: exit %d, stderr %q; want 2 and %q", c.name, code, errs, want)
		}
	}
	var names []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "lashview" && seen[f[1]] {
			names = append(names, f[1])
		}
	}
	if !sort.StringsAreSorted(names) || len(names) != len(commands) {
		t.Errorf("help lists %v: want every command once, by name", names)
	}
	if lookup("help") != nil || lookup("") != nil {
		t.Error("lookup finds a command that is not in the table")
	}
}
