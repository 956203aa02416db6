package storecases

import (
	"maps"
	"os"
	"path"
	"path/filepath"
	"testing"

	"lashview/store"
)

// WithoutLinks is the case as a bucket made from its folder holds it
// (s3test.Upload, which returns the links it left out): S3 has no symbolic
// links. A blob that was a link is missing from the bucket: with its
// sidecar there the attachment is an orphan sidecar, as in a folder whose
// blob was deleted; the link's finding goes.
func WithoutLinks(t testing.TB, c Case, links []string) Case {
	t.Helper()
	c.Attachments = maps.Clone(c.Attachments)
	c.Findings = maps.Clone(c.Findings)
	for _, l := range links {
		if c.Findings[l] != store.FindingSymlink {
			t.Fatalf("%s: link %s is not a symlink finding of the case; say what a bucket holds instead", c.Name, l)
		}
		delete(c.Findings, l)
		dir, name := path.Split(l)
		n := store.ParseName(name, path.Base(dir))
		w, ok := c.Attachments[n.ID]
		if n.Kind != store.NameBlob || !ok || w.Status != store.StatusSymlink {
			t.Fatalf("%s: link %s is not a linked blob of the case; say what a bucket holds instead", c.Name, l)
		}
		if fi, err := os.Lstat(filepath.Join(c.Root, filepath.FromSlash(l)+".json")); err == nil && fi.Mode().IsRegular() {
			c.Attachments[n.ID] = Want{Status: store.StatusOrphanMeta, Generation: store.GenSidecar, MIME: w.MIME, Size: -1}
		} else {
			delete(c.Attachments, n.ID)
		}
	}
	return c
}
