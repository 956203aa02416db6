package ui

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"lashview/store"
)

// catalogIDs are the ids the random catalog tests draw from, sorted so a
// seed always makes the same choices.
func catalogIDs(n int) []store.ID {
	ids := make([]store.ID, n)
	for i := range ids {
		ids[i] = store.IDOf(sha256.Sum256([]byte(fmt.Sprintf("catalog test %d", i))))
	}
	slices.Sort(ids)
	return ids
}

// randomAttachment makes an attachment for id with few distinct values per
// field, so every order meets ties: equal times, equal sizes, equal and
// blank labels, labels that differ only in case.
func randomAttachment(r *rand.Rand, id store.ID) store.Attachment {
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	a := store.Attachment{
		ID:         id,
		Status:     store.StatusOK,
		HasBlob:    true,
		HasSidecar: true,
		Size:       int64(r.IntN(5)) * 100,
		Modified:   base.Add(time.Duration(r.IntN(8)) * time.Minute),
		MediaType:  []store.MediaType{store.PNG, store.JPEG, store.GIF, ""}[r.IntN(4)],
		Width:      r.IntN(3) * 10,
		Height:     r.IntN(3) * 10,
	}
	if r.IntN(3) == 0 {
		// The same instant in another zone: Equal, but not ==.
		a.Modified = a.Modified.In(time.FixedZone("X", 3600))
	}
	switch r.IntN(8) {
	case 0, 1:
		// no label
	case 2:
		a.Label = ptr("")
	case 3:
		a.Label = ptr("   ")
	default:
		a.Label = ptr([]string{"Cat", "cat", "dog", "Zebra", "a dog", "Ärger", string(id[:12])}[r.IntN(7)])
	}
	if r.IntN(5) == 0 {
		a.Status = []store.Status{store.StatusMissingMeta, store.StatusOrphanMeta, store.StatusBadMeta, store.StatusMetaMismatch}[r.IntN(4)]
		a.Detail = "detail " + string(a.Status)
		a.HasSidecar = a.Status != store.StatusMissingMeta
		a.HasBlob = a.Status != store.StatusOrphanMeta
	}
	if r.IntN(4) == 0 {
		// Meta is not part of what the catalog compares or keeps.
		a.Meta = &store.Sidecar{ID: string(id), MediaType: a.MediaType, ByteLen: uint64(a.Size)}
	}
	return a
}

func ptr[T any](v T) *T { return &v }

// mutate changes at least one thing the grid shows, sorts or filters by.
func mutate(r *rand.Rand, a store.Attachment) store.Attachment {
	orig := a
	for {
		b := randomAttachment(r, a.ID)
		switch r.IntN(9) {
		case 0:
			a.Modified = b.Modified
		case 1:
			a.Size = b.Size
		case 2:
			a.Label = b.Label
		case 3:
			a.MediaType = b.MediaType
		case 4:
			a.Status, a.Detail = b.Status, b.Detail
		case 5:
			a.Width, a.Height = b.Width, b.Height
		case 6:
			a.HasBlob, a.HasSidecar = b.HasBlob, b.HasSidecar
		case 7:
			a.Detail += "!"
		case 8:
			a.Modified = a.Modified.Add(time.Nanosecond)
		}
		if !sameModel(orig, a) {
			return a
		}
	}
}

// same copies an attachment as a new examination would: a fresh label
// pointer, maybe a sidecar, maybe another time zone.
func same(r *rand.Rand, a store.Attachment) store.Attachment {
	if a.Label != nil {
		a.Label = ptr(*a.Label)
	}
	if r.IntN(2) == 0 {
		a.Meta = &store.Sidecar{ID: string(a.ID)}
	}
	if r.IntN(2) == 0 {
		a.Modified = a.Modified.UTC()
	}
	return a
}

// sameModel is the test's own idea of two attachments saying the same:
// every field but the sidecar, times by instant, labels by value. It does
// not use Attachment.Same, so a mistake there shows.
func sameModel(a, b store.Attachment) bool {
	labelEq := (a.Label == nil) == (b.Label == nil) && (a.Label == nil || *a.Label == *b.Label)
	return labelEq && a.Modified.Equal(b.Modified) &&
		a.ID == b.ID && a.Status == b.Status && a.Detail == b.Detail &&
		a.HasBlob == b.HasBlob && a.HasSidecar == b.HasSidecar && a.Size == b.Size &&
		a.MediaType == b.MediaType && a.Width == b.Width && a.Height == b.Height
}

// expectedShown is what a catalog built from scratch over truth shows.
func expectedShown(truth map[store.ID]store.Attachment, order sortOrder, f gridFilter) []store.ID {
	c := newCatalog()
	c.order, c.filter = order, f
	for _, a := range truth {
		c.put(a)
	}
	c.rebuild()
	return slices.Clone(c.shown)
}

// checkCatalog compares c with a catalog built from scratch over truth.
func checkCatalog(t *testing.T, c *catalog, truth map[store.ID]store.Attachment, unknown []store.ID, what string) {
	t.Helper()
	want := expectedShown(truth, c.order, c.filter)
	if !slices.Equal(c.shown, want) {
		t.Fatalf("%s: shown\n%v\nwant (rebuilt from scratch)\n%v", what, shortIDs(c.shown), shortIDs(want))
	}
	if len(c.rows) != len(c.shown) {
		t.Fatalf("%s: %d rows for %d shown", what, len(c.rows), len(c.shown))
	}
	for i, e := range c.rows {
		if e.att.ID != c.shown[i] {
			t.Fatalf("%s: rows[%d] is %s, shown[%d] is %s", what, i, e.att.ID.Short(), i, c.shown[i].Short())
		}
		if c.byID[e.att.ID] != e {
			t.Fatalf("%s: rows[%d] (%s) is not the catalog's entry", what, i, e.att.ID.Short())
		}
	}
	if c.total() != len(truth) {
		t.Fatalf("%s: total %d, want %d", what, c.total(), len(truth))
	}
	var size int64
	for id, a := range truth {
		size += a.Size
		got, ok := c.get(id)
		if !ok || !sameModel(got, a) {
			t.Fatalf("%s: get(%s) = %+v, %v; want %+v", what, id.Short(), got, ok, a)
		}
		if got.Meta != nil {
			t.Fatalf("%s: %s keeps its sidecar", what, id.Short())
		}
	}
	if c.totalSize != size {
		t.Fatalf("%s: totalSize %d, want %d", what, c.totalSize, size)
	}
	at := make(map[store.ID]int, len(want))
	for i, id := range want {
		at[id] = i
	}
	for id := range truth {
		w, ok := at[id]
		if !ok {
			w = -1
		}
		if p := c.position(id); p != w {
			t.Fatalf("%s: position(%s) = %d, want %d", what, id.Short(), p, w)
		}
		// The binary search alone finds it, not only position's fallback.
		if p := c.search(id); p != w {
			t.Fatalf("%s: search(%s) = %d, want %d", what, id.Short(), p, w)
		}
	}
	for _, id := range unknown {
		if _, known := truth[id]; known {
			continue
		}
		if p := c.position(id); p != -1 {
			t.Fatalf("%s: position of unknown %s = %d, want -1", what, id.Short(), p)
		}
	}
}

func shortIDs(ids []store.ID) []string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.Short()[:6]
	}
	return s
}

// TestCatalogApplyMatchesRebuild applies random batches of puts (new,
// unchanged and changed ids, duplicates within a batch) and removes (known,
// unknown, and put in the same batch) under every sort order and a few
// filters, and checks after each that the shown list is what a rebuild
// from scratch gives, that rows agree with it, that position finds every
// shown id and nothing else, and what apply reports.
func TestCatalogApplyMatchesRebuild(t *testing.T) {
	ids := catalogIDs(48)
	pool, unknown := ids[:40], ids[40:]
	filters := []gridFilter{
		{},
		{Query: " CAT "},
		{Query: "dog"},
		{Query: "sha256:" + string(pool[3][:1])},
		{MediaType: store.PNG},
		{ProblemsOnly: true},
		{Query: string(pool[7][:1]), MediaType: store.JPEG},
	}
	orders := []sortOrder{sortNewest, sortOldest, sortLabel, sortSize, sortType}
	rounds, falses := 0, 0
	for _, seed := range []uint64{1, 2, 3} {
		for _, order := range orders {
			for fi, filter := range filters {
				r := rand.New(rand.NewPCG(seed, uint64(order)*100+uint64(fi)))
				c := newCatalog()
				c.order, c.filter = order, filter
				c.rebuild()
				truth := map[store.ID]store.Attachment{}
				for batch := 0; batch < 30; batch++ {
					what := fmt.Sprintf("seed %d, %v, filter %+v, batch %d", seed, order, filter, batch)
					if r.IntN(12) == 0 {
						// The window switches order or filter and rebuilds;
						// later batches merge into that list.
						c.order = orders[r.IntN(len(orders))]
						c.filter = filters[r.IntN(len(filters))]
						c.rebuild()
						checkCatalog(t, c, truth, unknown, what+" (switched)")
					}
					puts, removes := randomBatch(r, pool, truth)
					changed, stepped := applyTruth(truth, puts, removes)
					var got bool
					if len(removes) == 0 && r.IntN(3) == 0 {
						c.add(puts) // what a listing batch calls
						got = stepped
					} else {
						got = c.apply(puts, removes)
					}
					// A batch whose steps undo each other (a known id
					// removed and put back as it was, or changed and
					// changed back) ends where it began, but apply does not
					// look that closely: it may report a change then
					// (harmless), never miss one.
					if changed && !got {
						t.Fatalf("%s: apply reported no change for a batch that changed something (%d puts, %d removes)", what, len(puts), len(removes))
					}
					if got != stepped {
						t.Fatalf("%s: apply reported %v; the batch's steps changed something: %v (%d puts, %d removes)", what, got, stepped, len(puts), len(removes))
					}
					if !got {
						falses++
					}
					rounds++
					checkCatalog(t, c, truth, unknown, what)
				}
			}
		}
	}
	if falses == 0 || falses == rounds {
		t.Fatalf("apply reported false %d times in %d batches: the batches do not cover both cases", falses, rounds)
	}
	t.Logf("%d batches, %d changed nothing", rounds, falses)
}

// randomBatch draws a batch: empty; only unchanged known ids (maybe with
// a remove); or a mix of new, unchanged and changed ids, repeats within the
// batch, removes of known ids (twice, or put back as they were) and of an
// id never known.
func randomBatch(r *rand.Rand, pool []store.ID, truth map[store.ID]store.Attachment) ([]store.Attachment, []store.ID) {
	var puts []store.Attachment
	var removes []store.ID
	known := make([]store.ID, 0, len(truth))
	for _, id := range pool {
		if _, ok := truth[id]; ok {
			known = append(known, id)
		}
	}
	kind := r.IntN(10)
	switch {
	case kind == 0:
		return nil, nil // an empty batch
	case kind <= 2 && len(known) > 0:
		// Only unchanged known ids: nothing changes.
		for n := 1 + r.IntN(5); n > 0; n-- {
			puts = append(puts, same(r, truth[known[r.IntN(len(known))]]))
		}
		if r.IntN(2) == 0 {
			removes = append(removes, pool[r.IntN(len(pool))]) // maybe known
		}
		return puts, removes
	}
	for n := r.IntN(8); n > 0; n-- {
		id := pool[r.IntN(len(pool))]
		old, isKnown := truth[id]
		switch {
		case !isKnown:
			puts = append(puts, randomAttachment(r, id))
		case r.IntN(2) == 0:
			puts = append(puts, same(r, old))
		default:
			puts = append(puts, mutate(r, old))
		}
		if r.IntN(6) == 0 {
			// The same id twice in one batch, as it was or changed again.
			last := puts[len(puts)-1]
			if r.IntN(2) == 0 {
				puts = append(puts, same(r, last))
			} else {
				puts = append(puts, mutate(r, last))
			}
		}
	}
	for n := r.IntN(4); n > 0 && len(known) > 0; n-- {
		id := known[r.IntN(len(known))]
		removes = append(removes, id)
		switch r.IntN(5) {
		case 0:
			removes = append(removes, id) // twice
		case 1:
			puts = append(puts, same(r, truth[id])) // removed and put back as it was
		}
	}
	if r.IntN(4) == 0 {
		removes = append(removes, store.IDOf(sha256.Sum256([]byte{byte(r.IntN(256))}))) // never known
	}
	return puts, removes
}

// applyTruth applies a batch to the model as apply documents it: removes
// first, then puts in order. It reports whether the set of attachments
// changed, and whether any step did: a known id removed, or a put that
// differs from what was known at that point of the batch.
func applyTruth(truth map[store.ID]store.Attachment, puts []store.Attachment, removes []store.ID) (changed, stepped bool) {
	before := make(map[store.ID]store.Attachment, len(truth))
	for id, a := range truth {
		before[id] = a
	}
	for _, id := range removes {
		if _, ok := truth[id]; ok {
			delete(truth, id)
			stepped = true
		}
	}
	for _, a := range puts {
		if old, ok := truth[a.ID]; ok && sameModel(old, a) {
			continue
		}
		truth[a.ID] = a
		stepped = true
	}
	if len(before) != len(truth) {
		return true, stepped
	}
	for id, a := range truth {
		if old, ok := before[id]; !ok || !sameModel(old, a) {
			return true, stepped
		}
	}
	return false, stepped
}

// TestCatalogPositionStaleEntry: an entry replaced by put and not yet
// rebuilt sits out of order; position still finds it.
func TestCatalogPositionStaleEntry(t *testing.T) {
	ids := catalogIDs(20)
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	c := newCatalog()
	var atts []store.Attachment
	for i, id := range ids {
		atts = append(atts, store.Attachment{ID: id, Status: store.StatusOK, Size: int64(i), Modified: base.Add(time.Duration(i) * time.Minute)})
	}
	if !c.apply(atts, nil) {
		t.Fatal("adding 20 reported no change")
	}
	if c.apply(atts, nil) {
		t.Fatal("adding the same 20 again reported a change")
	}
	// The oldest becomes the newest, but the list is not rebuilt.
	moved := atts[0]
	moved.Modified = base.Add(time.Hour)
	c.put(moved)
	if p := c.position(moved.ID); p != len(ids)-1 {
		t.Fatalf("position of the stale entry = %d, want %d (where it still sits)", p, len(ids)-1)
	}
	for i, id := range c.shown {
		if p := c.position(id); p != i {
			t.Fatalf("position(%s) = %d, want %d", id.Short(), p, i)
		}
	}
	c.rebuild()
	if p := c.position(moved.ID); p != 0 {
		t.Fatalf("after rebuild, position = %d, want 0", p)
	}
}
