package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"lashview/store"
)

func TestCopyName(t *testing.T) {
	id := store.ID("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	s := func(v string) *string { return &v }
	for _, c := range []struct {
		label *string
		mt    store.MediaType
		mime  string
		want  string
	}{
		{nil, store.PNG, "image/png", "0123456789ab.png"},
		{s("  "), store.JPEG, "image/jpeg", "0123456789ab.jpg"},
		{s("holiday.png"), store.PNG, "image/png", "holiday.png"},
		{s("holiday.PNG"), store.PNG, "image/png", "holiday.PNG"},
		{s("scan.png"), store.JPEG, "image/jpeg", "scan.jpg"},
		{s("a/b\nc"), store.GIF, "image/gif", "a_b c.gif"},
		{s("notes"), "", "", "notes"},
		{nil, "", "application/pdf", "0123456789ab.pdf"},
		{s("checkout spec"), "", "application/pdf", "checkout spec.pdf"},
		{s("device-log.bin"), "", "application/octet-stream", "device-log.bin"},
	} {
		a := store.Attachment{ID: id, Label: c.label, MediaType: c.mt, MIME: c.mime}
		if got := copyName(a); got != c.want {
			t.Errorf("copyName(%v, %s) = %q, want %q", c.label, c.mt, got, c.want)
		}
	}
}

// The copy "Open with…" hands to the desktop holds the blob's bytes under a
// name with the right extension; the store is not touched.
func TestExportTemp(t *testing.T) {
	dir, newest := cleanStore(t)
	st := store.New(dir)
	before := snapshot(t, dir)
	a, ok := st.Examine(newest[0])
	if !ok {
		t.Fatal("no attachment")
	}
	path, err := exportTemp(context.Background(), store.Folder(st), a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	data, _, err := st.Get(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("the exported copy differs from the blob (%v)", err)
	}
	if filepath.Ext(path) != a.MediaType.Ext() {
		t.Errorf("exported as %s, want the extension %s", path, a.MediaType.Ext())
	}
	sameFiles(t, "after the export", snapshot(t, dir), before)
}
