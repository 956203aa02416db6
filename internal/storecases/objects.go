package storecases

import (
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"testing"

	"lashview/store"
)

// Links lists the symbolic links of a case's folder (slash paths relative
// to its root, in walk order): what a copy into a bucket, or a folder read
// as objects (store.DirBackend), leaves out.
func Links(t testing.TB, root string) []string {
	t.Helper()
	var links []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			links = append(links, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return links
}

// WithoutLinks is the case as objects hold it: objects have no symbolic
// links, so links are left out. A blob that was a link is missing: with its
// sidecar there the attachment is an orphan sidecar, as in a folder whose
// blob was deleted; the link's finding goes.
func WithoutLinks(t testing.TB, c Case, links []string) Case {
	t.Helper()
	c.Attachments = maps.Clone(c.Attachments)
	c.Findings = maps.Clone(c.Findings)
	for _, l := range links {
		if c.Findings[l] != store.FindingSymlink {
			t.Fatalf("%s: link %s is not a symlink finding of the case; say what objects hold instead", c.Name, l)
		}
		delete(c.Findings, l)
		dir, name := path.Split(l)
		n := store.ParseName(name, path.Base(dir))
		w, ok := c.Attachments[n.ID]
		if n.Kind != store.NameBlob || !ok || w.Status != store.StatusSymlink {
			t.Fatalf("%s: link %s is not a linked blob of the case; say what objects hold instead", c.Name, l)
		}
		if fi, err := os.Lstat(filepath.Join(c.Root, filepath.FromSlash(l)+".json")); err == nil && fi.Mode().IsRegular() {
			c.Attachments[n.ID] = Want{Status: store.StatusOrphanMeta, Generation: store.GenSidecar, MIME: w.MIME, Size: -1}
		} else {
			delete(c.Attachments, n.ID)
		}
	}
	return c
}
