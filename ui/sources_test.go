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
	"sync/atomic"
	"testing"
	"time"

	"lashview/store"
)

// listingStore writes a store of 60 healthy attachments, a lone sidecar
// (orphan_meta) and a blob without a sidecar (missing_meta), with stray
// temp litter, into a temp folder. Blob mtimes are a minute apart, except
// two pairs that tie across where the ten newest and the ten oldest end;
// sizes are distinct except a pair that ties across where the ten largest
// end. Sidecar
// mtimes are newer than every blob, so a listing that ordered by them
// would be caught.
func listingStore(t *testing.T) *store.Store {
	t.Helper()
	dir := t.TempDir()
	st := store.New(dir)
	lay := st.Layout()
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sideTime := base.Add(24 * time.Hour)
	write := func(path string, data []byte, mt time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	blob := func(i, size int) ([]byte, store.ID) {
		b := bytes.Repeat([]byte{byte(i)}, size)
		copy(b, fmt.Sprintf("blob %d;", i))
		return b, store.IDOf(sha256.Sum256(b))
	}
	// sizeRank is a permutation of 0..59: 7 is prime to 60.
	sizeRank := func(i int) int { return i * 7 % 60 }
	for i := 0; i < 60; i++ {
		mt := base.Add(time.Duration(i) * time.Minute)
		switch i {
		case 50: // ties with 51: the orphan and 59…52 come before them
			mt = base.Add(51 * time.Minute)
		case 9: // ties with 8: the lone blob and 0…7 come before them
			mt = base.Add(8 * time.Minute)
		}
		size := 200 + 4*sizeRank(i)
		if sizeRank(i) == 51 { // ties with rank 50: the lone blob and ranks 59…52 come before them
			size = 200 + 4*50
		}
		data, id := blob(i, size)
		label := fmt.Sprintf("item %02d", i)
		side := store.Sidecar{ID: string(id), MediaType: store.PNG, ByteLen: uint64(len(data)), Label: &label}
		write(lay.Blob(id), data, mt)
		write(lay.Sidecar(id), side.Encode(), sideTime)
	}
	// The orphan is the newest of all by its sidecar's mtime.
	_, orphan := blob(100, 50)
	write(lay.Sidecar(orphan), store.Sidecar{ID: string(orphan), MediaType: store.PNG, ByteLen: 50}.Encode(), base.Add(2*time.Hour))
	// The blob without a sidecar is the oldest and the largest.
	data, lone := blob(101, 5000)
	write(lay.Blob(lone), data, base.Add(-time.Hour))
	write(filepath.Join(lay.PrefixDir(lone), "x.staging.1.tmp"), []byte("litter"), base.Add(3*time.Hour))
	return st
}

// listAll runs listStore to the end and returns its reports.
func listAll(ctx context.Context, st *store.Store, order sortOrder) []loadProgress {
	var mu sync.Mutex
	var reports []loadProgress
	listStore(ctx, st, order, "", nil, func(p loadProgress) {
		mu.Lock()
		reports = append(reports, p)
		mu.Unlock()
	})
	mu.Lock()
	defer mu.Unlock()
	return reports
}

// setFirstRead lowers the early count for one test.
func setFirstRead(t *testing.T, n int) {
	old := firstRead
	firstRead = n
	t.Cleanup(func() { firstRead = old })
}

// scanned is what Scan says of the store, by id.
func scanned(t *testing.T, st *store.Store) (map[store.ID]store.Attachment, []store.Attachment) {
	t.Helper()
	res, err := st.Scan(context.Background(), store.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	by := map[store.ID]store.Attachment{}
	for _, a := range res.Attachments {
		by[a.ID] = a
	}
	return by, res.Attachments
}

// topIDs are the n ids that sort first by the catalog's order.
func topIDs(atts []store.Attachment, order sortOrder, n int) []store.ID {
	es := make([]*entry, len(atts))
	for i, a := range atts {
		es[i] = newEntry(a, nil, nil)
	}
	less := lessFunc(order)
	slices.SortFunc(es, cmpOf(less))
	var ids []store.ID
	for _, e := range es[:min(n, len(es))] {
		ids = append(ids, e.att.ID)
	}
	return ids
}

func idsOf(atts []store.Attachment) []store.ID {
	ids := make([]store.ID, len(atts))
	for i, a := range atts {
		ids[i] = a.ID
	}
	return ids
}

// checkComplete checks that the reports hold every attachment of the
// store exactly once, as Scan sees it, and end in one finished report.
func checkComplete(t *testing.T, reports []loadProgress, want map[store.ID]store.Attachment) {
	t.Helper()
	if len(reports) == 0 {
		t.Fatal("no report")
	}
	for i, p := range reports {
		if p.finished != (i == len(reports)-1) {
			t.Fatalf("report %d of %d: finished %v", i+1, len(reports), p.finished)
		}
		if p.err != nil || len(p.problems) > 0 {
			t.Fatalf("report %d: err %v, problems %v", i+1, p.err, p.problems)
		}
	}
	seen := map[store.ID]int{}
	for i, p := range reports {
		for _, a := range p.found {
			if n := seen[a.ID]; n > 0 {
				t.Errorf("%s reported again in report %d", a.ID.Short(), i+1)
			}
			seen[a.ID]++
			w, ok := want[a.ID]
			switch {
			case !ok:
				t.Errorf("report %d holds %s, which Scan does not list", i+1, a.ID.Short())
			case a.Status != w.Status || a.Size != w.Size || !a.Modified.Equal(w.Modified) ||
				a.HasBlob != w.HasBlob || a.HasSidecar != w.HasSidecar || a.MediaType != w.MediaType ||
				a.DisplayLabel() != w.DisplayLabel():
				t.Errorf("report %d: %s is %s %d bytes %s %q; Scan says %s %d bytes %s %q", i+1, a.ID.Short(),
					a.Status, a.Size, a.Modified, a.DisplayLabel(), w.Status, w.Size, w.Modified, w.DisplayLabel())
			}
		}
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("%s (%s) never reported", id.Short(), want[id].Status)
		}
	}
	last := reports[len(reports)-1]
	if last.done != last.total || last.total == 0 {
		t.Errorf("the last report says %d of %d folders", last.done, last.total)
	}
}

// TestListStoreTopFirst: for the orders a stat can tell, the first report
// is exactly the firstRead attachments that sort first (ties, the orphan's
// sidecar time and the lone blob included), the rest follow once each, and
// the top of the grid does not move while they come in.
func TestListStoreTopFirst(t *testing.T) {
	setFirstRead(t, 10)
	st := listingStore(t)
	want, atts := scanned(t, st)
	if len(want) != 62 {
		t.Fatalf("the store has %d attachments, want 62", len(want))
	}
	for _, order := range []sortOrder{sortNewest, sortOldest, sortSize} {
		t.Run(order.String(), func(t *testing.T) {
			reports := listAll(context.Background(), st, order)
			checkComplete(t, reports, want)
			first := reports[0]
			if first.finished || first.done != 0 {
				t.Fatalf("the first report is not the early batch: finished %v, %d folders done", first.finished, first.done)
			}
			top := topIDs(atts, order, 10)
			// The store is built so that the tenth and eleventh tie on
			// what the order sorts by first (the next key decides), and
			// the orphan or the lone blob is among the ten.
			if t11 := topIDs(atts, order, 11); !tiesFirst(order, want[t11[9]], want[t11[10]]) {
				t.Fatalf("the 10th and 11th do not tie: %+v, %+v", want[t11[9]], want[t11[10]])
			}
			odd := map[sortOrder]store.Status{sortNewest: store.StatusOrphanMeta, sortOldest: store.StatusMissingMeta, sortSize: store.StatusMissingMeta}[order]
			if !slices.ContainsFunc(top, func(id store.ID) bool { return want[id].Status == odd }) {
				t.Fatalf("no %s among the top 10", odd)
			}
			got := idsOf(first.found)
			if !sameSet(got, top) {
				t.Fatalf("the first report holds\n%v\nwant the 10 that sort first\n%v", shortIDs(sorted(got)), shortIDs(sorted(top)))
			}
			// Fed to the catalog as the window does, the first screen is
			// the real top and stays put.
			c := newCatalog()
			c.order = order
			c.rebuild()
			c.add(first.found)
			firstScreen := slices.Clone(c.shown)
			for _, p := range reports[1:] {
				c.add(p.found)
				if !slices.Equal(c.shown[:len(firstScreen)], firstScreen) {
					t.Fatalf("a later batch moved the top: %v, was %v", shortIDs(c.shown[:len(firstScreen)]), shortIDs(firstScreen))
				}
			}
			if !slices.Equal(firstScreen, top) {
				t.Fatalf("top of the grid %v, want %v", shortIDs(firstScreen), shortIDs(top))
			}
		})
	}
}

// TestListStoreNoEarlyBatch: label and type live in the sidecars, so those
// orders list folder by folder from the start.
func TestListStoreNoEarlyBatch(t *testing.T) {
	setFirstRead(t, 10)
	st := listingStore(t)
	want, _ := scanned(t, st)
	for _, order := range []sortOrder{sortLabel, sortType} {
		t.Run(order.String(), func(t *testing.T) {
			reports := listAll(context.Background(), st, order)
			checkComplete(t, reports, want)
			if p := reports[0]; !p.finished && p.done == 0 {
				t.Fatalf("the first report is an early batch of %d before any folder was listed", len(p.found))
			}
		})
	}
}

// TestListStoreEarlyHoldsAll: with firstRead above the store's size the
// early batch is the whole store and the folder listing adds nothing.
func TestListStoreEarlyHoldsAll(t *testing.T) {
	st := listingStore(t)
	want, _ := scanned(t, st)
	reports := listAll(context.Background(), st, sortNewest)
	checkComplete(t, reports, want)
	if len(reports[0].found) != len(want) {
		t.Fatalf("the early batch holds %d of %d", len(reports[0].found), len(want))
	}
}

// TestListStoreEmpty: a store folder without sha256/ lists as empty.
func TestListStoreEmpty(t *testing.T) {
	for _, order := range []sortOrder{sortNewest, sortLabel} {
		reports := listAll(context.Background(), store.New(t.TempDir()), order)
		if len(reports) != 1 || !reports[0].finished || reports[0].err != nil || len(reports[0].found) != 0 {
			t.Fatalf("%v: reports %+v, want one finished empty report", order, reports)
		}
	}
}

// TestListStoreMissingFolder: a store folder that is not there is one
// finished report with an error naming it.
func TestListStoreMissingFolder(t *testing.T) {
	root := filepath.Join(t.TempDir(), "no such store")
	for _, order := range []sortOrder{sortNewest, sortLabel} {
		reports := listAll(context.Background(), store.New(root), order)
		if len(reports) != 1 {
			t.Fatalf("%v: %d reports, want 1", order, len(reports))
		}
		p := reports[0]
		if !p.finished || p.err == nil || !strings.Contains(p.err.Error(), root) || len(p.found) != 0 {
			t.Fatalf("%v: report finished %v, err %v, %d found; want a finished report with an error naming %s", order, p.finished, p.err, len(p.found), root)
		}
	}
}

// TestListStoreCancelled: a listing whose context ends (a newer listing or
// another store replaced it) stops without a finished report.
func TestListStoreCancelled(t *testing.T) {
	setFirstRead(t, 10)
	st := listingStore(t)
	for _, order := range []sortOrder{sortNewest, sortSize, sortLabel, sortType} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for _, p := range listAll(ctx, st, order) {
			if p.finished {
				t.Fatalf("%v: a listing cancelled before it began sent a finished report", order)
			}
		}
	}
	// Cancelled once the early batch is in: the rest never finishes.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var reports []loadProgress
	listStore(ctx, st, sortNewest, "", nil, func(p loadProgress) {
		mu.Lock()
		reports = append(reports, p)
		mu.Unlock()
		cancel()
	})
	mu.Lock()
	defer mu.Unlock()
	if len(reports) == 0 || len(reports[0].found) != 10 {
		t.Fatalf("reports %+v, want the early batch first", reports)
	}
	for _, p := range reports {
		if p.finished {
			t.Fatal("a listing cancelled after its early batch sent a finished report")
		}
	}
}

// tiesFirst reports whether a and b tie on the order's first key.
func tiesFirst(order sortOrder, a, b store.Attachment) bool {
	if order == sortSize {
		return a.Size == b.Size
	}
	return a.Modified.Equal(b.Modified)
}

func sameSet(a, b []store.ID) bool {
	return slices.Equal(sorted(a), sorted(b))
}

func sorted(ids []store.ID) []store.ID {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

// TestListStoreWaitsForTheFirstScreen: after the early batch the listing
// holds back until the window says its first screen is drawn. The wait is
// made an hour, so only the close of shown can end it.
func TestListStoreWaitsForTheFirstScreen(t *testing.T) {
	setFirstRead(t, 10)
	old := firstScreenWait
	firstScreenWait = time.Hour
	t.Cleanup(func() { firstScreenWait = old })
	st := listingStore(t)
	want, _ := scanned(t, st)
	shown := make(chan struct{})
	var released atomic.Bool
	var reports []loadProgress
	listStore(context.Background(), st, sortNewest, "", shown, func(p loadProgress) {
		if len(reports) == 0 {
			// The window draws the first screen a while later.
			go func() {
				time.Sleep(50 * time.Millisecond)
				released.Store(true)
				close(shown)
			}()
		} else if !released.Load() {
			t.Errorf("report %d (%d attachments) came before the first screen was drawn", len(reports), len(p.found))
		}
		reports = append(reports, p)
	})
	if len(reports) < 2 || len(reports[0].found) != 10 {
		t.Fatalf("%d reports, the first with %d attachments; want the 10 first, then the rest", len(reports), len(reports[0].found))
	}
	checkComplete(t, reports, want)
}
