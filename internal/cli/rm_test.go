package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
