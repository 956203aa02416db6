package store_test

import (
	"maps"
	"slices"
	"testing"

	"lashview/internal/storecases"
	"lashview/store"
)

// check compares what a reader said of one attachment with the case.
func check(t *testing.T, reader string, a store.Attachment, w storecases.Want) {
	t.Helper()
	if a.Status != w.Status || a.Generation != w.Generation {
		t.Errorf("%s %s: status %s generation %s, want %s %s (%s)", reader, a.ID.Short(), a.Status, a.Generation, w.Status, w.Generation, a.Detail)
	}
	if w.MIME != "" && a.MIME != w.MIME {
		t.Errorf("%s %s: MIME %q, want %q", reader, a.ID.Short(), a.MIME, w.MIME)
	}
	if w.Size >= 0 && a.Size != w.Size {
		t.Errorf("%s %s: size %d, want %d", reader, a.ID.Short(), a.Size, w.Size)
	}
	wantRef := "sha256:" + a.ID.String()
	if w.Generation == store.GenBlobOnly {
		wantRef = "lash-attachment://sha256/" + a.ID.String()
	}
	if got := a.Reference(); got != wantRef {
		t.Errorf("%s %s: reference %s, want %s", reader, a.ID.Short(), got, wantRef)
	}
}

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
			got := map[store.ID]store.Attachment{}
			for _, a := range res.Attachments {
				got[a.ID] = a
			}
			if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(c.Attachments)); !slices.Equal(g, w) {
				t.Fatalf("Scan listed %v\nwant %v", g, w)
			}
			for id, w := range c.Attachments {
				check(t, "Scan", got[id], w)
			}
			finds := map[string]store.FindingKind{}
			for _, f := range res.Findings {
				finds[f.Path] = f.Kind
			}
			if !maps.Equal(finds, c.Findings) {
				t.Errorf("Scan findings %v\nwant %v", finds, c.Findings)
			}

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
				check(t, "Examine", a, w)
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
				check(t, "ScanPrefix", a, w)
				if !hinted[id] && w.Status != store.StatusSymlink {
					t.Errorf("HintPrefix missed %s", id.Short())
				}
			}
		})
	}
}
