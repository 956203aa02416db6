package sessions

import (
	"path/filepath"
	"testing"

	"lashview/internal/storecases"
	"lashview/store"
)

// OpenStore takes the store's generation from the session databases beside
// it: in mixed/ the alpha.110 database makes the g3 blobs healthy blob-only
// ones; in alpha43/ the store keeps sidecars.
func TestOpenStoreFromSessions(t *testing.T) {
	for _, c := range []struct {
		set    string
		writes store.Generation
	}{{"alpha43", store.GenSidecar}, {"alpha111", store.GenBlobOnly}, {"mixed", store.GenBlobOnly}} {
		home := storecases.CopyHome(t, c.set)
		root := filepath.Join(home, "attachments")
		src, err := Locate("", root)
		if err != nil || src.Dir != filepath.Join(home, "sessions") {
			t.Fatalf("%s: located %+v %v", c.set, src, err)
		}
		s, err := OpenStore(root, src)
		if err != nil {
			t.Fatalf("%s: %v", c.set, err)
		}
		if g := s.Writes(); g != c.writes {
			t.Errorf("%s: writes %s, want %s", c.set, g, c.writes)
		}
		if c.set == "mixed" {
			// 35fd0c90… is a g3 blob beside g1 pairs: healthy only when the
			// alpha.110 database is taken into account.
			a, ok := s.Examine("35fd0c90ba9c26233d9272b9c309f38dcef87cd53038d3fb3af3db25ad72541d")
			if !ok || a.Status != store.StatusOK || a.Generation != store.GenBlobOnly {
				t.Errorf("mixed g3 blob: %+v", a)
			}
			alone, err := store.Open(root, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if a, _ := alone.Examine(a.ID); a.Status != store.StatusMissingMeta {
				t.Errorf("without its sessions the mixed store's g3 blob is %s, want missing_meta", a.Status)
			}
		}
	}
}
