package xdgtrash

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// testTrash is a Trash in a fresh data home under the test's temp dir
// (the same filesystem as the files it trashes).
func testTrash(t *testing.T) *Trash {
	t.Helper()
	return New(filepath.Join(t.TempDir(), "data"))
}

// testFile writes a file named name with body in a fresh folder.
func testFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestPutHomeTrash(t *testing.T) {
	tr := testTrash(t)
	p := testFile(t, "", "a b.png", "bytes")
	got, err := tr.Put(p, "cat 0123", ".png")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(tr.Home, "files", "cat 0123.png"); got.File != want {
		t.Errorf("trashed as %s, want %s", got.File, want)
	}
	if want := filepath.Join(tr.Home, "info", "cat 0123.png.trashinfo"); got.Info != want {
		t.Errorf("info %s, want %s", got.Info, want)
	}
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there (%v)", p, err)
	}
	if readFile(t, got.File) != "bytes" {
		t.Error("the trashed file differs")
	}
	if orig, _, err := ParseInfo([]byte(readFile(t, got.Info))); err != nil || orig != p {
		t.Errorf("info names %q (%v), want %q", orig, err, p)
	}
	for _, d := range []string{tr.Home, filepath.Join(tr.Home, "files"), filepath.Join(tr.Home, "info")} {
		if fi, err := os.Lstat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, want mode 0700", d, err)
		}
	}
}

func TestPutNameCollision(t *testing.T) {
	tr := testTrash(t)
	if err := ensureDir(tr.Home, -1, true); err != nil {
		t.Fatal(err)
	}
	stem := "label 237c1f1dddc4"
	// Someone else's trashed file has the first name (info claimed), and a
	// stray file without info holds the second: the third name is used.
	other := filepath.Join(tr.Home, "info", stem+".png.trashinfo")
	os.WriteFile(other, []byte("[Trash Info]\nPath=/elsewhere\nDeletionDate=2020-01-01T00:00:00\n"), 0o600)
	os.WriteFile(filepath.Join(tr.Home, "files", stem+".png"), []byte("someone else's"), 0o600)
	stray := filepath.Join(tr.Home, "files", stem+" (2).png")
	os.WriteFile(stray, []byte("stray"), 0o600)

	dir := t.TempDir()
	blob, side := testFile(t, dir, "blob", "png"), testFile(t, dir, "blob.json", "{}")
	got, err := tr.Put(blob, stem, ".png")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(got.File) != stem+" (3).png" || filepath.Base(got.Info) != stem+" (3).png.trashinfo" {
		t.Errorf("trashed as %q / %q, want %q", got.File, got.Info, stem+" (3).png")
	}
	if got, err := tr.Put(side, stem, ".json"); err != nil || filepath.Base(got.File) != stem+".json" {
		t.Errorf("second file trashed as %q (%v)", got.File, err)
	}
	if readFile(t, stray) != "stray" || readFile(t, filepath.Join(tr.Home, "files", stem+".png")) != "someone else's" {
		t.Error("a file already in the Trash was changed")
	}
	if !strings.Contains(readFile(t, other), "/elsewhere") {
		t.Error("someone else's trash info was changed")
	}
}

func TestFitName(t *testing.T) {
	if n := fitName(strings.Repeat("x", 400), ".json", 12); len(n) > maxName || !strings.HasSuffix(n, " (12).json") {
		t.Errorf("fitName: %d %q", len(n), n)
	}
	if n := fitName("cat", ".png", 1); n != "cat.png" {
		t.Errorf("first try: %q", n)
	}
	if n := fitName("cat", "", 2); n != "cat (2)" {
		t.Errorf("second try without extension: %q", n)
	}
	// A stem is cut before a rune it would split, and never ends in a space.
	n := fitName("x"+strings.Repeat("é", 200), ".png", 1) // byte 226 is inside an é
	if len(n) > maxName || !utf8.ValidString(n) || !strings.HasSuffix(n, "é.png") {
		t.Errorf("long stem: %d bytes %q", len(n), n)
	}
	if n := fitName(strings.Repeat("a", 224)+"    b", ".png", 1); strings.Contains(n, " .png") {
		t.Errorf("trailing spaces kept: %q", n)
	}
}

// fakeMount makes tr believe that everything outside its home trash's
// parent is on another mount whose top is top: the home trash is on
// device 1, everything else on device 2.
func fakeMount(tr *Trash, top string) {
	home := tr.Home
	tr.Device = func(p string) (uint64, error) {
		if strings.HasPrefix(p+"/", filepath.Dir(home)+"/") || strings.HasPrefix(home+"/", p+"/") {
			return 1, nil
		}
		return 2, nil
	}
	tr.MountTop = func(string) (string, error) { return top, nil }
}

func TestPutOtherMount(t *testing.T) {
	uid := strconv.Itoa(os.Getuid())
	cases := []struct {
		name    string
		prepare func(t *testing.T, top string)
		want    string // trash folder relative to top; "" = refused
	}{
		{"no .Trash: .Trash-uid is made", func(t *testing.T, top string) {}, ".Trash-" + uid},
		{"sticky .Trash: .Trash/uid", func(t *testing.T, top string) {
			os.Mkdir(filepath.Join(top, ".Trash"), 0o777)
			os.Chmod(filepath.Join(top, ".Trash"), 0o777|os.ModeSticky)
		}, filepath.Join(".Trash", uid)},
		{".Trash without sticky bit is skipped", func(t *testing.T, top string) {
			os.Mkdir(filepath.Join(top, ".Trash"), 0o777)
		}, ".Trash-" + uid},
		{".Trash that is a link is skipped", func(t *testing.T, top string) {
			real := filepath.Join(top, "real")
			os.Mkdir(real, 0o777)
			os.Chmod(real, 0o777|os.ModeSticky)
			os.Symlink(real, filepath.Join(top, ".Trash"))
		}, ".Trash-" + uid},
		{"neither usable: refused", func(t *testing.T, top string) {
			os.Symlink(t.TempDir(), filepath.Join(top, ".Trash"))
			os.WriteFile(filepath.Join(top, ".Trash-"+uid), []byte("a file"), 0o600)
		}, ""},
		{".Trash-uid is a link: refused", func(t *testing.T, top string) {
			os.Symlink(t.TempDir(), filepath.Join(top, ".Trash-"+uid))
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			top := t.TempDir()
			p := testFile(t, top, "store/sha256/23/blob", "blob")
			c.prepare(t, top)
			tr := testTrash(t)
			fakeMount(tr, top)
			got, err := tr.Put(p, "blob", ".png")
			if c.want == "" {
				if !errors.Is(err, ErrNoTrash) || !strings.Contains(err.Error(), p) {
					t.Fatalf("err %v, want ErrNoTrash naming the file", err)
				}
				if readFile(t, p) != "blob" {
					t.Fatal("a refused trash moved something")
				}
				if _, err := os.Stat(tr.Home); err == nil {
					t.Error("the home trash was used for a file on another mount")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(top, c.want)
			if d, err := tr.DirFor(p); err != nil || d != dir {
				t.Errorf("DirFor %s (%v), want %s", d, err, dir)
			}
			if filepath.Dir(filepath.Dir(got.File)) != dir || filepath.Dir(filepath.Dir(got.Info)) != dir {
				t.Errorf("trashed to %s / %s, want under %s", got.File, got.Info, dir)
			}
			fi, err := os.Lstat(dir)
			if err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("trash folder %s: %v %v, want mode 0700", dir, fi.Mode(), err)
			}
			if _, err := os.Stat(tr.Home); err == nil {
				t.Error("the home trash was made for a file on another mount")
			}
		})
	}
}

// TestPutRealMount trashes from a real tmpfs (needs root to mount one):
// the file must go to the mount's .Trash-$uid, never across to the home
// trash.
func TestPutRealMount(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "xdgtrash-test", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the injected-mount test covers the logic", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	p := testFile(t, mnt, "store/blob", "blob")
	tr := testTrash(t)
	got, err := tr.Put(p, "blob", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(mnt, ".Trash-"+strconv.Itoa(os.Getuid()), "files", "blob"); got.File != want {
		t.Errorf("trashed to %s, want %s", got.File, want)
	}
	if _, err := os.Stat(tr.Home); err == nil {
		t.Error("the home trash was made for a file on another mount")
	}
	if err := RenameNoReplace(got.File, p); err != nil || readFile(t, p) != "blob" {
		t.Errorf("put back: %v", err)
	}
}

func TestRenameNoReplace(t *testing.T) {
	dir := t.TempDir()
	a, b := testFile(t, dir, "a", "a"), testFile(t, dir, "b", "b")
	if err := RenameNoReplace(a, b); !errors.Is(err, os.ErrExist) {
		t.Errorf("rename over a file: %v, want ErrExist", err)
	}
	if readFile(t, a) != "a" || readFile(t, b) != "b" {
		t.Error("a refused rename changed a file")
	}
	if err := renameCheckFirst(a, b); !errors.Is(err, os.ErrExist) {
		t.Errorf("renameCheckFirst over a file: %v, want ErrExist", err)
	}
	c := filepath.Join(dir, "c")
	if err := RenameNoReplace(a, c); err != nil || readFile(t, c) != "a" {
		t.Errorf("rename to a free name: %v", err)
	}
	if err := renameCheckFirst(c, a); err != nil || readFile(t, a) != "a" {
		t.Errorf("renameCheckFirst to a free name: %v", err)
	}
}
