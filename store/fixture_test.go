package store

import (
	"context"
	"encoding/json"
	"lashview/internal/fixture"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func fixtures(t testing.TB) string { return fixture.Dir(t) }

func copyFixture(t testing.TB, name string) string { return fixture.Copy(t, name) }

type expected struct {
	Attachments map[string]struct {
		Scan   string `json:"scan"`
		Verify string `json:"verify"`
	} `json:"attachments"`
	Findings []struct {
		Path string `json:"path"`
		Kind string `json:"kind"`
	} `json:"findings"`
}

func readExpected(t testing.TB, name string) expected {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures(t), name))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// treeState records every path under root with its mode, size, mtime and
// link target, to prove a read-only operation changed nothing.
func treeState(t testing.TB, root string) map[string]string {
	t.Helper()
	st := map[string]string{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		v := fi.Mode().String() + " " + fi.ModTime().String()
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(data)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			v += " -> " + target
		}
		st[p] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestScanMessyMatchesExpected(t *testing.T) {
	root := copyFixture(t, "messy")
	before := treeState(t, root)
	res, err := New(root).Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := readExpected(t, "messy.expected.json")
	got := map[string]string{}
	for _, a := range res.Attachments {
		got[string(a.ID)] = string(a.Status)
	}
	if len(got) != len(want.Attachments) {
		t.Errorf("scan found %d attachments, want %d", len(got), len(want.Attachments))
	}
	for id, w := range want.Attachments {
		if got[id] != w.Scan {
			t.Errorf("attachment %s: status %q, want %q", id[:12], got[id], w.Scan)
		}
	}
	gotF := map[string]string{}
	for _, f := range res.Findings {
		gotF[f.Path] = string(f.Kind)
	}
	if len(gotF) != len(want.Findings) {
		t.Errorf("scan found %d findings, want %d: %v", len(gotF), len(want.Findings), gotF)
	}
	for _, f := range want.Findings {
		if gotF[f.Path] != f.Kind {
			t.Errorf("finding %s: kind %q, want %q", f.Path, gotF[f.Path], f.Kind)
		}
	}
	after := treeState(t, root)
	if len(before) != len(after) {
		t.Fatalf("scan changed the tree: %d paths before, %d after", len(before), len(after))
	}
	for p, v := range before {
		if after[p] != v {
			t.Errorf("scan changed %s", p)
		}
	}
}

func TestScanCleanAllOK(t *testing.T) {
	res, err := New(filepath.Join(fixtures(t), "clean")).Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attachments) != 17 || len(res.Findings) != 0 {
		t.Fatalf("clean: %d attachments, %d findings; want 17, 0", len(res.Attachments), len(res.Findings))
	}
	for _, a := range res.Attachments {
		if a.Status != StatusOK || a.MediaType == "" {
			t.Errorf("%s: status %s type %q (%s)", a.ID.Short(), a.Status, a.MediaType, a.Detail)
		}
	}
}

func TestExamineAgreesWithScan(t *testing.T) {
	root := copyFixture(t, "messy")
	s := New(root)
	res, err := s.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Attachments {
		b, ok := s.Examine(a.ID)
		if !ok || b.Status != a.Status || b.Size != a.Size || b.MediaType != a.MediaType || !b.Modified.Equal(a.Modified) {
			t.Errorf("%s: Examine %v %+v, Scan %+v", a.ID.Short(), ok, b, a)
		}
	}
	if _, ok := s.Examine(ID("00000000000000000000000000000000000000000000000000000000000000aa")); ok {
		t.Error("Examine found an id that is not there")
	}
}

// The window reads a store folder by folder (ScanPrefix) after ordering it
// by hints (HintPrefix): together they must say what Scan says.
func TestPrefixListingAgreesWithScan(t *testing.T) {
	for _, name := range []string{"clean", "messy"} {
		t.Run(name, func(t *testing.T) {
			s := New(copyFixture(t, name))
			res, err := s.Scan(context.Background(), ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			prefixes, err := s.Prefixes()
			if err != nil {
				t.Fatal(err)
			}
			byID := map[ID]Attachment{}
			hints := map[ID]Hint{}
			for _, p := range prefixes {
				atts, _, err := s.ScanPrefix(p)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range atts {
					byID[a.ID] = a
				}
				hs, err := s.HintPrefix(p)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range hs {
					hints[h.ID] = h
				}
			}
			if len(byID) != len(res.Attachments) {
				t.Fatalf("ScanPrefix found %d attachments, Scan %d", len(byID), len(res.Attachments))
			}
			for _, a := range res.Attachments {
				b, ok := byID[a.ID]
				if !ok || b.Status != a.Status || b.Size != a.Size || !b.Modified.Equal(a.Modified) || b.Detail != a.Detail {
					t.Errorf("%s: ScanPrefix %+v, Scan %+v", a.ID.Short(), b, a)
				}
				h, ok := hints[a.ID]
				if a.Status == StatusSymlink {
					continue // hints skip links: Scan's word on them is the one that counts
				}
				if !ok {
					t.Errorf("%s (%s): no hint", a.ID.Short(), a.Status)
					continue
				}
				if !h.Modified.Equal(a.Modified) || (a.HasBlob && h.Size != a.Size) {
					t.Errorf("%s: hint %v %d bytes, Scan %v %d bytes", a.ID.Short(), h.Modified, h.Size, a.Modified, a.Size)
				}
			}
			if len(hints) > len(res.Attachments) {
				t.Errorf("%d hints for %d attachments", len(hints), len(res.Attachments))
			}
		})
	}
}

func TestPrefixNamesAreChecked(t *testing.T) {
	s := New(copyFixture(t, "clean"))
	for _, p := range []string{"..", "/", "a", "abc", "AB", "../sha256", "g0"} {
		if _, _, err := s.ScanPrefix(p); err == nil {
			t.Errorf("ScanPrefix(%q) was accepted", p)
		}
		if _, err := s.HintPrefix(p); err == nil {
			t.Errorf("HintPrefix(%q) was accepted", p)
		}
	}
	if _, err := New(filepath.Join(t.TempDir(), "gone")).Prefixes(); err == nil {
		t.Error("Prefixes of a missing store gave no error")
	}
}

// Same compares what an examination says, not which decoded sidecar
// object it holds.
func TestAttachmentSame(t *testing.T) {
	s := New(copyFixture(t, "clean"))
	res, err := s.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Attachments[0]
	b, _ := s.Examine(a.ID) // another read: other Meta and Label pointers
	if a.Meta == b.Meta || a.Label == b.Label {
		t.Fatal("the two examinations share pointers; the test proves nothing")
	}
	if !a.Same(b) {
		t.Errorf("two reads of an unchanged %s differ: %+v, %+v", a.ID.Short(), a, b)
	}
	lean := b
	lean.Meta = nil
	if !a.Same(lean) {
		t.Error("dropping the decoded sidecar made a difference")
	}
	zoned := b
	zoned.Modified = b.Modified.In(time.FixedZone("X", 3600))
	if !a.Same(zoned) {
		t.Error("the same instant in another time zone made a difference")
	}
	other := "another label"
	for name, change := range map[string]func(*Attachment){
		"label":    func(x *Attachment) { x.Label = &other },
		"no label": func(x *Attachment) { x.Label = nil },
		"status":   func(x *Attachment) { x.Status = StatusBadMeta },
		"detail":   func(x *Attachment) { x.Detail = "changed" },
		"size":     func(x *Attachment) { x.Size++ },
		"time":     func(x *Attachment) { x.Modified = x.Modified.Add(time.Nanosecond) },
		"type": func(x *Attachment) {
			x.MediaType = map[bool]MediaType{true: GIF, false: PNG}[x.MediaType != GIF]
		},
		"width": func(x *Attachment) { x.Width++ },
	} {
		c := b
		change(&c)
		if a.Same(c) {
			t.Errorf("a different %s is the same", name)
		}
	}
}
