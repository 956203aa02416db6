package store_test

import (
	"testing"

	"lashview/internal/storecases"
	"lashview/store"
)

// TestConformance runs every reader of the store over every case of the
// conformance table: each must say the same of each attachment.
func TestConformance(t *testing.T) {
	for _, c := range storecases.Cases(t) {
		t.Run(c.Name, func(t *testing.T) {
			s, err := store.Open(c.Root, c.Options)
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Scan(t.Context(), store.ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			storecases.CheckScan(t, "Scan", res, c)

			// Examine, one id at a time, as the watcher asks.
			fresh, err := store.Open(c.Root, c.Options)
			if err != nil {
				t.Fatal(err)
			}
			for id, w := range c.Attachments {
				a, ok := fresh.Examine(id)
				if !ok {
					t.Errorf("Examine %s: not found", id.Short())
					continue
				}
				storecases.Check(t, "Examine", a, w)
			}

			// Folder by folder, as the window reads a large store.
			prefixes, err := fresh.Prefixes()
			if err != nil {
				t.Fatal(err)
			}
			byPrefix := map[store.ID]store.Attachment{}
			hinted := map[store.ID]bool{}
			for _, p := range prefixes {
				atts, _, err := fresh.ScanPrefix(p)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range atts {
					byPrefix[a.ID] = a
				}
				hints, err := fresh.HintPrefix(p)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range hints {
					hinted[h.ID] = true
				}
			}
			for id, w := range c.Attachments {
				a, ok := byPrefix[id]
				if !ok {
					// A symbolic link into a prefix folder's place is listed
					// by Scan only.
					if w.Status != store.StatusSymlink {
						t.Errorf("ScanPrefix missed %s", id.Short())
					}
					continue
				}
				storecases.Check(t, "ScanPrefix", a, w)
				if !hinted[id] && w.Status != store.StatusSymlink {
					t.Errorf("HintPrefix missed %s", id.Short())
				}
			}

			// The folder read as objects, through the rules a bucket is
			// read by (store.Objects over store.DirBackend).
			oc := storecases.WithoutLinks(t, c, storecases.Links(t, c.Root))
			objs := store.NewObjects(store.DirBackend{Root: c.Root}, c.Options)
			ores, err := objs.Scan(t.Context(), store.ScanOptions{Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			storecases.CheckScan(t, "Objects.Scan", ores, oc)
			ofresh := store.NewObjects(store.DirBackend{Root: c.Root}, c.Options)
			for id, w := range oc.Attachments {
				a, ok, err := ofresh.Examine(t.Context(), id)
				if err != nil || !ok {
					t.Errorf("Objects.Examine %s: %v %v", id.Short(), ok, err)
					continue
				}
				storecases.Check(t, "Objects.Examine", a, w)
			}
		})
	}
}
