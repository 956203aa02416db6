package store

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// labelledPNG is a healthy attachment of the messy fixture with a label.
const labelledPNG = ID("237c1f1dddc4eff3c0ab304590d4283831f6dae789315e4eebc4a2ff3c20ac11")

// testCan is a Trash in a fresh data home and state home under the test's
// temp dir (the same filesystem as the fixture copies).
func testCan(t *testing.T) *TrashCan {
	t.Helper()
	base := t.TempDir()
	return NewTrashCan(filepath.Join(base, "data"), filepath.Join(base, "state"))
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustNotExist(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists (err %v)", p, err)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestTrashRestoreRoundTrip(t *testing.T) {
	root := copyFixture(t, "messy")
	s := New(root)
	can := testCan(t)
	blobPath, sidePath := s.Layout().Blob(labelledPNG), s.Layout().Sidecar(labelledPNG)
	blob, side := readFile(t, blobPath), readFile(t, sidePath)
	meta, err := DecodeSidecar(side)
	if err != nil || meta.Label == nil {
		t.Fatalf("fixture sidecar: %v %+v", err, meta)
	}

	before := time.Now().Add(-time.Second)
	var calls []int
	b, err := s.Trash(context.Background(), []ID{labelledPNG}, TrashOptions{Can: can, Progress: func(d, n int) { calls = append(calls, d, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0] != 1 || calls[1] != 1 {
		t.Errorf("progress calls %v, want [1 1]", calls)
	}
	mustNotExist(t, blobPath)
	mustNotExist(t, sidePath)
	if len(b.Items) != 2 || b.Items[0].Role != RoleBlob || b.Items[1].Role != RoleSidecar {
		t.Fatalf("batch items %+v", b.Items)
	}
	stem := *meta.Label + " " + labelledPNG.Short()
	wantFiles := []string{stem + ".json", stem + ".png"}
	if got := listDir(t, filepath.Join(can.Home, "files")); strings.Join(got, "|") != strings.Join(wantFiles, "|") {
		t.Errorf("Trash files %q, want %q", got, wantFiles)
	}
	if !bytes.Equal(readFile(t, filepath.Join(can.Home, "files", stem+".png")), blob) {
		t.Error("the trashed blob differs from the blob")
	}
	infoRe := regexp.MustCompile(`^\[Trash Info\]\nPath=(/[A-Za-z0-9/._~%-]+)\nDeletionDate=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\n$`)
	for _, it := range b.Items {
		info := readFile(t, it.Info)
		m := infoRe.FindStringSubmatch(string(info))
		if m == nil {
			t.Fatalf("%s is not a trash info a file manager accepts:\n%s", it.Info, info)
		}
		p, err := url.PathUnescape(m[1])
		if err != nil || p != it.Path {
			t.Errorf("Path=%s decodes to %q (%v), want the original %q", m[1], p, err, it.Path)
		}
		want := blobPath
		if it.Role == RoleSidecar {
			want = sidePath
		}
		if abs, _ := filepath.Abs(want); it.Path != abs {
			t.Errorf("item path %s, want %s", it.Path, abs)
		}
		d, err := time.ParseInLocation("2006-01-02T15:04:05", m[2], time.Local)
		if err != nil || d.Before(before.Truncate(time.Second)) || d.After(time.Now()) {
			t.Errorf("DeletionDate %s is not the local time now (%v)", m[2], err)
		}
		if p, _, err := ParseTrashInfo(info); err != nil || p != it.Path {
			t.Errorf("ParseTrashInfo: %q (%v), want %q", p, err, it.Path)
		}
		if filepath.Base(it.Info) != filepath.Base(it.Trashed)+".trashinfo" {
			t.Errorf("info %s does not match trashed %s", it.Info, it.Trashed)
		}
	}

	rep, err := s.Restore(context.Background(), nil, TrashOptions{Can: can})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rep.Items {
		if it.Outcome != OutcomeRestored {
			t.Errorf("%s: %s %s %v", it.Path, it.Outcome, it.Detail, it.Err)
		}
	}
	if !bytes.Equal(readFile(t, blobPath), blob) || !bytes.Equal(readFile(t, sidePath), side) {
		t.Fatal("restored files are not byte-identical")
	}
	if n := listDir(t, filepath.Join(can.Home, "files")); len(n) != 0 {
		t.Errorf("Trash files after restore: %v", n)
	}
	if n := listDir(t, filepath.Join(can.Home, "info")); len(n) != 0 {
		t.Errorf("Trash info after restore: %v", n)
	}
	if a, ok := s.Examine(labelledPNG); !ok || a.Status != StatusOK {
		t.Errorf("after restore: %+v", a)
	}
	if _, err := s.Restore(context.Background(), nil, TrashOptions{Can: can}); !errors.Is(err, ErrNothingToRestore) {
		t.Errorf("second undo: %v, want ErrNothingToRestore", err)
	}
}

func TestTrashUnknownID(t *testing.T) {
	s := New(copyFixture(t, "messy"))
	can := testCan(t)
	id := ID(strings.Repeat("ab", 32))
	b, err := s.Trash(context.Background(), []ID{id, labelledPNG}, TrashOptions{Can: can})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), s.Layout().Blob(id)) {
		t.Errorf("err %v, want NotFound naming the path", err)
	}
	if len(b.Items) != 2 {
		t.Errorf("the other id was not trashed: %+v", b.Items)
	}
}

// fakeMount makes the can believe the store is on another mount whose top
// is top: the home trash is on device 1, everything else on device 2.
func fakeMount(can *TrashCan, top string) {
	home := can.Home
	can.device = func(p string) (uint64, error) {
		if strings.HasPrefix(p+"/", filepath.Dir(home)+"/") || strings.HasPrefix(home+"/", p+"/") {
			return 1, nil
		}
		return 2, nil
	}
	can.mountTop = func(string) (string, error) { return top, nil }
}

// TestTrashOtherMount trashes and restores an attachment on "another
// mount": the batch records the mount's trash and Restore brings the files
// back from there; a mount with no usable trash leaves them in place.
// Which trash folder a mount gets is xdgtrash's TestPutOtherMount.
func TestTrashOtherMount(t *testing.T) {
	uid := strconv.Itoa(os.Getuid())
	cases := []struct {
		name    string
		prepare func(t *testing.T, top string)
		want    string // trash folder relative to top; "" = refused
	}{
		{"no .Trash: .Trash-uid is made", func(t *testing.T, top string) {}, ".Trash-" + uid},
		{"neither usable: refused", func(t *testing.T, top string) {
			os.Symlink(t.TempDir(), filepath.Join(top, ".Trash"))
			os.WriteFile(filepath.Join(top, ".Trash-"+uid), []byte("a file"), 0o600)
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := copyFixture(t, "messy")
			top := filepath.Dir(root)
			c.prepare(t, top)
			can := testCan(t)
			fakeMount(can, top)
			s := New(root)
			blob := readFile(t, s.Layout().Blob(labelledPNG))
			b, err := s.Trash(context.Background(), []ID{labelledPNG}, TrashOptions{Can: can})
			if c.want == "" {
				if !errors.Is(err, ErrNoTrash) || !strings.Contains(err.Error(), s.Layout().Blob(labelledPNG)) {
					t.Fatalf("err %v, want ErrNoTrash naming the blob", err)
				}
				if len(b.Items) != 0 || !bytes.Equal(readFile(t, s.Layout().Blob(labelledPNG)), blob) {
					t.Fatal("a refused trash moved something")
				}
				if _, err := os.Stat(can.Home); err == nil {
					t.Error("the home trash was used for a file on another mount")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(top, c.want)
			for _, it := range b.Items {
				if filepath.Dir(filepath.Dir(it.Trashed)) != dir || filepath.Dir(filepath.Dir(it.Info)) != dir {
					t.Errorf("trashed to %s / %s, want under %s", it.Trashed, it.Info, dir)
				}
			}
			fi, err := os.Lstat(dir)
			if err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("trash folder %s: %v %v, want mode 0700", dir, fi.Mode(), err)
			}
			if _, err := s.Restore(context.Background(), nil, TrashOptions{Can: can}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(readFile(t, s.Layout().Blob(labelledPNG)), blob) {
				t.Error("blob not restored byte-identical")
			}
		})
	}
}

// TestTrashRealMount trashes from a real tmpfs (needs root to mount one):
// the files must go to the mount's .Trash-$uid, never across to the home
// trash.
func TestTrashRealMount(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "lashview-test", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the injected-mount test covers the logic", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	root := filepath.Join(mnt, "store")
	if out, err := exec.Command("cp", "-a", copyFixture(t, "messy"), root).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	s := New(root)
	can := testCan(t)
	blob := readFile(t, s.Layout().Blob(labelledPNG))
	b, err := s.Trash(context.Background(), []ID{labelledPNG}, TrashOptions{Can: can})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(mnt, ".Trash-"+strconv.Itoa(os.Getuid()), "files")
	for _, it := range b.Items {
		if filepath.Dir(it.Trashed) != want {
			t.Errorf("trashed to %s, want in %s", it.Trashed, want)
		}
	}
	if _, err := os.Stat(can.Home); err == nil {
		t.Error("the home trash was made for a file on another mount")
	}
	if _, err := s.Restore(context.Background(), []ID{labelledPNG}, TrashOptions{Can: can}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, s.Layout().Blob(labelledPNG)), blob) {
		t.Error("blob not restored byte-identical")
	}
}

func TestRestoreUndoOrderAndNamedIDs(t *testing.T) {
	s := New(copyFixture(t, "messy"))
	can := testCan(t)
	a := ID("e7587f9de8bd7e42377ac2597dad27637b68c4d47d5f0b29bb1ce41d952eef27")
	b := ID("35fd0c90ba9c26233d9272b9c309f38dcef87cd53038d3fb3af3db25ad72541d")
	c := ID("c4af20a6f7217a88d2439be75d5a27b1e7c70ddb7285784a67801b7f8214a466")
	ctx := context.Background()
	opt := TrashOptions{Can: can}
	for _, ids := range [][]ID{{a}, {b, c}} {
		if _, err := s.Trash(ctx, ids, opt); err != nil {
			t.Fatal(err)
		}
	}
	present := func(id ID) bool { _, ok := s.Examine(id); return ok }
	// Named restore takes one id out of the newest batch.
	if _, err := s.Restore(ctx, []ID{c}, opt); err != nil {
		t.Fatal(err)
	}
	if present(a) || present(b) || !present(c) {
		t.Fatalf("after restore c: a %v b %v c %v", present(a), present(b), present(c))
	}
	// Undo brings back the rest of the newest batch (b), not a.
	if _, err := s.Restore(ctx, nil, opt); err != nil {
		t.Fatal(err)
	}
	if present(a) || !present(b) {
		t.Fatalf("after first undo: a %v b %v", present(a), present(b))
	}
	if _, err := s.Restore(ctx, nil, opt); err != nil {
		t.Fatal(err)
	}
	if !present(a) {
		t.Fatal("second undo did not bring back a")
	}
	if _, err := s.Restore(ctx, []ID{a}, opt); !errors.Is(err, ErrNothingToRestore) {
		t.Errorf("restore of a restored id: %v", err)
	}
	// Another store's batches are not this store's to undo.
	other := New(copyFixture(t, "messy"))
	if _, err := other.Restore(ctx, nil, opt); !errors.Is(err, ErrNothingToRestore) {
		t.Errorf("undo in another store: %v", err)
	}
}

func TestRestoreNeverDestroys(t *testing.T) {
	s := New(copyFixture(t, "messy"))
	can := testCan(t)
	ctx := context.Background()
	opt := TrashOptions{Can: can}
	blob := readFile(t, s.Layout().Blob(labelledPNG))
	side := readFile(t, s.Layout().Sidecar(labelledPNG))

	// Trashed, then put again with another label: the same blob and a
	// healthy different sidecar are in place. Both stay; the Trash keeps
	// its copies.
	b, err := s.Trash(ctx, []ID{labelledPNG}, opt)
	if err != nil {
		t.Fatal(err)
	}
	newLabel := "put again"
	if _, err := s.Put(ctx, bytes.NewReader(blob), PutOptions{Label: &newLabel}); err != nil {
		t.Fatal(err)
	}
	newSide := readFile(t, s.Layout().Sidecar(labelledPNG))
	rep, err := s.Restore(ctx, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	got := map[Role]RestoreOutcome{}
	for _, it := range rep.Items {
		got[it.Role] = it.Outcome
	}
	if got[RoleBlob] != OutcomeAlreadyThere || got[RoleSidecar] != OutcomeKept {
		t.Errorf("outcomes %v, want blob already_there, sidecar kept_present", got)
	}
	if !bytes.Equal(readFile(t, s.Layout().Sidecar(labelledPNG)), newSide) {
		t.Error("the healthy sidecar in place was replaced")
	}
	for _, it := range b.Items {
		if _, err := os.Stat(it.Trashed); err != nil {
			t.Errorf("the trashed copy %s is gone: %v", it.Trashed, err)
		}
	}

	// A broken sidecar in the way goes to the Trash, and the trashed one
	// comes back.
	id2 := ID("e7587f9de8bd7e42377ac2597dad27637b68c4d47d5f0b29bb1ce41d952eef27")
	side2 := readFile(t, s.Layout().Sidecar(id2))
	if _, err := s.Trash(ctx, []ID{id2}, opt); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.Layout().Sidecar(id2), []byte("{not json"), 0o644)
	_, err = s.Restore(ctx, []ID{id2}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, s.Layout().Sidecar(id2)), side2) {
		t.Error("the trashed sidecar did not come back over a broken one")
	}
	foundBroken := false
	for _, n := range listDir(t, filepath.Join(can.Home, "files")) {
		if strings.Contains(n, "in the way") && string(readFile(t, filepath.Join(can.Home, "files", n))) == "{not json" {
			foundBroken = true
		}
	}
	if !foundBroken {
		t.Error("the broken sidecar that stood in the way is not in the Trash")
	}
	_ = side
}

func TestDefaultTrashCanFollowsEnvironment(t *testing.T) {
	d, st := t.TempDir(), t.TempDir()
	t.Setenv("XDG_DATA_HOME", d)
	t.Setenv("XDG_STATE_HOME", st)
	c := DefaultTrashCan()
	if c.Home != filepath.Join(d, "Trash") || c.Journal != filepath.Join(st, "lashview", "trash.jsonl") {
		t.Errorf("DefaultTrashCan %s %s", c.Home, c.Journal)
	}
}

func TestTrashStem(t *testing.T) {
	id := labelledPNG
	str := func(s string) *string { return &s }
	cases := []struct {
		label *string
		want  string
	}{
		{nil, id.Short()},
		{str(""), id.Short()},
		{str("  \t "), id.Short()},
		{str("cat"), "cat " + id.Short()},
		{str("a/b\nc\td"), "a b c d " + id.Short()},
		{str("..hidden"), "hidden " + id.Short()},
		{str(" لا  emoji 🐱 "), "لا emoji 🐱 " + id.Short()},
	}
	for _, c := range cases {
		if got := trashStem(c.label, id); got != c.want {
			t.Errorf("trashStem(%v) = %q, want %q", c.label, got, c.want)
		}
	}
	long := strings.Repeat("é", 300)
	got := trashStem(&long, id)
	if len(got) > 140 || !strings.HasSuffix(got, id.Short()) || !utf8ValidString(got) {
		t.Errorf("long label: %d bytes %q", len(got), got)
	}
}

func utf8ValidString(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestTrashRefusesLinkedPrefix(t *testing.T) {
	root := copyFixture(t, "messy")
	s := New(root)
	can := testCan(t)
	// sha256/ab is a link to a folder outside the store holding a file
	// named like an attachment: rm must not reach through it.
	outside := t.TempDir()
	id := ID(strings.Repeat("ab", 32))
	os.WriteFile(filepath.Join(outside, string(id)), []byte("not the store's"), 0o644)
	if err := os.Symlink(outside, filepath.Join(root, "sha256", "ab")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Trash(context.Background(), []ID{id}, TrashOptions{Can: can})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "sha256", "ab")) {
		t.Fatalf("err %v, want a refusal naming the linked folder", err)
	}
	if string(readFile(t, filepath.Join(outside, string(id)))) != "not the store's" {
		t.Error("a file outside the store was moved")
	}
}
