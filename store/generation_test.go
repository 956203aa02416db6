package store_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lashview/internal/storecases"
	"lashview/store"
)

// pdf is a small real PDF: lash alpha.111 stores any file.
var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func trashCan(t *testing.T) *store.TrashCan {
	base := t.TempDir()
	return store.NewTrashCan(filepath.Join(base, "data"), filepath.Join(base, "state"))
}

// lashNames lists every name under sha256/ that lash alpha.87 or later
// would take for a blob id: all but the .staging. temps. It fails the test
// on any that is not a blob's own name in its prefix folder.
func noForeignNames(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(filepath.Join(root, "sha256"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.Contains(name, ".staging.") {
			t.Errorf("staging temp left: %s", p)
			return nil
		}
		if _, perr := store.ParseID(name); perr != nil || filepath.Base(filepath.Dir(p)) != name[:2] {
			t.Errorf("newer lash would list a foreign blob id: %s", p)
		}
		return nil
	})
}

// names is every file under root, relative.
func names(t *testing.T, root string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out[filepath.ToSlash(rel)] = true
		}
		return err
	})
	return out
}

func TestBlobOnlyPutWritesNoSidecar(t *testing.T) {
	for _, set := range []string{"alpha111", "mixed"} {
		t.Run(set, func(t *testing.T) {
			root := filepath.Join(storecases.CopyHome(t, set), "attachments")
			s, err := store.Open(root, store.Options{NewerLash: true})
			if err != nil {
				t.Fatal(err)
			}
			if g := s.Writes(); g != store.GenBlobOnly {
				t.Fatalf("writes %s", g)
			}
			before := names(t, root)
			label := "spec.pdf"
			ref, err := s.Put(t.Context(), bytes.NewReader(pdf), store.PutOptions{Label: &label})
			if err != nil {
				t.Fatal(err)
			}
			id := store.ID(ref.ID)
			if ref.Label != nil {
				t.Errorf("a blob-only put recorded a label: %q", *ref.Label)
			}
			got, err := os.ReadFile(s.Layout().Blob(id))
			if err != nil || !bytes.Equal(got, pdf) {
				t.Fatalf("blob: %v", err)
			}
			if _, err := os.Lstat(s.Layout().Sidecar(id)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a sidecar was written into a blob-only store: %v", err)
			}
			a, ok := s.Examine(id)
			if !ok || a.Status != store.StatusOK || a.Generation != store.GenBlobOnly || a.MIME != "application/pdf" {
				t.Fatalf("examined: %+v", a)
			}
			// get serves it without a sidecar.
			data, meta, err := s.Get(id)
			if err != nil || !bytes.Equal(data, pdf) || meta.ByteLen != uint64(len(pdf)) {
				t.Fatalf("get: %v %+v", err, meta)
			}
			// label refuses and changes nothing.
			if _, err := s.SetLabel(id, "x"); !errors.Is(err, store.ErrBlobOnlyLabel) {
				t.Fatalf("label: %v", err)
			}
			if _, err := os.Lstat(s.Layout().Sidecar(id)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("label wrote a sidecar: %v", err)
			}
			if err := a.CanLabel(); !errors.Is(err, store.ErrBlobOnlyLabel) {
				t.Fatalf("CanLabel: %v", err)
			}
			after := names(t, root)
			if len(after) != len(before)+1 || !after["sha256/"+id.Prefix()+"/"+id.String()] {
				t.Fatalf("put and label added more than the blob: %d names before, %d after", len(before), len(after))
			}
		})
	}
}

// A sidecar store stays exactly as it was: puts write byte-identical
// sidecars, and a PDF is refused there.
func TestSidecarStorePutUnchanged(t *testing.T) {
	root := filepath.Join(storecases.CopyHome(t, "alpha43"), "attachments")
	s, err := store.Open(root, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if g := s.Writes(); g != store.GenSidecar {
		t.Fatalf("writes %s", g)
	}
	if _, err := s.Put(t.Context(), bytes.NewReader(pdf), store.PutOptions{}); !errors.Is(err, store.ErrNotImage) {
		t.Fatalf("PDF into a sidecar store: %v", err)
	}
	const id = "0fee77b79b9764adc03814ed7ca858f6ef083650a58b8018279f1412b8ddd246"
	before, _ := os.ReadFile(s.Layout().Sidecar(id))
	data, _ := os.ReadFile(s.Layout().Blob(id))
	label := "pixel"
	if _, err := s.Put(t.Context(), bytes.NewReader(data), store.PutOptions{Label: &label, Width: u32(1), Height: u32(1)}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(s.Layout().Sidecar(id))
	if !bytes.Equal(before, after) {
		t.Fatalf("sidecar changed:\n%s\n%s", before, after)
	}
}

func u32(v uint32) *uint32 { return &v }

// A put of bytes already stored refreshes the blob's time in every
// generation, so a collector that listed the store first spares it.
func TestPutExistingRefreshesMtime(t *testing.T) {
	for _, set := range []string{"alpha43", "alpha111", "mixed"} {
		t.Run(set, func(t *testing.T) {
			root := filepath.Join(storecases.CopyHome(t, set), "attachments")
			s, err := store.Open(root, store.Options{NewerLash: set != "alpha43"})
			if err != nil {
				t.Fatal(err)
			}
			const id = "6637dced2b8c5c9ef71e1eebec805bd6e41279cb15fbe8bb7ae3fe0372f5b420"
			path := s.Layout().Blob(id)
			old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			before := time.Now().Add(-time.Second)
			if _, err := s.Put(t.Context(), bytes.NewReader(data), store.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.ModTime().Before(before) {
				t.Fatalf("mtime not refreshed: %v %v", err, fi.ModTime())
			}
		})
	}
}

// doctor proposes nothing for a healthy blob-only or mixed store's
// attachments, and --fix leaves every set with no name newer lash would take
// for a foreign blob (the sidecar store keeps its sidecars).
func TestDoctorEveryGeneration(t *testing.T) {
	for _, set := range []string{"alpha43", "alpha111", "mixed"} {
		t.Run(set, func(t *testing.T) {
			root := filepath.Join(storecases.CopyHome(t, set), "attachments")
			opts := store.Options{NewerLash: set != "alpha43"}
			s, err := store.Open(root, opts)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.Doctor(t.Context(), store.DoctorOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range rep.Problems {
				if p.ID != "" && p.Kind == string(store.StatusMissingMeta) {
					t.Errorf("a blob-only blob called missing_meta: %+v", p)
				}
				if p.Fix == store.FixWriteSidecar || p.Fix == store.FixReplaceSidecar {
					if set != "alpha43" {
						t.Errorf("proposes a sidecar in a store newer lash writes: %+v", p)
					}
				}
			}
			can := trashCan(t)
			rep, err = s.Doctor(t.Context(), store.DoctorOptions{Fix: true, Can: can, MinTempAge: time.Nanosecond})
			if err != nil || rep.Failed() {
				t.Fatalf("fix: %v %+v", err, rep.Problems)
			}
			if set == "alpha43" {
				return
			}
			noForeignNamesExceptPairs(t, root)
			if _, err := os.Lstat(filepath.Join(root, "sessions")); set == "mixed" && err == nil {
				entries, _ := os.ReadDir(filepath.Join(root, "sessions"))
				if len(entries) != 0 {
					t.Errorf("the per-session tree is still there: %v", entries)
				}
			}
			// Undo brings back what newer lash reads, and leaves in the
			// Trash what it would delete.
			rr, err := s.Restore(t.Context(), nil, store.TrashOptions{Can: can})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range rr.Items {
				if strings.Contains(it.Path, "/sha256/") && it.Outcome == store.OutcomeRestored {
					if _, err := store.ParseID(filepath.Base(it.Path)); err != nil {
						t.Errorf("restore put back a name lash deletes: %s", it.Path)
					}
				}
			}
			noForeignNamesExceptPairs(t, root)
		})
	}
}

// noForeignNamesExceptPairs is noForeignNames for a mixed store: the
// sidecars of the old pairs stay (they hold the labels).
func noForeignNamesExceptPairs(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(filepath.Join(root, "sha256"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if base, ok := strings.CutSuffix(name, ".json"); ok {
			if _, err := os.Stat(filepath.Join(filepath.Dir(p), base)); err == nil {
				return nil // an old pair's sidecar
			}
		}
		if _, perr := store.ParseID(name); perr != nil || filepath.Base(filepath.Dir(p)) != name[:2] {
			t.Errorf("newer lash would list a foreign blob id: %s", p)
		}
		return nil
	})
}

// Restore never puts a sidecar back into a blob-only store: a .json that
// doctor moved out stays in the Trash.
func TestRestoreKeepsSidecarsOutOfBlobOnly(t *testing.T) {
	root := filepath.Join(storecases.CopyHome(t, "alpha111"), "attachments")
	const id = "6637dced2b8c5c9ef71e1eebec805bd6e41279cb15fbe8bb7ae3fe0372f5b420"
	stray := filepath.Join(root, "sha256", id[:2], id+".json")
	if err := os.WriteFile(stray, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(root, store.Options{NewerLash: true})
	if err != nil {
		t.Fatal(err)
	}
	can := trashCan(t)
	rep, err := s.Doctor(t.Context(), store.DoctorOptions{Fix: true, Can: can, MinTempAge: time.Nanosecond})
	if err != nil || rep.Failed() {
		t.Fatalf("fix: %v %+v", err, rep.Problems)
	}
	if _, err := os.Lstat(stray); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the stray sidecar is still there: %v", err)
	}
	rr, err := s.Restore(t.Context(), nil, store.TrashOptions{Can: can})
	if err != nil {
		t.Fatal(err)
	}
	left := 0
	for _, it := range rr.Items {
		if it.Outcome == store.OutcomeLeftInTrash {
			left++
		}
	}
	if left == 0 {
		t.Fatalf("nothing left in the Trash: %+v", rr.Items)
	}
	if _, err := os.Lstat(stray); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("restore put the sidecar back: %v", err)
	}
	noForeignNames(t, root)
}

// A trashed sidecar of a blob-only store whose Trash copy was emptied is
// gone, not "left in the Trash": restore says what is true of it now.
func TestRestoreOfEmptiedSidecarIsGone(t *testing.T) {
	root := filepath.Join(storecases.CopyHome(t, "alpha111"), "attachments")
	const id = "6637dced2b8c5c9ef71e1eebec805bd6e41279cb15fbe8bb7ae3fe0372f5b420"
	stray := filepath.Join(root, "sha256", id[:2], id+".json")
	if err := os.WriteFile(stray, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(root, store.Options{NewerLash: true})
	if err != nil {
		t.Fatal(err)
	}
	can := trashCan(t)
	rep, err := s.Doctor(t.Context(), store.DoctorOptions{Fix: true, Can: can, MinTempAge: time.Nanosecond})
	if err != nil || rep.Failed() || rep.Batch == nil {
		t.Fatalf("fix: %v %+v", err, rep.Problems)
	}
	emptied := 0
	for _, it := range rep.Batch.Items {
		if it.Role == store.RoleSidecar && it.Trashed != "" {
			if err := os.Remove(it.Trashed); err != nil {
				t.Fatal(err)
			}
			emptied++
		}
	}
	if emptied == 0 {
		t.Fatalf("doctor trashed no sidecar: %+v", rep.Batch.Items)
	}
	rr, err := s.Restore(t.Context(), nil, store.TrashOptions{Can: can})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rr.Items {
		if it.Role == store.RoleSidecar && it.Outcome != store.OutcomeGone {
			t.Errorf("the emptied sidecar's outcome is %s (%s), want gone", it.Outcome, it.Detail)
		}
	}
	noForeignNames(t, root)
}
