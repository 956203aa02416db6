package watcher

import (
	"reflect"
	"runtime"
	"testing"
	"time"

	"lashview/store"
)

// Every field store.Attachment.Same compares changes the fingerprint, so a
// change to any of them is reported; Meta, which Same leaves out, does not,
// and neither does the time's zone or monotonic reading.
func TestFingerprintCoversEveryField(t *testing.T) {
	label := "a label"
	base := store.Attachment{
		ID:     store.ID("ab" + string(make([]byte, 0)) + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"),
		Status: store.StatusOK, Detail: "", HasBlob: true, HasSidecar: true, Size: 1234,
		Modified: time.Date(2026, 11, 30, 2, 0, 0, 5, time.UTC), MediaType: "png", Width: 640, Height: 480,
		Label: &label, MIME: "image/png", Generation: "sidecar",
	}
	f := newFingerprints()
	was := f.of(base)
	typ := reflect.TypeOf(base)
	for i := 0; i < typ.NumField(); i++ {
		field := typ.Field(i)
		changed := base
		v := reflect.ValueOf(&changed).Elem().Field(i)
		switch field.Name {
		case "Meta":
			changed.Meta = &store.Sidecar{}
		case "Label":
			other := "another label"
			changed.Label = &other
		case "Modified":
			changed.Modified = base.Modified.Add(time.Nanosecond)
		default:
			switch v.Kind() {
			case reflect.String:
				v.SetString(v.String() + "x")
			case reflect.Bool:
				v.SetBool(!v.Bool())
			case reflect.Int, reflect.Int64:
				v.SetInt(v.Int() + 1)
			default:
				t.Fatalf("store.Attachment.%s (%s): teach the fingerprint and this test about it", field.Name, v.Kind())
			}
		}
		if same := f.of(changed) == was; same != base.Same(changed) {
			t.Errorf("%s changed: fingerprints equal %t, Same %t", field.Name, same, base.Same(changed))
		}
	}
	// No label and an empty label differ, as in Same.
	empty := ""
	noLabel, emptyLabel := base, base
	noLabel.Label, emptyLabel.Label = nil, &empty
	if f.of(noLabel) == f.of(emptyLabel) {
		t.Error("no label and an empty label fingerprint alike")
	}
	// The same instant in another zone, with a monotonic reading: the same.
	local := base
	local.Modified = base.Modified.In(time.FixedZone("x", 3600))
	if f.of(local) != was {
		t.Error("the same instant in another zone fingerprints differently")
	}
	now := time.Now()
	a, b := base, base
	a.Modified, b.Modified = now, now.Round(0).UTC()
	if f.of(a) != f.of(b) {
		t.Error("a monotonic reading changes the fingerprint")
	}
	// Strings are delimited: moving a character between two fields differs.
	x, y := base, base
	x.MIME, x.Generation = "image/pngs", "idecar"
	y.MIME, y.Generation = "image/png", "sidecar"
	if f.of(x) == f.of(y) {
		t.Error("a character moved between two fields fingerprints alike")
	}
}

// A removed id's event carries its id and, as last reported, the status,
// size and time; a zero time stays zero.
func TestRemovedCarriesWhatWasReported(t *testing.T) {
	f := newFingerprints()
	a := store.Attachment{ID: "cd0123", Status: store.StatusMissingMeta, Size: 99, Modified: time.Date(2025, 1, 2, 3, 4, 5, 6, time.Local), HasBlob: true}
	got := f.removed(a.ID, f.of(a))
	if got.ID != a.ID || got.Status != a.Status || got.Size != a.Size || !got.Modified.Equal(a.Modified) {
		t.Errorf("removed: %+v, reported %+v", got, a)
	}
	a.Modified = time.Time{}
	if got := f.removed(a.ID, f.of(a)); !got.Modified.IsZero() {
		t.Errorf("a zero time came back as %v", got.Modified)
	}
	// A status the watcher has not met before comes back too.
	a.Status = "a status of a later lashview"
	if got := f.removed(a.ID, f.of(a)); got.Status != a.Status {
		t.Errorf("status %q came back as %q", a.Status, got.Status)
	}
}

// What the watcher keeps per id is far smaller than the attachments it
// reported: the retained heap of known for 20,000 ids (each id string its
// own, as a folder listing gives them), measured with runtime.MemStats, is
// under half of a map of the attachments themselves (as the watcher kept
// before).
func TestKnownIsCompact(t *testing.T) {
	const n = 20000
	label := "a label that a person gave"
	att := func(i int) store.Attachment {
		return store.Attachment{ID: store.ID(hex64(i)), Status: store.StatusOK, HasBlob: true, HasSidecar: true, Size: int64(i),
			Modified: time.Unix(int64(i), 0), MediaType: "png", Width: 64, Height: 64, Label: &label, MIME: "image/png", Generation: "sidecar"}
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	f := newFingerprints()
	h0 := heap()
	compact := newKnownIDs()
	for i := range n {
		a := att(i)
		compact.set(a.ID, f.of(a))
	}
	h1 := heap()
	whole := make(map[store.ID]store.Attachment)
	for i := range n {
		a := att(i)
		whole[a.ID] = a
	}
	h2 := heap()
	runtime.KeepAlive(compact)
	runtime.KeepAlive(whole)
	kept, before := int64(h1)-int64(h0), int64(h2)-int64(h1)
	t.Logf("known for %d ids: %d bytes (%d a id); whole attachments: %d bytes (%d a id)", n, kept, kept/n, before, before/n)
	if kept*2 > before {
		t.Errorf("known keeps %d bytes for %d ids, whole attachments %d: not under half", kept, n, before)
	}
}

func hex64(i int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, store.IDLen)
	for j := range b {
		b[j] = '0'
	}
	for j := len(b) - 1; i > 0 && j >= 0; j-- {
		b[j] = digits[i%16]
		i /= 16
	}
	return string(b)
}

// The known set answers for every id it was given, lists them whole or by
// prefix folder (also when the caller deletes as it goes), and keeps ids
// that are not hex right too.
func TestKnownIDs(t *testing.T) {
	m := newKnownIDs()
	f := newFingerprints()
	ids := []store.ID{store.ID(hex64(1)), store.ID("ab" + hex64(2)[2:]), store.ID("ab" + hex64(3)[2:]), "not-hex", "abZ"}
	for i, id := range ids {
		m.set(id, f.of(store.Attachment{ID: id, Size: int64(i)}))
	}
	for i, id := range ids {
		if s, ok := m.get(id); !ok || s.size != int64(i) {
			t.Errorf("%s: %+v %t", id, s, ok)
		}
	}
	if _, ok := m.get(store.ID(hex64(4))); ok {
		t.Error("an id never set is known")
	}
	collect := func(prefix string) map[store.ID]bool {
		got := map[store.ID]bool{}
		m.each(prefix, func(id store.ID) { got[id] = true })
		return got
	}
	if got := collect(""); len(got) != len(ids) {
		t.Errorf("each: %v", got)
	}
	if got := collect("ab"); len(got) != 3 || !got[ids[1]] || !got[ids[2]] || !got["abZ"] {
		t.Errorf("each in ab: %v", got)
	}
	m.each("", func(id store.ID) { m.del(id) })
	if got := collect(""); len(got) != 0 {
		t.Errorf("after deleting every id: %v", got)
	}
}
