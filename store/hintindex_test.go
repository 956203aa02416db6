package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// indexOf lists the clean fixture as a listing does and makes its index.
func indexOf(t *testing.T, st *Store) *HintIndex {
	t.Helper()
	prefixes, err := st.Prefixes()
	if err != nil || len(prefixes) == 0 {
		t.Fatalf("prefixes %v, %v", prefixes, err)
	}
	ix := &HintIndex{Root: st.Root(), Folders: map[string]IndexedFolder{}}
	for _, p := range prefixes {
		stamp, err := st.PrefixStamp(p)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := st.HintPrefix(p)
		if err != nil {
			t.Fatal(err)
		}
		ix.Folders[p] = IndexedFolder{Stamp: stamp, Hints: hs}
	}
	res, err := st.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ix.Head = res.Attachments[:min(5, len(res.Attachments))]
	return ix
}

// TestHintIndexRoundTrip: what is written is read back exactly, for the
// store it was written for.
func TestHintIndexRoundTrip(t *testing.T) {
	st := New(copyFixture(t, "clean"))
	ix := indexOf(t, st)
	path := HintIndexPath(t.TempDir(), st.Root())
	if err := WriteHintIndex(path, ix); err != nil {
		t.Fatal(err)
	}
	got, err := ReadHintIndex(path, st.Root())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Folders) != len(ix.Folders) {
		t.Fatalf("%d folders read back, %d written", len(got.Folders), len(ix.Folders))
	}
	for p, f := range ix.Folders {
		g := got.Folders[p]
		if g.Stamp != f.Stamp || len(g.Hints) != len(f.Hints) {
			t.Fatalf("folder %s: read %+v (%d hints), wrote %+v (%d hints)", p, g.Stamp, len(g.Hints), f.Stamp, len(f.Hints))
		}
		for i := range f.Hints {
			if g.Hints[i].ID != f.Hints[i].ID || g.Hints[i].Size != f.Hints[i].Size || !g.Hints[i].Modified.Equal(f.Hints[i].Modified) {
				t.Errorf("folder %s hint %d: read %+v, wrote %+v", p, i, g.Hints[i], f.Hints[i])
			}
		}
	}
	if len(got.Head) != len(ix.Head) {
		t.Fatalf("%d head attachments read back, %d written", len(got.Head), len(ix.Head))
	}
	for i := range ix.Head {
		if !got.Head[i].Same(ix.Head[i]) {
			t.Errorf("head %d: read %+v, wrote %+v", i, got.Head[i], ix.Head[i])
		}
	}
	// A stamp is what changes when a name is added to the folder.
	p := ix.Head[0].ID.Prefix()
	before := ix.Folders[p].Stamp
	time.Sleep(10 * time.Millisecond) // coarse-timestamp filesystems
	if err := os.WriteFile(filepath.Join(st.Root(), "sha256", p, "stray.tmp"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := st.PrefixStamp(p)
	if err != nil {
		t.Fatal(err)
	}
	if after == before {
		t.Fatalf("folder %s: the stamp %+v did not change when a name was added", p, after)
	}
}

// TestHintIndexRefusesWhatIsNotItsOwn: a damaged, truncated, lengthened or
// foreign index is ErrBadHintIndex, never a listing; a missing one is
// fs.ErrNotExist.
func TestHintIndexRefusesWhatIsNotItsOwn(t *testing.T) {
	st := New(copyFixture(t, "clean"))
	dir := t.TempDir()
	path := HintIndexPath(dir, st.Root())
	if _, err := ReadHintIndex(path, st.Root()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no index: %v, want fs.ErrNotExist", err)
	}
	if err := WriteHintIndex(path, indexOf(t, st)); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if HintIndexPath(dir, other) == path {
		t.Fatal("two stores share an index file")
	}
	cases := map[string]func() ([]byte, string){
		"a byte flipped":    func() ([]byte, string) { b := append([]byte(nil), good...); b[len(b)/2] ^= 0x20; return b, st.Root() },
		"truncated":         func() ([]byte, string) { return good[:len(good)-9], st.Root() },
		"cut to its header": func() ([]byte, string) { return good[:len(hintIndexMagic)+2], st.Root() },
		"empty":             func() ([]byte, string) { return nil, st.Root() },
		"bytes after it":    func() ([]byte, string) { return append(append([]byte(nil), good...), 0, 0, 0, 0), st.Root() },
		"another version": func() ([]byte, string) {
			b := append([]byte(nil), good...)
			b[len(hintIndexMagic)-2] = '9'
			return b, st.Root()
		},
		"another store path": func() ([]byte, string) { return good, other },
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			data, root := mk()
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			ix, err := ReadHintIndex(path, root)
			if !errors.Is(err, ErrBadHintIndex) || ix != nil {
				t.Fatalf("read %v, %v; want ErrBadHintIndex and no index", ix, err)
			}
		})
	}
}
