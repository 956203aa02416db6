package imgfmt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// sharedFixtures is ../shared/fixtures beside the repo (read only).
func sharedFixtures(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "fixtures")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("shared fixtures not found beside the repo: %v", err)
	}
	return dir
}

// blob is one fixture attachment: its bytes and what lash recorded of it.
type blob struct {
	id            string
	data          []byte
	mime          string // the media type lash recorded
	width, height int    // 0 when lash recorded none
}

// cleanBlobs are the 17 healthy attachments lash alpha.43 wrote, with the
// type and size of their sidecars.
func cleanBlobs(t testing.TB) []blob {
	t.Helper()
	root := filepath.Join(sharedFixtures(t), "lash-alpha43", "clean", "sha256")
	sidecars, err := filepath.Glob(filepath.Join(root, "*", "*.json"))
	if err != nil || len(sidecars) != 17 {
		t.Fatalf("clean fixture: %d sidecars, %v", len(sidecars), err)
	}
	var out []blob
	for _, p := range sidecars {
		var sc struct {
			ID        string `json:"id"`
			MediaType struct {
				Type string `json:"type"`
			} `json:"media_type"`
			Width, Height int
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &sc); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		data, err := os.ReadFile(p[:len(p)-len(".json")])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, blob{id: sc.ID, data: data, mime: "image/" + sc.MediaType.Type, width: sc.Width, height: sc.Height})
	}
	return out
}

// alpha111Blobs are the blobs lash alpha.111 wrote (images, a PDF, raw
// bytes), with the media type its expected.json gives.
func alpha111Blobs(t testing.TB) []blob {
	t.Helper()
	dir := filepath.Join(sharedFixtures(t), "lash-sessions", "alpha111")
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Attachments map[string]struct {
			Status    string `json:"status"`
			MediaType string `json:"media_type"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	var out []blob
	for id, a := range exp.Attachments {
		if a.Status != "ok" {
			continue // no blob
		}
		data, err := os.ReadFile(filepath.Join(dir, "lash-home", "attachments", "sha256", id[:2], id))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, blob{id: id, data: data, mime: a.MediaType})
	}
	if len(out) != 13 {
		t.Fatalf("alpha111 fixture: %d blobs, want 13", len(out))
	}
	return out
}
