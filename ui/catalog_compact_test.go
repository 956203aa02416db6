package ui

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"lashview/store"
)

// The catalog gives back every attachment exactly as it was put (less the
// decoded sidecar, which it never kept), however its fields vary, and
// what it keeps per attachment is much smaller than the attachment.
func TestCatalogKeepsWhatWasPut(t *testing.T) {
	label, blank := "a label", "  "
	var atts []store.Attachment
	for i, st := range []store.Status{store.StatusOK, store.StatusMissingMeta, store.StatusOrphanMeta, store.StatusBadMeta, store.StatusMetaMismatch, store.StatusSymlink} {
		for j, l := range []*string{nil, &label, &blank} {
			atts = append(atts, store.Attachment{
				ID: store.ID(strings.Repeat(string("0123456789abcdef"[i]), 62) + string("0123456789abcdef"[j]) + "0"), Status: st,
				Detail: map[bool]string{true: "", false: "why " + string(st)}[st == store.StatusOK], HasBlob: j != 1, HasSidecar: j != 2,
				Size: int64(100*i + j), Modified: time.Unix(int64(i), int64(j)).In(time.FixedZone("z", 3600*j)), MediaType: store.PNG,
				Width: 640 + j, Height: 480, Label: l, MIME: "image/png", Generation: store.GenSidecar,
				Meta: &store.Sidecar{ID: "x"},
			})
		}
	}
	c := newCatalog()
	c.add(atts)
	for _, a := range atts {
		got, ok := c.get(a.ID)
		want := a
		want.Meta = nil
		if !ok || !got.Same(want) || got.Meta != nil || got.Label != want.Label || !got.Modified.Equal(want.Modified) || got.Modified.Location() != want.Modified.Location() {
			t.Errorf("%s: got %+v, put %+v", a.ID.Short(), got, want)
		}
	}
	// Entries that differ only in the shared part's fields share it.
	if c.byID[atts[0].ID].att.rest == c.byID[atts[3].ID].att.rest {
		t.Error("two statuses share one rest")
	}
	b := atts[0]
	b.ID = store.ID(strings.Repeat("e", 64))
	c.add([]store.Attachment{b})
	if c.byID[atts[0].ID].att.rest != c.byID[b.ID].att.rest {
		t.Error("two entries that say the same do not share their rest")
	}
}

// The retained heap of a catalog of 20,000 attachments (runtime.MemStats,
// the ids and labels kept alive outside it) is under 240 bytes an
// attachment; whole attachments in their entries took about 290.
func TestCatalogIsCompact(t *testing.T) {
	const n = 20000
	label := "a label"
	atts := make([]store.Attachment, n)
	for i := range atts {
		id := []byte(strings.Repeat("0", 64))
		for j, v := 63, i; v > 0; j, v = j-1, v/16 {
			id[j] = "0123456789abcdef"[v%16]
		}
		atts[i] = store.Attachment{ID: store.ID(id), Status: store.StatusOK, HasBlob: true, HasSidecar: true, Size: int64(i),
			Modified: time.Unix(int64(i), 0), MediaType: store.PNG, Width: 64, Height: 64, Label: &label, MIME: "image/png", Generation: store.GenSidecar}
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	h0 := heap()
	c := newCatalog()
	c.add(atts)
	h1 := heap()
	runtime.KeepAlive(c)
	runtime.KeepAlive(atts)
	per := (int64(h1) - int64(h0)) / n
	t.Logf("%d bytes an attachment", per)
	if per > 240 {
		t.Errorf("the catalog keeps %d bytes an attachment", per)
	}
}
