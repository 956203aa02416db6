package cli

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lashview/internal/pgtest"
	"lashview/internal/storecases"
)

// dbSums is the sha256 of every file in the sessions folder: a command that
// reads lash's sessions must leave the databases byte-identical.
func dbSums(t *testing.T, dir string) map[string][sha256.Size]byte {
	t.Helper()
	sums := map[string][sha256.Size]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".db") {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			sums[e.Name()] = sha256.Sum256(data)
		}
	}
	return sums
}

// TestLsFromSessions: ls --json says of every attachment of each fixture
// set what its expected.json says: generation, status, media type and where
// it came from, size, label, and every session that holds it.
func TestLsFromSessions(t *testing.T) {
	for _, set := range []string{"alpha43", "alpha111", "mixed"} {
		t.Run(set, func(t *testing.T) {
			home := storecases.CopyHome(t, set)
			before := dbSums(t, filepath.Join(home, "sessions"))
			checkLs(t, set, false, "--store", filepath.Join(home, "attachments"))
			if after := dbSums(t, filepath.Join(home, "sessions")); !maps.Equal(before, after) {
				t.Error("ls changed a session database")
			}
		})
	}
}

// TestPostgresSessions: with --sessions naming a PostgreSQL database that
// holds alpha111's sessions (postgres.sql, in a private server), ls, refs
// and gc say what they say with the SQLite files, file names aside.
func TestPostgresSessions(t *testing.T) {
	tempXDG(t)
	sock := pgtest.Start(t)
	pgtest.Psql(t, sock, "postgres", "-c", "CREATE DATABASE lash")
	pgtest.Psql(t, sock, "lash", "-f", filepath.Join(storecases.Shared(t), "lash-sessions", "postgres.sql"))
	url := pgtest.URL(sock, "lash")
	home := storecases.CopyHome(t, "alpha111")
	// Only the database speaks: the SQLite sessions are moved away.
	if err := os.Rename(filepath.Join(home, "sessions"), filepath.Join(home, "sessions.away")); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(home, "attachments")
	checkLs(t, "alpha111", true, "--store", root, "--sessions", url)
	code, out, errOut := cli(t, "refs", "--store", root, "--sessions", url, "237c1f1dddc4eff3c0ab304590d4283831f6dae789315e4eebc4a2ff3c20ac11")
	if code != exitOK || !strings.Contains(out, "used by 2 sessions: tidal-cove") {
		t.Errorf("refs: exit %d, %q %q", code, out, errOut)
	}
	ageBlobs(t, root)
	e := storecases.ReadExpected(t, "alpha111")
	code, out, errOut = cli(t, "gc", "--dry-run", "--json", "--grace", graceAt(e), "--store", root, "--sessions", url)
	var got []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r gcRecord
		json.Unmarshal(sc.Bytes(), &r)
		got = append(got, r.ID)
	}
	if code != exitOK || !slices.Equal(got, slices.Sorted(slices.Values(e.LashGC.Reclaimable))) {
		t.Errorf("gc --dry-run with Postgres: exit %d, %v, %s", code, got, errOut)
	}
	// Postgres is only ever newer lash's: the store is blob-only.
	if code, _, errOut := cli(t, "label", "--store", root, "--sessions", url, "237c1f1dddc4eff3c0ab304590d4283831f6dae789315e4eebc4a2ff3c20ac11", "x"); code != exitProblems || !strings.Contains(errOut, "session databases") {
		t.Errorf("label: exit %d, %q", code, errOut)
	}
}

// checkLs runs ls --json with args and compares every line with the set's
// expected.json (session file names too, unless noFiles).
func checkLs(t *testing.T, set string, noFiles bool, args ...string) {
	t.Helper()
	want := storecases.ReadExpected(t, set)
	code, out, errOut := cli(t, append([]string{"ls", "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("ls: exit %d: %s", code, errOut)
	}
	got := map[string]lsRecord{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r lsRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		got[r.ID] = r
	}
	if len(got) != len(want.Attachments) {
		t.Errorf("ls listed %d ids, expected.json has %d", len(got), len(want.Attachments))
	}
	for id, w := range want.Attachments {
		g, ok := got[id]
		if !ok {
			t.Errorf("%s: not listed", id[:12])
			continue
		}
		wantGen := "missing"
		if w.Generation != nil {
			wantGen = map[string]string{"g1": "sidecar", "g3": "blob-only", "g4": "blob-only"}[*w.Generation]
		}
		gotGen := "missing"
		if g.Generation != nil {
			gotGen = *g.Generation
		}
		if gotGen != wantGen || g.Status != w.Status {
			t.Errorf("%s: %s %s, want %s %s", id[:12], gotGen, g.Status, wantGen, w.Status)
		}
		if str(g.MediaType) != str(w.MediaType) || (w.MediaType != nil && str(g.MetaSource) != str(w.MetaSource)) {
			t.Errorf("%s: media type %s from %s, want %s from %s", id[:12], str(g.MediaType), str(g.MetaSource), str(w.MediaType), str(w.MetaSource))
		}
		if str(g.Label) != str(w.Label) {
			t.Errorf("%s: label %s, want %s", id[:12], str(g.Label), str(w.Label))
		}
		if w.ByteLen != nil && (g.ByteLen == nil || *g.ByteLen != *w.ByteLen) {
			t.Errorf("%s: byte_len %v, want %d", id[:12], g.ByteLen, *w.ByteLen)
		}
		// Pixels only where the sidecar or a reference gives them;
		// where the bytes say too, they agree.
		if w.Width != nil && (g.Width == nil || *g.Width != *w.Width || *g.Height != *w.Height) {
			t.Errorf("%s: %v×%v pixels, want %d×%d", id[:12], g.Width, g.Height, *w.Width, *w.Height)
		}
		if len(g.Sessions) != len(w.Sessions) {
			t.Errorf("%s: %d sessions, want %d", id[:12], len(g.Sessions), len(w.Sessions))
			continue
		}
		for i, ws := range w.Sessions {
			gs := g.Sessions[i]
			if noFiles {
				ws.File = ""
			}
			if gs.File != ws.File || gs.SessionID != ws.SessionID || gs.SessionName != ws.SessionName ||
				gs.Manifest != ws.Manifest || gs.Committed != ws.Committed || str(gs.OwnerKind) != str(ws.OwnerKind) ||
				fmt.Sprint(deref(gs.IntentAtMs)) != fmt.Sprint(deref(ws.IntentAtMs)) || gs.Graph != ws.Graph ||
				!slices.Equal(gs.Labels, nonNil(ws.Labels)) {
				t.Errorf("%s session %d:\n got %+v\nwant %+v", id[:12], i, gs, ws)
			}
			if len(gs.Messages) != len(ws.Messages) {
				t.Errorf("%s session %d: %d messages, want %d", id[:12], i, len(gs.Messages), len(ws.Messages))
				continue
			}
			for k, wm := range ws.Messages {
				gm := gs.Messages[k]
				if gm.NodeID != wm.NodeID || gm.Role != wm.Role || gm.Tombstoned != wm.Tombstoned || gm.Text != wm.Text {
					t.Errorf("%s message %d: %+v, want %+v", id[:12], k, gm, wm)
				}
			}
		}
	}
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ageBlobs sets every blob's time before the cutoff the fixture's sweep
// uses: expected.json ignores blob times.
func ageBlobs(t *testing.T, root string) {
	t.Helper()
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	filepath.WalkDir(filepath.Join(root, "sha256"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chtimes(p, old, old)
		}
		return err
	})
}

// graceAt is the --grace that puts the sweep's cutoff where expected.json
// has it (as_of - grace) when gc runs now.
func graceAt(e storecases.Expected) string {
	asOf := time.UnixMilli(e.LashGC.AsOfMs)
	return (time.Since(asOf) + time.Duration(e.LashGC.GraceMs)*time.Millisecond).Round(time.Second).String()
}

// TestGC: gc --dry-run selects exactly what lash's sweep would reclaim, and
// moves nothing; gc moves exactly those to the Trash as one batch, restore
// brings them back; the session databases stay byte-identical.
func TestGC(t *testing.T) {
	for _, set := range []string{"alpha43", "alpha111", "mixed"} {
		t.Run(set, func(t *testing.T) {
			tempXDG(t)
			home := storecases.CopyHome(t, set)
			root := filepath.Join(home, "attachments")
			ageBlobs(t, root)
			before := dbSums(t, filepath.Join(home, "sessions"))
			e := storecases.ReadExpected(t, set)
			want := slices.Sorted(slices.Values(e.LashGC.Reclaimable))
			selected := func(out string) []string {
				var ids []string
				sc := bufio.NewScanner(strings.NewReader(out))
				for sc.Scan() {
					var r gcRecord
					if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
						t.Fatalf("%v: %s", err, sc.Text())
					}
					ids = append(ids, r.ID)
				}
				return ids
			}
			code, out, errOut := cli(t, "gc", "--dry-run", "--json", "--grace", graceAt(e), "--store", root)
			if code != exitOK {
				t.Fatalf("gc --dry-run: exit %d: %s", code, errOut)
			}
			if got := selected(out); !slices.Equal(got, want) {
				t.Fatalf("gc --dry-run selects %v\nwant %v", got, want)
			}
			for _, id := range want {
				if _, err := os.Stat(filepath.Join(root, "sha256", id[:2], id)); err != nil {
					t.Fatalf("dry run moved %s", id[:12])
				}
			}
			code, out, errOut = cli(t, "gc", "--json", "--grace", graceAt(e), "--store", root)
			if code != exitOK {
				t.Fatalf("gc: exit %d: %s", code, errOut)
			}
			if got := selected(out); !slices.Equal(got, want) {
				t.Fatalf("gc moved %v\nwant %v", got, want)
			}
			for _, id := range want {
				if _, err := os.Lstat(filepath.Join(root, "sha256", id[:2], id)); err == nil {
					t.Errorf("%s is still in the store", id[:12])
				}
			}
			if code, _, errOut := cli(t, "restore", "--store", root); code != exitOK {
				t.Fatalf("restore: exit %d: %s", code, errOut)
			}
			for _, id := range want {
				if _, err := os.Stat(filepath.Join(root, "sha256", id[:2], id)); err != nil {
					t.Errorf("%s did not come back", id[:12])
				}
			}
			if after := dbSums(t, filepath.Join(home, "sessions")); !maps.Equal(before, after) {
				t.Error("gc changed a session database")
			}
		})
	}
}

// TestGCRefuses: a truncated or garbage session database, or no sessions
// at all, stops gc with its reason, and nothing moves.
func TestGCRefuses(t *testing.T) {
	tempXDG(t)
	home := storecases.CopyHome(t, "alpha111")
	root := filepath.Join(home, "attachments")
	ageBlobs(t, root)
	names := func() int {
		n := 0
		filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return err
		})
		return n
	}
	n := names()
	primary := filepath.Join(home, "sessions", "20260725_101529.db")
	data, err := os.ReadFile(primary)
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(home, "sessions", "20260801_090000.db")
	for _, c := range []struct {
		name string
		body []byte
	}{{"truncated", data[:len(data)/3]}, {"garbage", []byte("not a database at all, just words")}} {
		if err := os.WriteFile(broken, c.body, 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := cli(t, "gc", "--grace", "0s", "--store", root)
		if code != exitProblems || !strings.Contains(errOut, "20260801_090000.db") || !strings.Contains(errOut, "nothing is moved") {
			t.Errorf("%s database: exit %d, %q", c.name, code, errOut)
		}
		if names() != n {
			t.Fatalf("%s database: gc moved something", c.name)
		}
	}
	os.Remove(broken)
	code, _, errOut := cli(t, "gc", "--grace", "0s", "--store", root, "--sessions", filepath.Join(t.TempDir(), "none"))
	if code != exitProblems || !strings.Contains(errOut, "no lash sessions") || names() != n {
		t.Errorf("no sessions: exit %d, %q", code, errOut)
	}
	if code, _, errOut := cli(t, "gc", "--grace", "soon", "--store", root); code != exitUsage || !strings.Contains(errOut, "--grace") {
		t.Errorf("bad grace: exit %d, %q", code, errOut)
	}
}

// TestRmRefusesWhatSessionsUse: rm of an attachment a session holds names
// the sessions and moves nothing; --force moves it; an unreferenced one
// goes as before.
func TestRmRefusesWhatSessionsUse(t *testing.T) {
	tempXDG(t)
	home := storecases.CopyHome(t, "alpha111")
	root := filepath.Join(home, "attachments")
	const shared = "237c1f1dddc4eff3c0ab304590d4283831f6dae789315e4eebc4a2ff3c20ac11"
	const unref = "90d3cbe3e21b3666a91eabd7e874e6da62801d18a563dfe82d8d79d1ea9a13a6"
	blob := func(id string) string { return filepath.Join(root, "sha256", id[:2], id) }
	code, _, errOut := cli(t, "rm", "--store", root, unref, shared)
	if code != exitProblems || !strings.Contains(errOut, "used by 2 sessions: tidal-cove, d17c8d73") || !strings.Contains(errOut, "nothing is moved") {
		t.Fatalf("rm of a used attachment: exit %d, %q", code, errOut)
	}
	for _, id := range []string{shared, unref} {
		if _, err := os.Stat(blob(id)); err != nil {
			t.Fatalf("%s moved though rm refused", id[:12])
		}
	}
	if code, _, errOut := cli(t, "rm", "--store", root, unref); code != exitOK {
		t.Fatalf("rm of an unreferenced attachment: exit %d, %q", code, errOut)
	}
	if code, _, errOut := cli(t, "rm", "--force", "--store", root, shared); code != exitOK {
		t.Fatalf("rm --force: exit %d, %q", code, errOut)
	}
	for _, id := range []string{shared, unref} {
		if _, err := os.Lstat(blob(id)); err == nil {
			t.Errorf("%s is still there", id[:12])
		}
	}
	// refs names the sessions and the message, and that the blob is gone.
	code, out, _ := cli(t, "refs", "--store", root, shared)
	if code != exitOK || !strings.Contains(out, "used by 2 sessions") || !strings.Contains(out, "Why does the RTL title overflow here?") || !strings.Contains(out, "not in the store") {
		t.Errorf("refs: exit %d, %q", code, out)
	}
}

// TestBlobOnlyWritesCLI: on copies of each generation's store, put, label,
// doctor --fix and rm+restore never leave a name newer lash would delete in
// a blob-only store; a repeated put refreshes the blob's time; label
// refuses with its reason; the session databases stay byte-identical.
func TestBlobOnlyWritesCLI(t *testing.T) {
	for _, set := range []string{"alpha43", "alpha111", "mixed"} {
		t.Run(set, func(t *testing.T) {
			tempXDG(t)
			home := storecases.CopyHome(t, set)
			root := filepath.Join(home, "attachments")
			before := dbSums(t, filepath.Join(home, "sessions"))
			blobOnly := set != "alpha43"
			jsons := func() []string {
				m, _ := filepath.Glob(filepath.Join(root, "sha256", "*", "*.json"))
				return m
			}
			sidecarsBefore := jsons()
			pdf := filepath.Join(t.TempDir(), "spec.pdf")
			os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), 0o644)
			code, out, errOut := cli(t, "put", "--store", root, pdf)
			if blobOnly {
				if code != exitOK || !strings.Contains(out, `"media_type":"application/pdf"`) || !strings.Contains(errOut, "deletes blobs that no session references") {
					t.Fatalf("put: exit %d, %q, %q", code, out, errOut)
				}
				if code, _, errOut := cli(t, "put", "--store", root, "--label", "x", pdf); code != exitProblems || !strings.Contains(errOut, "session databases") {
					t.Errorf("put --label: exit %d, %q", code, errOut)
				}
			} else if code != exitProblems || !strings.Contains(errOut, "not PNG") {
				t.Fatalf("put of a PDF into a sidecar store: exit %d, %q", code, errOut)
			}
			// A repeated put refreshes the blob's time.
			const screenshot = "6637dced2b8c5c9ef71e1eebec805bd6e41279cb15fbe8bb7ae3fe0372f5b420"
			path := filepath.Join(root, "sha256", screenshot[:2], screenshot)
			old := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
			os.Chtimes(path, old, old)
			copyOf := filepath.Join(t.TempDir(), "shot.png")
			data, _ := os.ReadFile(path)
			os.WriteFile(copyOf, data, 0o644)
			if code, _, errOut := cli(t, "put", "--store", root, copyOf); code != exitOK {
				t.Fatalf("repeated put: exit %d, %q", code, errOut)
			}
			if fi, err := os.Stat(path); err != nil || fi.ModTime().Before(time.Now().Add(-time.Minute)) {
				t.Errorf("a repeated put did not refresh the blob's time")
			}
			// label
			code, _, errOut = cli(t, "label", "--store", root, screenshot, "new words")
			if blobOnly && set == "alpha111" {
				if code != exitProblems || !strings.Contains(errOut, "session databases") {
					t.Errorf("label in a blob-only store: exit %d, %q", code, errOut)
				}
			} else if code != exitOK && set == "alpha43" {
				t.Errorf("label in a sidecar store: exit %d, %q", code, errOut)
			}
			// doctor --fix, then rm and restore.
			if code, _, errOut := cli(t, "doctor", "--fix", "--store", root); code != exitOK && code != exitProblems {
				t.Fatalf("doctor --fix: exit %d, %q", code, errOut)
			}
			if code, _, errOut := cli(t, "rm", "--force", "--store", root, screenshot); code != exitOK {
				t.Fatalf("rm: exit %d, %q", code, errOut)
			}
			if code, _, errOut := cli(t, "restore", "--store", root, screenshot); code != exitOK {
				t.Fatalf("restore: exit %d, %q", code, errOut)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("restore did not bring the blob back")
			}
			if blobOnly {
				for _, j := range jsons() {
					if !slices.Contains(sidecarsBefore, j) {
						t.Errorf("a sidecar appeared in a store newer lash writes: %s", j)
					}
				}
				if set == "alpha111" && len(jsons()) != 0 {
					t.Errorf("the blob-only store holds sidecars: %v", jsons())
				}
			}
			if after := dbSums(t, filepath.Join(home, "sessions")); !maps.Equal(before, after) {
				t.Error("a command changed a session database")
			}
		})
	}
}
