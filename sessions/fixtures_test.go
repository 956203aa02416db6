package sessions

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lashview/internal/storecases"
	"lashview/store"
)

// fixtures is the shared fixture folder (read-only: tests copy it first).
const fixtures = "../../shared/fixtures/lash-sessions"

var fixtureSets = []string{"alpha43", "alpha111", "mixed"}

type expected = storecases.Expected

func readExpected(t testing.TB, set string) expected { return storecases.ReadExpected(t, set) }

// copyHome copies a fixture set's lash home into a temp dir, so that no
// test opens a database under the shared fixtures: even a read-only open of
// a WAL database creates -wal/-shm files.
func copyHome(t testing.TB, set string) string { return storecases.CopyHome(t, set) }

// storeBlobs lists the blob ids of a store (64-hex names under sha256/<2>/),
// as lash's list sees them, every one older than any grace.
func storeBlobs(t testing.TB, root string) []Blob {
	t.Helper()
	var out []Blob
	matches, err := filepath.Glob(filepath.Join(root, "sha256", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range matches {
		if id, err := store.ParseID(filepath.Base(m)); err == nil {
			out = append(out, Blob{ID: id})
		}
	}
	return out
}

func ids(ss []string) []store.ID {
	out := make([]store.ID, len(ss))
	for i, s := range ss {
		out[i] = store.ID(s)
	}
	slices.Sort(out)
	return out
}

func TestFixtures(t *testing.T) {
	for _, set := range fixtureSets {
		t.Run(set, func(t *testing.T) {
			t.Parallel()
			home := copyHome(t, set)
			want := readExpected(t, set)
			ix, err := Load(context.Background(), filepath.Join(home, "sessions"))
			if err != nil {
				t.Fatal(err)
			}
			if len(ix.Problems) > 0 {
				t.Fatalf("problems: %v", ix.Problems)
			}
			checkSessionDBs(t, filepath.Join(home, "sessions"), ix, want, false)
			checkAttachments(t, ix, want, false)
			checkStoreFacts(t, ix, filepath.Join(home, "attachments"), want, false)

			var blockers []string
			for _, s := range ix.SweepBlockers() {
				blockers = append(blockers, s.File)
			}
			if want.LashGC.Aborts != (len(blockers) > 0) || (want.LashGC.AbortCause != "" && !slices.Equal(blockers, []string{want.LashGC.AbortCause})) {
				t.Errorf("SweepBlockers = %v, want aborts=%v cause %q", blockers, want.LashGC.Aborts, want.LashGC.AbortCause)
			}
		})
	}
}

// checkSessionDBs compares session_dbs: every primary is a Session with its
// meta; every file has its kind and user_version (Versions). With pg, file
// names and sidecars are not compared.
func checkSessionDBs(t *testing.T, dir string, ix *Index, want expected, pg bool) {
	t.Helper()
	var primaries int
	for _, w := range want.SessionDBs {
		if w.Kind != "primary" {
			continue
		}
		primaries++
		var got *Session
		for i := range ix.Sessions {
			if ix.Sessions[i].ID == w.SessionID {
				got = &ix.Sessions[i]
			}
		}
		if got == nil {
			t.Errorf("session %s (%s) not loaded", w.SessionID, w.File)
			continue
		}
		wantS := Session{File: w.File, ID: w.SessionID, Name: w.SessionName, Created: w.CreatedAt,
			Model: w.Model, Cwd: w.Cwd, UserVersion: w.UserVersion}
		if w.Parent != nil {
			wantS.ParentID = *w.Parent
		}
		if pg {
			wantS.File, wantS.UserVersion = "", 0
		}
		if *got != wantS {
			t.Errorf("session %s:\n got %+v\nwant %+v", w.File, *got, wantS)
		}
	}
	if len(ix.Sessions) != primaries {
		t.Errorf("%d sessions loaded, want %d", len(ix.Sessions), primaries)
	}
	if pg {
		return
	}
	vs, err := Versions(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(want.SessionDBs) {
		t.Errorf("Versions: %d files, want %d", len(vs), len(want.SessionDBs))
	}
	for _, w := range want.SessionDBs {
		i := slices.IndexFunc(vs, func(v DBVersion) bool { return v.File == w.File })
		if i < 0 {
			t.Errorf("Versions: no %s", w.File)
			continue
		}
		v := vs[i]
		if v.Err != nil || v.Kind.String() != w.Kind || v.UserVersion != w.UserVersion || v.Primary != w.Primary {
			t.Errorf("Versions %s = %+v, want kind %s version %d primary %q", w.File, v, w.Kind, w.UserVersion, w.Primary)
		}
		if k, p := Classify(w.File); k.String() != w.Kind || p != w.Primary {
			t.Errorf("Classify(%s) = %v %q, want %s %q", w.File, k, p, w.Kind, w.Primary)
		}
	}
	newest := 0
	for _, w := range want.SessionDBs {
		if w.Kind == "primary" {
			newest = max(newest, w.UserVersion)
		}
	}
	if got, err := NewerLashWrites(dir); err != nil || got != (newest >= 10) {
		t.Errorf("NewerLashWrites = %v, %v; want %v", got, err, newest >= 10)
	}
}

func checkAttachments(t *testing.T, ix *Index, want expected, pg bool) {
	t.Helper()
	named := map[store.ID]bool{}
	for idStr, w := range want.Attachments {
		id := store.ID(idStr)
		uses := ix.Uses(id)
		if len(uses) != len(w.Sessions) {
			t.Errorf("%s: %d uses, want %d", id.Short(), len(uses), len(w.Sessions))
			continue
		}
		if len(uses) > 0 {
			named[id] = true
		}
		for i, ws := range w.Sessions {
			u := uses[i]
			where := id.Short() + " in " + ws.File
			if !pg && u.Session.File != ws.File {
				t.Errorf("%s: file %q", where, u.Session.File)
			}
			if u.Session.ID != ws.SessionID || u.Session.Name != ws.SessionName {
				t.Errorf("%s: session %s %s", where, u.Session.ID, u.Session.Name)
			}
			if u.Manifest != ws.Manifest || u.Committed != ws.Committed {
				t.Errorf("%s: manifest %v committed %v, want %v %v", where, u.Manifest, u.Committed, ws.Manifest, ws.Committed)
			}
			wantOwner := ""
			if ws.OwnerKind != nil {
				wantOwner = *ws.OwnerKind
			}
			if u.OwnerKind != wantOwner {
				t.Errorf("%s: owner %q, want %q", where, u.OwnerKind, wantOwner)
			}
			if (ws.IntentAtMs == nil) != !u.Manifest || (ws.IntentAtMs != nil && *ws.IntentAtMs != u.IntentAtMs) {
				t.Errorf("%s: intent_at %d, want %v", where, u.IntentAtMs, ws.IntentAtMs)
			}
			if u.Graph.String() != ws.Graph {
				t.Errorf("%s: graph %s, want %s", where, u.Graph, ws.Graph)
			}
			if !slices.Equal(u.Labels, ws.Labels) && len(u.Labels)+len(ws.Labels) > 0 {
				t.Errorf("%s: labels %q, want %q", where, u.Labels, ws.Labels)
			}
			if len(u.Messages) != len(ws.Messages) {
				t.Errorf("%s: %d messages, want %d", where, len(u.Messages), len(ws.Messages))
			} else {
				for j, wm := range ws.Messages {
					gm := u.Messages[j]
					if gm != (Message{NodeID: wm.NodeID, Role: wm.Role, Tombstoned: wm.Tombstoned, Text: wm.Text}) {
						t.Errorf("%s: message %d = %+v, want %+v", where, j, gm, wm)
					}
				}
			}
			// gc_root is the rule of the lash that wrote the DB, at as_of.
			cutoff := want.LashGC.AsOfMs - want.LashGC.GraceMs
			if got := u.Manifest && keeps(u, cutoff); got != ws.GCRoot {
				t.Errorf("%s: gc root %v, want %v", where, got, ws.GCRoot)
			}
		}
		if w.MetaSource == nil || *w.MetaSource != "session" {
			continue
		}
		m, ok := ix.Meta(id)
		if !ok {
			t.Errorf("%s: no Meta, want one from the sessions", id.Short())
			continue
		}
		if w.MediaType == nil || m.MediaType != *w.MediaType {
			t.Errorf("%s: media type %q, want %v", id.Short(), m.MediaType, deref(w.MediaType))
		}
		if w.ByteLen != nil && m.ByteLen != *w.ByteLen {
			t.Errorf("%s: byte_len %d, want %d", id.Short(), m.ByteLen, *w.ByteLen)
		}
		if m.Width != derefInt(w.Width) || m.Height != derefInt(w.Height) {
			t.Errorf("%s: %dx%d, want %vx%v", id.Short(), m.Width, m.Height, deref(w.Width), deref(w.Height))
		}
		if m.Labelled != (w.Label != nil) || (w.Label != nil && m.Label != *w.Label) {
			t.Errorf("%s: label %q (labelled %v), want %v", id.Short(), m.Label, m.Labelled, deref(w.Label))
		}
	}
	// No id beyond those expected.json names.
	for _, id := range ix.IDs() {
		if !named[id] {
			t.Errorf("%s: named by sessions %v but not in expected.json", id.Short(), ix.Uses(id))
		}
	}
}

func checkStoreFacts(t *testing.T, ix *Index, storeRoot string, want expected, pg bool) {
	t.Helper()
	blobs := storeBlobs(t, storeRoot)
	has := map[store.ID]bool{}
	var all []store.ID
	for _, b := range blobs {
		has[b.ID] = true
		all = append(all, b.ID)
	}
	if got := ix.Unreferenced(all); !slices.Equal(got, ids(want.Unreferenced)) {
		t.Errorf("Unreferenced = %v, want %v", got, want.Unreferenced)
	}
	var got, wantD []string
	for _, d := range ix.Dangling(func(id store.ID) bool { return has[id] }) {
		f := d.Session.File
		if pg {
			f = ""
		}
		got = append(got, strings.Join([]string{f, d.Session.ID, string(d.ID), boolStr(d.Committed)}, " "))
	}
	for _, d := range want.Dangling {
		f := d.File
		if pg {
			f = ""
		}
		wantD = append(wantD, strings.Join([]string{f, d.SessionID, d.ID, boolStr(d.Committed)}, " "))
	}
	slices.Sort(got)
	slices.Sort(wantD)
	if !slices.Equal(got, wantD) {
		t.Errorf("Dangling =\n %q\nwant\n %q", got, wantD)
	}
	now := time.UnixMilli(want.LashGC.AsOfMs)
	sw, err := Collect(ix, blobs, now, time.Duration(want.LashGC.GraceMs)*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sw.Roots, ids(want.LashGC.Roots)) {
		t.Errorf("roots =\n %v\nwant\n %v", sw.Roots, ids(want.LashGC.Roots))
	}
	if !slices.Equal(sw.Reclaimable, ids(want.LashGC.Reclaimable)) {
		t.Errorf("reclaimable =\n %v\nwant\n %v", sw.Reclaimable, ids(want.LashGC.Reclaimable))
	}
	if len(sw.Spared) != 0 {
		t.Errorf("spared %v with every blob older than the grace", sw.Spared)
	}
}

func boolStr(b bool) string {
	if b {
		return "committed"
	}
	return "uncommitted"
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
