package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"lashview/internal/fixture"
	"lashview/store"
)

// tempXDG points the Trash and the journal at fresh folders.
func tempXDG(t *testing.T) (trash string) {
	t.Helper()
	base := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(base, "data"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(base, "state"))
	return filepath.Join(base, "data", "Trash")
}

// cliTTY runs the command line as if stdout were a terminal.
func cliTTY(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runCLI(args, &cliEnv{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), stdoutTTY: true})
	return code, out.String(), errb.String()
}

const cliLabelled = "237c1f1dddc4eff3c0ab304590d4283831f6dae789315e4eebc4a2ff3c20ac11"

func TestRmRestoreCLI(t *testing.T) {
	trash := tempXDG(t)
	root := fixture.Copy(t, "messy")
	blob := filepath.Join(root, "sha256", "23", cliLabelled)
	before, _ := os.ReadFile(blob)
	beforeSide, _ := os.ReadFile(blob + ".json")

	code, out, errs := cli(t, "rm", "--store", root, cliLabelled)
	if code != exitOK || errs != "" {
		t.Fatalf("rm: exit %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, "trashed "+cliLabelled+" (blob and sidecar)") || !strings.Contains(out, trash) {
		t.Errorf("rm output:\n%s", out)
	}
	if _, err := os.Lstat(blob); err == nil {
		t.Fatal("the blob is still in the store")
	}
	if n, _ := os.ReadDir(filepath.Join(trash, "files")); len(n) != 2 {
		t.Errorf("%d files in the Trash, want 2", len(n))
	}

	code, out, errs = cli(t, "restore", "--store", root)
	if code != exitOK || errs != "" {
		t.Fatalf("restore: exit %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, "undoing rm") || !strings.Contains(out, "2 restored") {
		t.Errorf("restore output:\n%s", out)
	}
	after, _ := os.ReadFile(blob)
	afterSide, _ := os.ReadFile(blob + ".json")
	if !bytes.Equal(before, after) || !bytes.Equal(beforeSide, afterSide) {
		t.Error("restore is not byte-identical")
	}

	code, _, errs = cli(t, "restore", "--store", root)
	if code != exitProblems || !strings.Contains(errs, "nothing to restore") {
		t.Errorf("restore with nothing to undo: exit %d, %q", code, errs)
	}
	// Named restore after rm of two.
	other := "e7587f9de8bd7e42377ac2597dad27637b68c4d47d5f0b29bb1ce41d952eef27"
	if code, _, errs := cli(t, "rm", "--store", root, cliLabelled, other); code != exitOK {
		t.Fatalf("rm two: %d %s", code, errs)
	}
	if code, _, errs := cli(t, "restore", "--store", root, other); code != exitOK {
		t.Fatalf("restore one: %d %s", code, errs)
	}
	s := store.New(root)
	if _, ok := s.Examine(store.ID(other)); !ok {
		t.Error("the named id was not restored")
	}
	if _, ok := s.Examine(cliLabelled); ok {
		t.Error("an id that was not named was restored")
	}
}

func TestRmErrorsCLI(t *testing.T) {
	tempXDG(t)
	root := fixture.Copy(t, "messy")
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"rm", "--store", root}, exitUsage, "name at least one attachment id"},
		{[]string{"rm", "--store", root, "../../etc/passwd"}, exitProblems, "64 lowercase hex"},
		{[]string{"rm", "--store", root, strings.Repeat("ab", 32)}, exitProblems, filepath.Join(root, "sha256", "ab", strings.Repeat("ab", 32))},
		{[]string{"rm", "--store", filepath.Join(root, "nope"), cliLabelled}, exitProblems, "there is no store at " + filepath.Join(root, "nope")},
		{[]string{"restore", "--store", root, "xyz"}, exitProblems, "invalid attachment id"},
		{[]string{"verify", "--store", root, "extra"}, exitUsage, "unexpected argument"},
		{[]string{"doctor", "--store", root, "--bogus"}, exitUsage, "flag provided but not defined"},
	}
	for _, c := range cases {
		code, out, errs := cli(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d containing %q", c.args, code, errs, c.code, c.err)
		}
		if strings.Contains(errs, "goroutine") || strings.Contains(errs, "panic") {
			t.Errorf("%v: a stack trace: %s", c.args, errs)
		}
		_ = out
	}
}

// smallMessy is a copy of messy/ without its two largest healthy blobs,
// which only make the CLI tests slow under -race.
func smallMessy(t *testing.T) string {
	root := fixture.Copy(t, "messy")
	for _, id := range []string{"d7082382f705be4edc9f123f8bea4bb96e360c241fca689fb7ad5170439f455e", "93d6c90629706506b56c2be0264d7e732d96810adba3be7df9ae39b6207d55a2"} {
		os.Remove(filepath.Join(root, "sha256", id[:2], id))
		os.Remove(filepath.Join(root, "sha256", id[:2], id+".json"))
	}
	return root
}

func TestVerifyCLI(t *testing.T) {
	root := smallMessy(t)
	code, out, errs := cli(t, "verify", "--store", root, "--json")
	if code != exitProblems || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]string
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if r["detail"] == "" {
			t.Errorf("no detail: %q", l)
		}
		got = append(got, r["id"][:8]+" "+r["kind"])
	}
	sort.Strings(got)
	want := []string{"93f92911 corrupt", "e3b0c442 undecodable", "f2be81e1 undecodable", "f3818ee4 undecodable", "fe1b2227 symlink"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("verify --json problems %v, want %v", got, want)
	}

	code, out, errs = cli(t, "verify", "--store", root)
	if code != exitProblems || !strings.Contains(out, "1 corrupt, 3 undecodable, 1 symlink") || strings.Contains(errs, "\r") {
		t.Errorf("human verify: exit %d\n%s\nstderr %q", code, out, errs)
	}
	code, _, errs = cliTTY(t, "verify", "--store", root)
	if code != exitProblems || !strings.Contains(errs, "\rverify: ") || !strings.Contains(errs, " blobs, ") {
		t.Errorf("verify on a terminal shows no progress line: %q", errs)
	}

	clean := fixture.Copy(t, "clean")
	for _, id := range []string{"d7082382f705be4edc9f123f8bea4bb96e360c241fca689fb7ad5170439f455e", "93d6c90629706506b56c2be0264d7e732d96810adba3be7df9ae39b6207d55a2"} {
		os.Remove(filepath.Join(clean, "sha256", id[:2], id))
		os.Remove(filepath.Join(clean, "sha256", id[:2], id+".json"))
	}
	code, out, _ = cli(t, "verify", "--store", clean, "--json")
	if code != exitOK || out != "" {
		t.Errorf("clean store: exit %d, output %q", code, out)
	}
}

func TestDoctorCLI(t *testing.T) {
	tempXDG(t)
	root := fixture.Copy(t, "messy")
	old := time.Now().Add(-time.Hour)
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".tmp") {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	code, out, errs := cli(t, "doctor", "--store", root, "--json")
	if code != exitProblems || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 15 {
		t.Errorf("%d problems, want 15:\n%s", len(lines), out)
	}
	fixes := 0
	for _, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		for _, k := range []string{"path", "kind", "detail", "fix"} {
			if s, _ := r[k].(string); s == "" {
				t.Errorf("no %s: %s", k, l)
			}
		}
		if _, ok := r["fixed"]; ok {
			t.Errorf("report-only output says fixed: %s", l)
		}
		if r["fix"] != "none" {
			fixes++
		}
	}
	if fixes != 11 {
		t.Errorf("%d fixes proposed, want 11", fixes)
	}

	code, out, errs = cli(t, "doctor", "--store", root, "--fix")
	if code != exitProblems || errs != "" || !strings.Contains(out, "11 fixed, 0 failed, 4 left for a person") || !strings.Contains(out, "lashview restore") {
		t.Errorf("doctor --fix: exit %d, stderr %q\n%s", code, errs, out)
	}
	code, out, _ = cli(t, "doctor", "--store", root, "--fix", "--json")
	if code != exitProblems {
		t.Errorf("second --fix: exit %d", code)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		json.Unmarshal([]byte(l), &r)
		if r["fix"] != "none" || r["fixed"] != false {
			t.Errorf("second --fix did something: %s", l)
		}
	}
	if code, out, errs := cli(t, "restore", "--store", root); code != exitOK || !strings.Contains(out, "undoing doctor --fix") {
		t.Errorf("undo of doctor --fix: exit %d %s %s", code, out, errs)
	}

	clean := fixture.Copy(t, "clean")
	code, out, _ = cli(t, "doctor", "--store", clean)
	if code != exitOK || !strings.Contains(out, "nothing needs care") {
		t.Errorf("clean store: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, "doctor", "--store", clean, "--json")
	if code != exitOK || out != "" {
		t.Errorf("clean store --json: exit %d %q", code, out)
	}
}
