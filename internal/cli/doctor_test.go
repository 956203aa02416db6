package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lashview/internal/fixture"
)

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
