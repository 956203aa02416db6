// Package tests holds black-box tests of the built lashview binary.
package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lashview/internal/fixture"
)

// binary is the lashview program built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lashview-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "lashview")
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building lashview: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run starts the binary as a person's shell would, under the C locale that
// makes Fyne complain when it is linked in, with HOME and XDG folders in a
// temp dir and no display.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	home := t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"), "XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "XDG_CONFIG_HOME=" + filepath.Join(home, "config")}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// TestSubcommandsNeedNoDisplayAndPrintClean: every read-only subcommand
// works with no display and prints nothing on stderr when it succeeds.
func TestSubcommandsNeedNoDisplayAndPrintClean(t *testing.T) {
	root := fixture.Copy(t, "clean")
	id := "0fee77b79b9764adc03814ed7ca858f6ef083650a58b8018279f1412b8ddd246"
	for _, args := range [][]string{
		{"ls", "--store", root},
		{"ls", "--store", root, "--json"},
		{"get", "--store", root, id},
		{"label", "--store", root, id, "pixel"},
		{"--version"},
		{"help"},
	} {
		code, out, errs := run(t, "", args...)
		if code != 0 || errs != "" || out == "" && args[0] != "label" {
			t.Errorf("%v: exit %d, stderr %q, %d bytes out", args, code, errs, len(out))
		}
	}
}

func TestPutThenLsAgree(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	src := fixture.Dir(t) + "/clean/sha256/e7/e7587f9de8bd7e42377ac2597dad27637b68c4d47d5f0b29bb1ce41d952eef27"
	img := filepath.Join(t.TempDir(), "gradient.png")
	data, _ := os.ReadFile(src)
	os.WriteFile(img, data, 0o644)
	code, out, errs := run(t, "", "put", "--store", root, "--label", "g", img)
	if code != 0 || errs != "" {
		t.Fatalf("put: %d %q", code, errs)
	}
	var ref map[string]any
	if err := json.Unmarshal([]byte(out), &ref); err != nil || ref["label"] != "g" || ref["width"] != 64.0 {
		t.Fatalf("put printed %q (%v)", out, err)
	}
	code, out, _ = run(t, "", "ls", "--store", root, "--json")
	var rec map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rec) != nil || rec["id"] != ref["id"] || rec["status"] != "ok" || rec["media_type"] != "image/png" {
		t.Fatalf("ls after put: %d %q", code, out)
	}
}

func TestExitCodesAndMessages(t *testing.T) {
	root := fixture.Copy(t, "clean")
	missing := filepath.Join(t.TempDir(), "no-store")
	unreadable := filepath.Join(t.TempDir(), "secret.png")
	os.WriteFile(unreadable, []byte("x"), 0o000)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ls", "--store", missing}, 1, "there is no store at " + missing},
		{[]string{"get", "--store", root, "not-an-id"}, 1, "invalid attachment id"},
		{[]string{"get", "--store", root, strings.Repeat("1", 64)}, 1, "NotFound"},
		{[]string{"put", "--store", root}, 2, "usage"},
		{[]string{"ls", "--frob"}, 2, "flag provided but not defined"},
		{[]string{"nonsense"}, 2, "unknown command"},
		{[]string{"put", "--store", root, t.TempDir()}, 1, "not a regular file"},
	}
	if os.Geteuid() != 0 { // root reads any file
		cases = append(cases, struct {
			args []string
			code int
			msg  string
		}{[]string{"put", "--store", root, unreadable}, 1, "permission denied"})
	}
	for _, c := range cases {
		code, _, errs := run(t, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) || strings.Contains(errs, "goroutine ") || strings.Contains(errs, "Fyne error") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", c.args, code, errs, c.code, c.msg)
		}
	}
}
