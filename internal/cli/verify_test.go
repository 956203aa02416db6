package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"lashview/internal/fixture"
)

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
