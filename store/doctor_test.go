package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ageTemps sets the mtime of every temp file in the store an hour back, as
// if the crash that left them was long ago.
func ageTemps(t *testing.T, root string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	filepath.Walk(filepath.Join(root, "sha256"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && classifyStray(fi.Name(), "") == FindingTempLitter {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
}

// contents maps every regular file under dir to the hash of its bytes.
func contents(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			m[p] = sha256.Sum256(readFile(t, p))
		}
		return nil
	})
	return m
}

// wantMessyPlan is what doctor proposes for messy/ (temps aged).
var wantMessyPlan = map[string]FixKind{
	"sha256/.DS_Store": FixNone,
	"sha256/05/055e81d0a376084917a15565bda10354749525a8ef8b31e335531e0216eb1a81.tmp":      FixTrash,
	"sha256/b3/b372bb8e4a531befd97a6979dd21218c5420796337a71ceb0f8f55fb8ff231c5.json.tmp": FixTrash,
	"sha256/c6/c65866ea9787b02c402973a30de711c7f5c4d349c8db00941b9aa158754e62b4.tmp":      FixTrash,
	"sha256/c6888d6085af1028ebf4399e2b35ceb1ae3bbb393f29af319af95675c73a97ad":             FixMove,
	"sha256/c6888d6085af1028ebf4399e2b35ceb1ae3bbb393f29af319af95675c73a97ad.json":        FixMove,
	"sha256/e7/nested":            FixNone,
	"sha256/zz/zz-not-a-hash.png": FixNone,
	"sha256/fe/fe1b22274afa502812e69993d9fab118841dde668bff931f200adde196db181f": FixNone,
	"36c35aefb0a65453bfa78f8938699672456ae67ac57f63fa6702654f40d8b096":           FixTrash,
	"3ed1d6f55d8f7811559b6dbd7c1b1a80595a14a0eb9146ce1a75b0290dfa6e3e":           FixReplaceSidecar,
	"524ba41b05faf3933c80a9ccc0795517edf16263abad82ef1d57a9352bfce5bb":           FixReplaceSidecar,
	"758830d5895678986f3243c83b3d5a75c36342b5918526fefcc99ae9f7d4ab7b":           FixReplaceSidecar,
	"b372bb8e4a531befd97a6979dd21218c5420796337a71ceb0f8f55fb8ff231c5":           FixWriteSidecar,
	"e59bfde49c1bab92669c33714c39e29823ea52d31575b7948eb7b41ba2d99d6e":           FixWriteSidecar,
}

func planKey(p Problem) string {
	if FindingKind(p.Kind) == FindingTempLitter || FindingKind(p.Kind) == FindingMisplaced || FindingKind(p.Kind) == FindingForeign || FindingKind(p.Kind) == FindingSymlink {
		return p.Path
	}
	return string(p.ID)
}

func TestDoctorReportOnlyChangesNothing(t *testing.T) {
	root := copyFixture(t, "messy")
	ageTemps(t, root)
	before := treeState(t, root)
	can := testCan(t)
	rep, err := New(root).Doctor(context.Background(), DoctorOptions{Can: can})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]FixKind{}
	for _, p := range rep.Problems {
		got[planKey(p)] = p.Fix
		if p.FixDetail == "" || p.Detail == "" {
			t.Errorf("%s: no words: %+v", planKey(p), p)
		}
		if p.Fixed || p.Outcome != "" {
			t.Errorf("%s: marked as done without --fix", planKey(p))
		}
	}
	for k, w := range wantMessyPlan {
		if got[k] != w {
			t.Errorf("%s: fix %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(wantMessyPlan) {
		t.Errorf("%d problems, want %d: %v", len(got), len(wantMessyPlan), got)
	}
	if rep.Batch != nil {
		t.Error("a report-only run made a batch")
	}
	after := treeState(t, root)
	for p, v := range before {
		if after[p] != v {
			t.Errorf("doctor without --fix changed %s", p)
		}
	}
	if _, err := os.Stat(can.Journal); err == nil {
		t.Error("doctor without --fix wrote the journal")
	}
}

func TestDoctorFixMessy(t *testing.T) {
	root := copyFixture(t, "messy")
	ageTemps(t, root)
	s := New(root)
	ctx := context.Background()
	can := testCan(t)
	// A temp a writer is filling right now.
	young := filepath.Join(root, "sha256", "05", "055e81d0a376084917a15565bda10354749525a8ef8b31e335531e0216eb1a81.staging.4242.1.tmp")
	os.WriteFile(young, []byte("half a write"), 0o644)
	before := contents(t, root)
	pre, err := s.Scan(ctx, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	labels := map[ID]*string{}
	for _, a := range pre.Attachments {
		labels[a.ID] = s.readableLabel(a.ID)
	}

	var progress []int
	rep, err := s.Doctor(ctx, DoctorOptions{Fix: true, Can: can, Progress: func(d, n int) { progress = append(progress, d) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		for _, p := range rep.Problems {
			if p.Err != nil {
				t.Errorf("%s: %v", planKey(p), p.Err)
			}
		}
	}
	if len(progress) == 0 {
		t.Error("no progress reported")
	}
	for _, p := range rep.Problems {
		if p.Fix.Changes() && (!p.Fixed || p.Outcome == "") {
			t.Errorf("%s: fix %s not applied: %s %v", planKey(p), p.Fix, p.Outcome, p.Err)
		}
		if p.Path == d2rel(root, young) && p.Fix != FixLeaveYoung {
			t.Errorf("the young temp got fix %s", p.Fix)
		}
	}
	if string(readFile(t, young)) != "half a write" {
		t.Error("the young temp was touched")
	}

	// A fresh scan: only report-only findings; every attachment that had
	// a healthy blob is there and ok, and get works.
	post, err := s.Scan(ctx, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range post.Findings {
		switch {
		case f.Path == d2rel(root, young):
		case f.Kind == FindingSymlink || f.Kind == FindingForeign && wantMessyPlan[f.Path] == FixNone:
		default:
			t.Errorf("after --fix, finding %s %s", f.Path, f.Kind)
		}
	}
	okNow := map[ID]bool{}
	for _, a := range post.Attachments {
		if a.Status == StatusSymlink {
			continue
		}
		if a.Status != StatusOK {
			t.Errorf("after --fix, %s is %s: %s", a.ID.Short(), a.Status, a.Detail)
			continue
		}
		okNow[a.ID] = true
		data, m, err := s.Get(a.ID)
		if err != nil {
			t.Errorf("get %s: %v", a.ID.Short(), err)
			continue
		}
		if IDOf(sha256.Sum256(data)) != a.ID && a.ID != "93f9291118544463ca7b4a4080dae3f9654cc1af4c770b9f2d49f9096140c93a" {
			t.Errorf("%s: bytes do not hash to the id", a.ID.Short())
		}
		if l := labels[a.ID]; l != nil && (m.Label == nil || *m.Label != *l) {
			t.Errorf("%s: label %v, want %q kept", a.ID.Short(), m.Label, *l)
		}
	}
	for _, a := range pre.Attachments {
		if a.HasBlob && a.Status != StatusSymlink && !okNow[a.ID] {
			t.Errorf("%s (%s, healthy blob) is gone after --fix", a.ID.Short(), a.Status)
		}
	}
	if !okNow["c6888d6085af1028ebf4399e2b35ceb1ae3bbb393f29af319af95675c73a97ad"] {
		t.Error("the misplaced pair was not moved into c6/")
	}

	// Nothing is lost: every file that was there is still in the store
	// (same bytes, maybe moved) or in the Trash.
	after := contents(t, root)
	trash := contents(t, can.Home)
	have := map[[32]byte]bool{}
	for _, h := range after {
		have[h] = true
	}
	for _, h := range trash {
		have[h] = true
	}
	for p, h := range before {
		if !have[h] {
			t.Errorf("%s is neither in the store nor in the Trash", p)
		}
	}

	// A second --fix is a no-op.
	snap := treeState(t, root)
	rep2, err := s.Doctor(ctx, DoctorOptions{Fix: true, Can: can})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Batch != nil {
		t.Errorf("second --fix changed %d things", len(rep2.Batch.Items))
	}
	for _, p := range rep2.Problems {
		if p.Fix.Changes() {
			t.Errorf("second --fix proposes %s for %s", p.Fix, planKey(p))
		}
	}
	snap2 := treeState(t, root)
	for p, v := range snap {
		if snap2[p] != v {
			t.Errorf("second --fix changed %s", p)
		}
	}

	// Undo puts the store back as it was, byte for byte.
	if _, err := s.Restore(ctx, nil, TrashOptions{Can: can}); err != nil {
		t.Fatal(err)
	}
	undone := contents(t, root)
	for p, h := range before {
		if undone[p] != h {
			t.Errorf("after undo, %s differs or is missing", p)
		}
	}
	for p := range undone {
		if _, ok := before[p]; !ok {
			t.Errorf("after undo, %s is new", p)
		}
	}
}

func d2rel(root, p string) string {
	r, _ := filepath.Rel(root, p)
	return filepath.ToSlash(r)
}

func TestDoctorCorruptAndBlockers(t *testing.T) {
	root := copyFixture(t, "messy")
	s := New(root)
	ctx := context.Background()
	can := testCan(t)
	corrupt := ID("93f9291118544463ca7b4a4080dae3f9654cc1af4c770b9f2d49f9096140c93a")
	// Corrupt blob with an unreadable sidecar: trash both, write nothing.
	os.WriteFile(s.Layout().Sidecar(corrupt), []byte("{"), 0o644)
	// A folder where a healthy blob's sidecar belongs.
	blocked := labelledPNG
	label := s.readableLabel(blocked)
	os.Remove(s.Layout().Sidecar(blocked))
	os.MkdirAll(filepath.Join(s.Layout().Sidecar(blocked), "inner"), 0o755)
	os.WriteFile(filepath.Join(s.Layout().Sidecar(blocked), "inner", "keep.txt"), []byte("keep me"), 0o644)
	// A misplaced copy of a healthy attachment whose place is taken by a
	// healthy file: the copy goes to the Trash.
	dup := ID("e7587f9de8bd7e42377ac2597dad27637b68c4d47d5f0b29bb1ce41d952eef27")
	os.WriteFile(filepath.Join(root, "sha256", string(dup)), readFile(t, s.Layout().Blob(dup)), 0o644)
	// A newer-form sidecar lash reads: healthy, left alone.
	newer := ID("c4af20a6f7217a88d2439be75d5a27b1e7c70ddb7285784a67801b7f8214a466")
	m, _ := s.Meta(newer)
	newForm := []byte(fmt.Sprintf(`{"id":"%s","media_type":"image/jpeg","byte_len":%d,"type_metadata":{"type":"image","width":1280,"height":800}}`, newer, m.ByteLen))
	os.WriteFile(s.Layout().Sidecar(newer), newForm, 0o644)

	rep, err := s.Doctor(ctx, DoctorOptions{Fix: true, Can: can, MinTempAge: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]Problem{}
	for _, p := range rep.Problems {
		byKey[planKey(p)] = p
		if p.Err != nil {
			t.Errorf("%s: %v", planKey(p), p.Err)
		}
	}
	if p := byKey[string(corrupt)]; p.Fix != FixTrashCorrupt || !p.Fixed {
		t.Errorf("corrupt blob with bad sidecar: %+v", p)
	}
	if _, ok := s.Examine(corrupt); ok {
		t.Error("the corrupt attachment is still in the store")
	}
	if p := byKey["sha256/"+blocked.Prefix()+"/"+string(blocked)+".json"]; p.Fix != FixTrash || !p.Fixed {
		t.Errorf("folder in the way: %+v", p)
	}
	a, _ := s.Examine(blocked)
	if a.Status != StatusOK {
		t.Errorf("blocked attachment after --fix: %s %s", a.Status, a.Detail)
	}
	if m, err := s.Meta(blocked); err != nil || m.Label != nil {
		t.Errorf("sidecar written from the bytes: %+v %v (label was %v; a blob alone has none)", m, err, label)
	}
	found := false
	filepath.Walk(can.Home, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Name() == "keep.txt" && string(readFile(t, p)) == "keep me" {
			found = true
		}
		return nil
	})
	if !found {
		t.Error("the folder in the way is not in the Trash with its contents")
	}
	if p := byKey["sha256/"+string(dup)]; p.Fix != FixTrash || !p.Fixed {
		t.Errorf("misplaced duplicate: %+v", p)
	}
	if _, ok := byKey[string(newer)]; ok {
		t.Error("a newer-form sidecar was reported")
	}
	if !bytes.Equal(readFile(t, s.Layout().Sidecar(newer)), newForm) {
		t.Error("a newer-form sidecar was rewritten")
	}
}

func TestDoctorMisplacedOverBrokenTarget(t *testing.T) {
	root := copyFixture(t, "messy")
	s := New(root)
	ctx := context.Background()
	can := testCan(t)
	// The misplaced pair's sidecar place holds a broken sidecar: it goes to
	// the Trash and the misplaced one moves in.
	pair := ID("c6888d6085af1028ebf4399e2b35ceb1ae3bbb393f29af319af95675c73a97ad")
	os.WriteFile(s.Layout().Sidecar(pair), []byte("broken"), 0o644)
	want := readFile(t, filepath.Join(root, "sha256", string(pair)+".json"))
	rep, err := s.Doctor(ctx, DoctorOptions{Fix: true, Can: can})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		if p.Err != nil {
			t.Errorf("%s: %v", planKey(p), p.Err)
		}
	}
	if !bytes.Equal(readFile(t, s.Layout().Sidecar(pair)), want) {
		t.Error("the misplaced sidecar did not replace the broken one")
	}
	if a, _ := s.Examine(pair); a.Status != StatusOK {
		t.Errorf("pair after --fix: %s %s", a.Status, a.Detail)
	}
	found := false
	for _, h := range contents(t, can.Home) {
		if h == sha256.Sum256([]byte("broken")) {
			found = true
		}
	}
	if !found {
		t.Error("the broken sidecar is not in the Trash")
	}
}
