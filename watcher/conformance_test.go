package watcher

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"lashview/internal/storecases"
	"lashview/store"
)

// TestConformance fills an empty, watched store with each case's files and
// checks that the view the watcher's events build says of every attachment
// what the case says: the watcher examines ids one at a time as they land,
// in whatever order, and must end where a whole listing does.
func TestConformance(t *testing.T) {
	for _, c := range storecases.Cases(t) {
		t.Run(c.Name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "attachments")
			if err := os.MkdirAll(filepath.Join(root, "sha256"), 0o755); err != nil {
				t.Fatal(err)
			}
			st, err := store.Open(root, c.Options)
			if err != nil {
				t.Fatal(err)
			}
			w, res, err := New(t.Context(), st, Options{Interval: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			view := NewView(res)
			if out, err := exec.Command("cp", "-a", filepath.Join(c.Root, "sha256")+"/.", filepath.Join(root, "sha256")).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v %s", err, out)
			}
			matches := func() bool {
				if view.Len() != len(c.Attachments) {
					return false
				}
				for id, want := range c.Attachments {
					a, ok := view.Get(id)
					if !ok || !want.Agrees(a) {
						return false
					}
				}
				return true
			}
			deadline := time.After(20 * time.Second)
			for !matches() {
				select {
				case b := <-w.Batches():
					view.Apply(b)
				case <-deadline:
					for id, want := range c.Attachments {
						a, ok := view.Get(id)
						if !ok || !want.Agrees(a) {
							t.Errorf("%s: watcher says %v %s %s %q %d, want %+v", id.Short(), ok, a.Status, a.Generation, a.MIME, a.Size, want)
						}
					}
					t.Fatalf("the watcher's view has %d attachments, want %d", view.Len(), len(c.Attachments))
				}
			}
		})
	}
}

// TestFirstSidecarRejudges: a blob without a sidecar is healthy blob-only
// while the store holds no sidecar; when the first sidecar lands (a
// sidecar-era lash writes here), that blob is missing its sidecar.
func TestFirstSidecarRejudges(t *testing.T) {
	src := storecases.Cases(t)[0] // lash-alpha43/clean
	root := filepath.Join(t.TempDir(), "attachments")
	if err := os.MkdirAll(filepath.Join(root, "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(root, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, res, err := New(t.Context(), st, Options{Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	view := NewView(res)
	var ids []store.ID
	for id := range src.Attachments {
		ids = append(ids, id)
	}
	lone, paired := ids[0], ids[1]
	copyFile := func(id store.ID, name string) {
		t.Helper()
		dir := filepath.Join(root, "sha256", id.Prefix())
		os.MkdirAll(dir, 0o755)
		data, err := os.ReadFile(filepath.Join(src.Root, "sha256", id.Prefix(), name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(id store.ID, st store.Status, g store.Generation) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			if a, ok := view.Get(id); ok && a.Status == st && a.Generation == g {
				return
			}
			select {
			case b := <-w.Batches():
				view.Apply(b)
			case <-deadline:
				a, _ := view.Get(id)
				t.Fatalf("%s: %s %s, want %s %s", id.Short(), a.Status, a.Generation, st, g)
			}
		}
	}
	copyFile(lone, string(lone))
	waitFor(lone, store.StatusOK, store.GenBlobOnly)
	copyFile(paired, string(paired))
	copyFile(paired, string(paired)+".json")
	waitFor(paired, store.StatusOK, store.GenSidecar)
	waitFor(lone, store.StatusMissingMeta, store.GenSidecar)
}
