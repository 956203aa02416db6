package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"lashview/store"
)

// listIndexed runs listStore with a listing index at index to the end.
func listIndexed(t *testing.T, st *store.Store, order sortOrder, index string) []loadProgress {
	t.Helper()
	var mu sync.Mutex
	var reports []loadProgress
	listStore(context.Background(), st, order, index, nil, func(p loadProgress) {
		mu.Lock()
		reports = append(reports, p)
		mu.Unlock()
	})
	mu.Lock()
	defer mu.Unlock()
	return reports
}

// mergeAsWindow feeds reports to a catalog as the window's applyListing
// does (what came from the index is not vouched for; ids the listing never
// read are dropped at its end). It returns the catalog and the top of the
// grid before the first folder of the listing came in: the first screen.
func mergeAsWindow(reports []loadProgress, order sortOrder) (*catalog, []store.ID) {
	c := newCatalog()
	c.order = order
	c.rebuild()
	seen := map[store.ID]bool{}
	var first []store.ID
	for _, p := range reports {
		if first == nil && (p.done > 0 || p.finished) {
			first = slices.Clone(c.shown[:min(firstRead, len(c.shown))])
		}
		for _, a := range p.found {
			if !p.fromIndex {
				seen[a.ID] = true
			}
		}
		c.add(p.found)
		if p.finished {
			var gone []store.ID
			for id := range c.byID {
				if !seen[id] {
					gone = append(gone, id)
				}
			}
			c.apply(nil, gone)
		}
	}
	return c, first
}

// checkAgreesWithScan checks the catalog holds exactly what Scan lists now,
// each as Scan judges it.
func checkAgreesWithScan(t *testing.T, c *catalog, st *store.Store) {
	t.Helper()
	want, _ := scanned(t, st)
	for id, w := range want {
		e := c.byID[id]
		switch {
		case e == nil:
			t.Errorf("%s (%s) is missing from the listing", id.Short(), w.Status)
		case !e.att.Same(w):
			t.Errorf("%s is listed as %s %q %d bytes; Scan says %s %q %d bytes", id.Short(), e.att.Status(), e.att.DisplayLabel(), e.att.Size, w.Status, w.DisplayLabel(), w.Size)
		}
	}
	for id := range c.byID {
		if _, ok := want[id]; !ok {
			t.Errorf("%s is listed but is not in the store", id.Short())
		}
	}
}

// addAttachment writes a new labelled blob and its sidecar with mtime mt.
func addAttachment(t *testing.T, st *store.Store, seed int, mt time.Time) store.ID {
	t.Helper()
	data := bytes.Repeat([]byte{byte(seed)}, 300)
	copy(data, fmt.Sprintf("added blob %d;", seed))
	id := store.IDOf(sha256.Sum256(data))
	label := fmt.Sprintf("added %d", seed)
	side := store.Sidecar{ID: string(id), MediaType: store.PNG, ByteLen: uint64(len(data)), Label: &label}
	lay := st.Layout()
	if err := os.MkdirAll(lay.PrefixDir(id), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, b := range map[string][]byte{lay.Blob(id): data, lay.Sidecar(id): side.Encode()} {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// TestListingIndexNeverWrong: a listing that starts from an index written
// before the store changed (a blob added or removed, a folder's time
// changed, a sidecar edited in place, the index torn, truncated or another
// store's) ends with exactly what Scan lists, shows a first screen that is
// the store's real top whenever a folder's names changed, and uses the
// index at all only when it is the store's own.
func TestListingIndexNeverWrong(t *testing.T) {
	setFirstRead(t, 10)
	order := sortNewest
	cases := []struct {
		name   string
		change func(t *testing.T, st *store.Store, top []store.ID, index string)
		// useIndex: the index is the store's own and whole, so the first
		// screen comes from it.
		useIndex bool
		// firstTrue: the first screen must be the store's real top (the
		// change added or removed a name, so its folder is read again).
		firstTrue bool
	}{
		{"unchanged", func(*testing.T, *store.Store, []store.ID, string) {}, true, true},
		{"a blob added", func(t *testing.T, st *store.Store, _ []store.ID, _ string) {
			addAttachment(t, st, 500, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		}, true, true},
		{"the newest removed", func(t *testing.T, st *store.Store, top []store.ID, _ string) {
			lay := st.Layout()
			for _, p := range []string{lay.Blob(top[0]), lay.Sidecar(top[0])} {
				if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
		}, true, true},
		{"a folder's mtime changed", func(t *testing.T, st *store.Store, top []store.ID, _ string) {
			old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
			if err := os.Chtimes(st.Layout().PrefixDir(top[1]), old, old); err != nil {
				t.Fatal(err)
			}
		}, true, true},
		{"a sidecar relabelled in place", func(t *testing.T, st *store.Store, top []store.ID, _ string) {
			// Rewritten in place, no name added: the folder's stamp stays,
			// so only the check after the first screen can see it.
			path := st.Layout().Sidecar(top[2])
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			a, ok := st.Examine(top[2])
			if !ok || a.Meta == nil {
				t.Fatalf("%s has no sidecar", top[2].Short())
			}
			side := *a.Meta
			label := "relabelled by hand"
			side.Label = &label
			if err := os.WriteFile(path, side.Encode(), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}, true, false},
		{"the index names an id the store lacks", func(t *testing.T, st *store.Store, top []store.ID, index string) {
			// An index that is wrong although every stamp matches (a
			// clock that stood still, a bug): the check after the first
			// screen still takes the phantom out.
			ix, err := store.ReadHintIndex(index, st.Root())
			if err != nil {
				t.Fatal(err)
			}
			p := top[0].Prefix()
			phantom := store.ID(p + strings.Repeat("0", 62))
			mt := time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)
			f := ix.Folders[p]
			f.Hints = append(f.Hints, store.Hint{ID: phantom, Size: 9, Modified: mt})
			ix.Folders[p] = f
			label := "phantom"
			ix.Head = append(ix.Head, store.Attachment{ID: phantom, Status: store.StatusOK, HasBlob: true, HasSidecar: true,
				Size: 9, Modified: mt, MediaType: store.PNG, Label: &label, Generation: store.GenSidecar})
			if err := store.WriteHintIndex(index, ix); err != nil {
				t.Fatal(err)
			}
		}, true, false},
		{"the index torn", func(t *testing.T, _ *store.Store, _ []store.ID, index string) {
			data, err := os.ReadFile(index)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/3] ^= 0xff
			if err := os.WriteFile(index, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, true},
		{"the index truncated", func(t *testing.T, _ *store.Store, _ []store.ID, index string) {
			data, err := os.ReadFile(index)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(index, data[:len(data)/2], 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, true},
		{"the index of another store", func(t *testing.T, st *store.Store, _ []store.ID, index string) {
			other := listingStore(t)
			addAttachment(t, other, 600, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
			otherIndex := store.HintIndexPath(t.TempDir(), other.Root())
			if _, c := mergeAsWindow(listIndexed(t, other, order, otherIndex), order); len(c) == 0 {
				t.Fatal("no first screen of the other store")
			}
			data, err := os.ReadFile(otherIndex)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(index, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := listingStore(t)
			index := store.HintIndexPath(t.TempDir(), st.Root())
			// The first listing has no index to start from, and writes it.
			reports := listIndexed(t, st, order, index)
			c, _ := mergeAsWindow(reports, order)
			checkAgreesWithScan(t, c, st)
			if slices.ContainsFunc(reports, func(p loadProgress) bool { return p.fromIndex }) {
				t.Fatal("a listing without an index reported attachments from one")
			}
			if _, err := os.Stat(index); err != nil {
				t.Fatalf("the listing wrote no index: %v", err)
			}
			_, atts := scanned(t, st)
			time.Sleep(10 * time.Millisecond) // coarse-timestamp filesystems
			tc.change(t, st, topIDs(atts, order, 3), index)

			reports = listIndexed(t, st, order, index)
			c, first := mergeAsWindow(reports, order)
			checkAgreesWithScan(t, c, st)
			used := slices.ContainsFunc(reports, func(p loadProgress) bool { return p.fromIndex })
			if used != tc.useIndex {
				t.Fatalf("the listing took attachments from the index: %v, want %v", used, tc.useIndex)
			}
			_, atts = scanned(t, st)
			if top := topIDs(atts, order, 10); tc.firstTrue && !slices.Equal(first, top) {
				t.Fatalf("first screen %v, want the store's top %v", shortIDs(first), shortIDs(top))
			}
			// And the index it wrote this time is right from the start.
			reports = listIndexed(t, st, order, index)
			c, first = mergeAsWindow(reports, order)
			checkAgreesWithScan(t, c, st)
			if top := topIDs(atts, order, 10); !slices.Equal(first, top) {
				t.Fatalf("after the index was written again: first screen %v, want %v", shortIDs(first), shortIDs(top))
			}
			if !slices.ContainsFunc(reports, func(p loadProgress) bool { return p.fromIndex }) {
				t.Fatal("the index written by the last listing was not used")
			}
		})
	}
}

// TestWindowListingIndex: the window keeps the index where its Config says
// (never in the store) and, opened again on a store changed meanwhile,
// lists exactly what is there.
func TestWindowListingIndex(t *testing.T) {
	dir, _ := cleanStore(t)
	indexDir := t.TempDir()
	withIndex := func(c *Config) { c.ListingIndexDir = indexDir }
	st := store.New(dir)
	before := treeNames(t, dir)
	h := newHarness(t, dir, withIndex)
	h.loaded()
	checkAgreesWithScan(t, h.b.cat, st)
	h.b.Close()
	h.loop.drain()
	if _, err := os.Stat(store.HintIndexPath(indexDir, dir)); err != nil {
		t.Fatalf("the window left no listing index: %v", err)
	}
	if after := treeNames(t, dir); !slices.Equal(after, before) {
		t.Fatalf("the store's names changed while listing it: %v, was %v", after, before)
	}

	added := addAttachment(t, st, 700, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	_, atts := scanned(t, st)
	gone := topIDs(atts, sortNewest, 2)[1]
	for _, p := range []string{st.Layout().Blob(gone), st.Layout().Sidecar(gone)} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	h2 := newHarness(t, dir, withIndex)
	h2.loaded()
	checkAgreesWithScan(t, h2.b.cat, st)
	if len(h2.b.cat.shown) == 0 || h2.b.cat.shown[0] != added {
		t.Fatalf("the newest is not first: %v", shortIDs(h2.b.cat.shown[:min(3, len(h2.b.cat.shown))]))
	}
}

// treeNames lists every path under dir, sorted.
func treeNames(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		out = append(out, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
