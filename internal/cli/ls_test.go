package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"lashview/internal/fixture"
)

func TestLsJSON(t *testing.T) {
	root := fixture.Copy(t, "clean")
	code, out, errs := cli(t, "ls", "--store", root, "--json")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 17 {
		t.Fatalf("%d lines, want 17", len(lines))
	}
	var prev string
	for i, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		for _, k := range []string{"id", "status", "media_type", "byte_len", "width", "height", "label", "modified"} {
			if _, ok := r[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i, k, l)
			}
		}
		if r["status"] != "ok" || !strings.HasPrefix(r["media_type"].(string), "image/") {
			t.Errorf("line %d: %s", i, l)
		}
		if m := r["modified"].(string); prev != "" && m > prev {
			t.Errorf("not newest first: %s after %s", m, prev)
		} else {
			prev = m
		}
	}
	code, out, _ = cli(t, "ls", "--store", root)
	if code != 0 || !strings.Contains(out, "17 attachments") || !strings.Contains(out, "IMG_0001.JPG") {
		t.Fatalf("plain ls: %d\n%s", code, out)
	}
}
