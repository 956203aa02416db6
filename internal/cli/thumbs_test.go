package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lashview/internal/fixture"
)

// TestThumbsFillsOnceAndPrunes: the first run makes a thumbnail (or a
// remembered failure) for every blob, the second makes none and says so,
// and --prune removes what belongs to attachments no longer in the store.
func TestThumbsFillsOnceAndPrunes(t *testing.T) {
	cache := t.TempDir()
	root := fixture.Copy(t, "clean")
	code, out, errs := cli(t, "thumbs", "--store", root, "--size", "64", "--cache", cache)
	if code != 0 || !strings.Contains(out, "made 17 thumbnails at 64 px") {
		t.Fatalf("first run: %d %q %q", code, out, errs)
	}
	files := func() []string {
		var fs []string
		filepath.Walk(cache, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				fs = append(fs, p)
			}
			return nil
		})
		return fs
	}
	if n := len(files()); n != 17 {
		t.Fatalf("%d files in the cache, want 17", n)
	}
	code, out, _ = cli(t, "thumbs", "--store", root, "--size", "64", "--cache", cache)
	if code != 0 || !strings.Contains(out, "nothing to do: all 17 thumbnails") {
		t.Fatalf("second run: %d %q", code, out)
	}
	gone := "0fee77b79b9764adc03814ed7ca858f6ef083650a58b8018279f1412b8ddd246"
	os.RemoveAll(filepath.Join(root, "sha256", "0f"))
	code, out, _ = cli(t, "thumbs", "--store", root, "--prune", "--cache", cache)
	if code != 0 || !strings.Contains(out, "removed 1 cached files") {
		t.Fatalf("prune: %d %q", code, out)
	}
	for _, f := range files() {
		if strings.Contains(f, gone) {
			t.Fatalf("prune kept %s", f)
		}
	}
	if code, _, errs := cli(t, "thumbs", "--store", root, "--size", "5"); code != 2 || !strings.Contains(errs, "between 16 and 2048") {
		t.Fatalf("bad size: %d %q", code, errs)
	}
}
