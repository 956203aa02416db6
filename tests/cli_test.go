// Package tests holds black-box tests of the built lashview binary.
package tests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"lashview/internal/fixture"
	"lashview/internal/syncbuf"
	"lashview/internal/testbin"
)

// binary is the lashview program built once for the package's tests, or
// the one LASHVIEW_TEST_BINARY names (make test's, an installed or
// packaged build, or one built with -race).
var binary string

func TestMain(m *testing.M) {
	var err error
	if binary, err = testbin.Path(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	testbin.Remove()
	os.Exit(code)
}

// run starts the binary as a person's shell would, under the C locale that
// makes Fyne complain when it is linked in, with HOME and XDG folders in a
// temp dir and no display.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return runWith(t, testEnv(t.TempDir()), stdin, args...)
}

// hangLimit ends a subcommand that has not finished (one that blocks on a
// FIFO, say) so the test fails with its name rather than at go test's
// timeout. Reaching it is a failure; it is not a speed limit.
const hangLimit = 2 * time.Minute

// runWith is run with the environment env.
func runWith(t *testing.T, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("lashview %v did not finish within %v (it hangs); stderr %q", args, hangLimit, errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// testEnv is a person's environment with home as HOME and the XDG folders
// inside it: LANG=C.UTF-8, and no DISPLAY.
func testEnv(home string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"), "XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"), "XDG_CONFIG_HOME=" + filepath.Join(home, "config")}
}

// TestSubcommandsNeedNoDisplayAndPrintClean: the subcommands work with no
// display and print nothing on stderr when they succeed.
func TestSubcommandsNeedNoDisplayAndPrintClean(t *testing.T) {
	root := fixture.Copy(t, "clean")
	id := "0fee77b79b9764adc03814ed7ca858f6ef083650a58b8018279f1412b8ddd246"
	for _, args := range [][]string{
		{"ls", "--store", root},
		{"ls", "--store", root, "--json"},
		{"get", "--store", root, id},
		{"label", "--store", root, id, "pixel"},
		{"verify", "--store", root},
		{"doctor", "--store", root},
		{"thumbs", "--store", root},
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

// TestExitCodesAndMessages runs every subcommand into each way it can
// fail: a missing store, a store path that is a file, an unreadable file,
// an invalid id, a usage error. Each must exit with its code (1 failure, 2
// usage) and say what went wrong in words, naming the path, with no panic
// and no Fyne noise.
//
// The tests run as root in CI, and root reads any file whatever its mode,
// so "unreadable" is made in ways that stop root too: a FIFO or a folder
// where a file belongs (lashview must refuse them, never block on them),
// /proc/self/mem (a regular file whose read fails with EIO), a path under a
// regular file (ENOTDIR), a trash journal that is a folder. Only when the
// tests do not run as root is a chmod 000 file tried as well.
func TestExitCodesAndMessages(t *testing.T) {
	root := fixture.Copy(t, "clean")
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "no-store")
	aFile := filepath.Join(tmp, "a-file")
	os.WriteFile(aFile, []byte("not a store"), 0o644)
	fifo := filepath.Join(tmp, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(fixture.Dir(t), "outside", "outside.png")
	const (
		id   = "0fee77b79b9764adc03814ed7ca858f6ef083650a58b8018279f1412b8ddd246"
		id2  = "e7587f9de8bd7e42377ac2597dad27637b68c4d47d5f0b29bb1ce41d952eef27"
		bad  = "not-an-id"
		noID = "invalid attachment id"
	)

	// odd: the clean store with a FIFO where id's blob belongs and a folder
	// where id2's sidecar belongs.
	odd := fixture.Copy(t, "clean")
	blob := filepath.Join(odd, "sha256", id[:2], id)
	side := filepath.Join(odd, "sha256", id2[:2], id2+".json")
	if err := errors.Join(os.Remove(blob), syscall.Mkfifo(blob, 0o644), os.Remove(side), os.Mkdir(side, 0o755)); err != nil {
		t.Fatal(err)
	}
	// A home whose trash journal is a folder: rm and restore cannot record
	// or read what they did.
	badHome := t.TempDir()
	os.MkdirAll(filepath.Join(badHome, "state", "lashview", "trash.jsonl"), 0o755)

	type tc struct {
		args []string
		code int
		msg  string // stderr contains it
		env  []string
	}
	var cases []tc
	noStore := "there is no store at " + missing + " (the folder does not exist)"
	for _, args := range [][]string{
		{"ls"}, {"get", id}, {"label", id, "x"}, {"rm", id}, {"restore"}, {"verify"}, {"doctor"}, {"watch"}, {"thumbs"},
	} {
		cmd := append([]string{args[0], "--store", missing}, args[1:]...)
		cases = append(cases,
			tc{args: cmd, code: 1, msg: "lashview " + args[0] + ": " + noStore},
			tc{args: append([]string{args[0], "--store", aFile}, args[1:]...), code: 1, msg: aFile + " is not a folder"})
	}
	cases = append(cases,
		// put makes a missing store (tested below), but not under a file.
		tc{args: []string{"put", "--store", aFile, img}, code: 1, msg: aFile + "/sha256: not a directory"},
		tc{args: []string{"put", "--store", filepath.Join(aFile, "store"), img}, code: 1, msg: "not a directory"},

		// Invalid ids, refused before any path is built.
		tc{args: []string{"get", "--store", root, bad}, code: 1, msg: `lashview get: invalid attachment id "not-an-id"`},
		tc{args: []string{"get", "--store", root, "../../../../etc/passwd"}, code: 1, msg: noID},
		tc{args: []string{"get", "--store", root, strings.ToUpper(id)}, code: 1, msg: noID},
		tc{args: []string{"label", "--store", root, bad, "x"}, code: 1, msg: `lashview label: invalid attachment id "not-an-id"`},
		tc{args: []string{"rm", "--store", root, id2, bad}, code: 1, msg: `lashview rm: invalid attachment id "not-an-id"`},
		tc{args: []string{"restore", "--store", root, bad}, code: 1, msg: `lashview restore: invalid attachment id "not-an-id"`},
		tc{args: []string{"get", "--store", root, strings.Repeat("1", 64)}, code: 1, msg: "NotFound"},

		// Unreadable files, root included.
		tc{args: []string{"put", "--store", root, fifo}, code: 1, msg: fifo + ": not a regular file"},
		tc{args: []string{"put", "--store", root, tmp}, code: 1, msg: tmp + ": not a regular file"},
		tc{args: []string{"put", "--store", root, "/proc/self/mem"}, code: 1, msg: "/proc/self/mem: input/output error"},
		tc{args: []string{"put", "--store", root, filepath.Join(tmp, "gone.png")}, code: 1, msg: "gone.png: no such file or directory"},
		tc{args: []string{"get", "--store", odd, id}, code: 1, msg: "lashview get: Io: cannot access " + blob + ": is not a regular file"},
		tc{args: []string{"get", "--store", odd, id2}, code: 1, msg: "lashview get: Io: cannot access " + side + ": is not a regular file"},
		tc{args: []string{"get", "--store", root, id, "-o", filepath.Join(tmp, "no-dir", "x.png")}, code: 1, msg: "no such file or directory"},
		tc{args: []string{"label", "--store", odd, id, "x"}, code: 1, msg: "lashview label: Io: cannot access " + blob + ": is not a regular file"},
		tc{args: []string{"label", "--store", odd, id2, "x"}, code: 1, msg: "is not a regular file"},
		tc{args: []string{"doctor", "--store", odd}, code: 1, msg: ""}, // its findings go to stdout, checked below
		tc{args: []string{"thumbs", "--store", root, "--cache", aFile}, code: 1, msg: "lashview thumbs: thumbnail cache " + aFile},
		tc{args: []string{"rm", "--store", root, id}, env: testEnv(badHome), code: 1, msg: "lashview rm: open the trash journal"},
		tc{args: []string{"restore", "--store", root}, env: testEnv(badHome), code: 1, msg: "lashview restore: open the trash journal"},
	)
	// Usage errors: an unknown flag for every subcommand, and wrong arguments.
	for _, name := range []string{"ls", "put", "get", "label", "rm", "restore", "verify", "doctor", "watch", "thumbs"} {
		cases = append(cases, tc{args: []string{name, "--frob"}, code: 2, msg: "flag provided but not defined: -frob\nusage: lashview " + name + " "})
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"put", "--store", root}, "name at least one file"},
		{[]string{"get", "--store", root}, "name exactly one attachment id"},
		{[]string{"get", "--store", root, id, id2}, "name exactly one attachment id"},
		{[]string{"label", "--store", root, id}, "name an attachment id and the new label"},
		{[]string{"rm", "--store", root}, "name at least one attachment id"},
		{[]string{"ls", "--store", root, "extra"}, `unexpected argument "extra"`},
		{[]string{"verify", "--store", root, "extra"}, `unexpected argument "extra"`},
		{[]string{"doctor", "--store", root, "extra"}, `unexpected argument "extra"`},
		{[]string{"watch", "--store", root, "extra"}, `unexpected argument "extra"`},
		{[]string{"thumbs", "--store", root, "extra"}, `unexpected argument "extra"`},
		{[]string{"thumbs", "--store", root, "--size", "5"}, "--size must be between 16 and 2048 pixels, not 5"},
		{[]string{"nonsense"}, `unknown command "nonsense"`},
		{[]string{"--frob"}, "flag provided but not defined"},
	} {
		cases = append(cases, tc{args: c.args, code: 2, msg: c.msg})
	}
	if os.Geteuid() != 0 {
		secret := filepath.Join(tmp, "secret.png")
		os.WriteFile(secret, []byte("x"), 0o000)
		cases = append(cases, tc{args: []string{"put", "--store", root, secret}, code: 1, msg: secret + ": permission denied"})
	}

	for _, c := range cases {
		env := c.env
		if env == nil {
			env = testEnv(t.TempDir())
		}
		code, _, errs := runWith(t, env, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) || strings.Contains(errs, "goroutine ") || strings.Contains(errs, "Fyne error") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", c.args, code, errs, c.code, c.msg)
		}
	}

	// What the odd store looks like to the commands that report rather
	// than fail: ls lists both attachments by what is left of them, doctor
	// names the special files, and verify, which checks blob bytes, has
	// nothing readable to check for them and finds the rest sound.
	recs := lsJSON(t, odd)
	if recs[id]["status"] != "orphan_meta" || recs[id2]["status"] != "missing_meta" || len(recs) != 17 {
		t.Errorf("ls --json on the odd store: %s is %v, %s is %v (%d listed)", id, recs[id], id2, recs[id2], len(recs))
	}
	_, out, _ := run(t, "", "doctor", "--store", odd)
	for _, want := range []string{
		"sha256/0f/" + id + ": foreign: a special file stands where a blob belongs",
		"sha256/e7/" + id2 + ".json: foreign: a folder stands where a sidecar belongs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor on the odd store does not say %q:\n%s", want, out)
		}
	}
	if code, out, errs := run(t, "", "verify", "--store", odd, "--json"); code != 0 || out != "" || errs != "" {
		t.Errorf("verify --json on the odd store: exit %d, stdout %q, stderr %q", code, out, errs)
	}

	// put into a missing store makes it, with the attachment in place.
	code, out, errs := run(t, "", "put", "--store", missing, img)
	var ref map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &ref) != nil {
		t.Fatalf("put into a missing store: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	newID, _ := ref["id"].(string)
	if _, err := os.Stat(filepath.Join(missing, "sha256", newID[:min(2, len(newID))], newID)); err != nil {
		t.Errorf("put into a missing store: %v", err)
	}
}

// TestWatchPrintsAPutAndStopsOnSIGTERM: watch reports an attachment another
// process puts, and a plain kill ends it cleanly (exit 0).
func TestWatchPrintsAPutAndStopsOnSIGTERM(t *testing.T) {
	root := fixture.Copy(t, "clean")
	cmd := exec.Command(binary, "watch", "--store", root, "--json")
	cmd.Env = testEnv(t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb syncbuf.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// watch says on stderr when its watches are in place.
	for start := time.Now(); !strings.Contains(errb.String(), "watching "+root); time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > changeLimit {
			t.Fatalf("watch did not say it was watching within %v: %q", changeLimit, errb.String())
		}
	}
	files, ids := writeImages(t, t.TempDir(), "watched", 1)
	if code, _, errs := run(t, "", "put", "--store", root, files[0]); code != 0 {
		t.Fatalf("put: %d %s", code, errs)
	}
	deadline := time.After(changeLimit)
	for seen := false; !seen; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("watch ended its output: %s", errb.String())
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				t.Fatalf("watch --json printed %q", l)
			}
			seen = ev["event"] == "added" && ev["id"] == ids[0]
		case <-deadline:
			t.Fatalf("watch printed no added event for %s within %v", ids[0], changeLimit)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("watch after SIGTERM: %v; stderr %s", err, errb.String())
	}
}

// TestSettingsPackagesInitialiseBeforeFyne: ui/fynecache and ui/locale
// work by setting environment variables that Fyne reads while the program
// initialises, so each must initialise before the Fyne package that reads
// it. The Go runtime's init trace of the real binary shows the order.
func TestSettingsPackagesInitialiseBeforeFyne(t *testing.T) {
	env := append(testEnv(t.TempDir()), "GODEBUG=inittrace=1")
	code, _, stderr := runWith(t, env, "", "--version")
	if code != 0 {
		t.Fatalf("lashview --version: exit %d, %s", code, stderr)
	}
	order := map[string]int{}
	for i, line := range strings.Split(stderr, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
			order[f[1]] = i + 1
		}
	}
	for setter, reader := range map[string]string{
		"lashview/ui/fynecache": "fyne.io/fyne/v2/internal/cache",
		"lashview/ui/locale":    "fyne.io/fyne/v2/lang",
	} {
		s, r := order[setter], order[reader]
		if s == 0 || r == 0 {
			t.Errorf("the init trace names %s at %d and %s at %d; want both", setter, s, reader, r)
		} else if s > r {
			t.Errorf("%s initialises after %s (lines %d, %d): its setting comes too late", setter, reader, s, r)
		}
	}
}

// TestVersionNamesReleaseAndCommit: --version of any build says the
// release and build number FyneApp.toml holds, and the commit it was built
// from: the one Go stamps or make passes, else "unknown" (a plain go build
// outside a git checkout, or where GOFLAGS has -buildvcs=false). A commit
// it names must be the checkout's HEAD.
func TestVersionNamesReleaseAndCommit(t *testing.T) {
	code, out, errs := run(t, "", "--version")
	toml, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	version := regexp.MustCompile(`(?m)^Version = "(.*)"`).FindSubmatch(toml)
	build := regexp.MustCompile(`(?m)^Build = (\d+)`).FindSubmatch(toml)
	if version == nil || build == nil {
		t.Fatal("FyneApp.toml has no Version or Build")
	}
	want := regexp.MustCompile(`^lashview ` + regexp.QuoteMeta(string(version[1])) + ` \(build ` + string(build[1]) + `, commit (unknown|([0-9a-f]{12})(-dirty)?)\)\n$`)
	m := want.FindStringSubmatch(out)
	if code != 0 || errs != "" || m == nil {
		t.Fatalf("--version: exit %d, stdout %q, stderr %q; want %s", code, out, errs, want)
	}
	if m[2] == "" {
		return
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err == nil && !strings.HasPrefix(string(head), m[2]) {
		t.Errorf("--version names commit %s, the checkout is at %s", m[2], head)
	}
}
