package sessions

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// dbSums hashes every *.db file in dir.
func dbSums(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.db"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no databases in %s: %v", dir, err)
	}
	out := map[string][32]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = sha256.Sum256(b)
	}
	return out
}

// TestLoadLeavesFilesAlone: Load and Versions change no byte of any
// database, primaries and sidecars alike.
func TestLoadLeavesFilesAlone(t *testing.T) {
	for _, set := range fixtureSets {
		t.Run(set, func(t *testing.T) {
			dir := filepath.Join(copyHome(t, set), "sessions")
			before := dbSums(t, dir)
			if _, err := Load(context.Background(), dir); err != nil {
				t.Fatal(err)
			}
			if _, err := Versions(dir); err != nil {
				t.Fatal(err)
			}
			after := dbSums(t, dir)
			for f, sum := range before {
				if after[f] != sum {
					t.Errorf("%s changed", f)
				}
			}
			if len(after) != len(before) {
				t.Errorf("database files %d before, %d after", len(before), len(after))
			}
		})
	}
}

// openRW opens a database the way lash does: read-write, WAL.
func openRW(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(wal)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func openWriter(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := openRW(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestLoadWhileLashWrites: a writer with its own read-write connection
// commits in a loop on a WAL database while Load runs again and again;
// neither blocks nor fails, and every Load sees a consistent snapshot (the
// manifest rows and the nodes the writer adds in one transaction appear
// together).
func TestLoadWhileLashWrites(t *testing.T) {
	dir := filepath.Join(copyHome(t, "alpha111"), "sessions")
	w := openWriter(t, filepath.Join(dir, "20260725_101529.db"))
	ctx, cancel := context.WithCancel(context.Background())
	var commits atomic.Int64
	writerErr := make(chan error, 1)
	go func() {
		var err error
		defer func() { writerErr <- err }()
		for i := 0; ctx.Err() == nil; i++ {
			id := fmt.Sprintf("%064x", i+1)
			var tx *sql.Tx
			if tx, err = w.Begin(); err != nil {
				return
			}
			if _, err = tx.Exec(`INSERT INTO attachment_manifest (attachment_id, session_id, canonical_uri, intent_at_ms, committed_at_ms)
				VALUES (?, 'beac113c-42b3-4391-9d5e-9a223a0b3239', ?, 1, 2)`, id, "lash-attachment://sha256/"+id); err != nil {
				tx.Rollback()
				return
			}
			node := fmt.Sprintf(`{"node_id":"w%d","timestamp":"2026-07-25T09:00:00Z","kind":"event","event":{"Conversation":{"id":"w%d","role":"User","parts":[{"id":"w%d.p0","kind":"Attachment","content":"","attachment":{"source":{"source":"stored","attachment_ref":{"id":"%s","media_type":"image/png","byte_len":1}}},"prune_state":"Intact"}]}}}`, i, i, i, id)
			if _, err = tx.Exec(`INSERT INTO graph_nodes (node_id, node_json) VALUES (?, ?)`, fmt.Sprintf("w%d", i), node); err != nil {
				tx.Rollback()
				return
			}
			if err = tx.Commit(); err != nil {
				return
			}
			commits.Add(1)
		}
	}()
	deadline := time.Now().Add(2 * time.Second)
	loads := 0
	for time.Now().Before(deadline) || loads < 5 {
		start := time.Now()
		ix, err := Load(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(ix.Problems) > 0 {
			t.Fatalf("load %d while writing: %v", loads, ix.Problems)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("load %d took %v: blocked by the writer?", loads, d)
		}
		for _, id := range ix.IDs() {
			for _, u := range ix.Uses(id) {
				if strings.HasPrefix(string(id), "0000") && (!u.Manifest || u.Graph != GraphLive) {
					t.Fatalf("load %d saw half a transaction for %s: %+v", loads, id.Short(), u)
				}
			}
		}
		loads++
	}
	before := commits.Load()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-writerErr; err != nil {
		t.Fatalf("writer failed while Load ran: %v", err)
	}
	if before == 0 || commits.Load() == before {
		t.Errorf("writer committed %d times during %d loads (and %d after): blocked?", before, loads, commits.Load()-before)
	}
	t.Logf("%d loads, %d commits", loads, commits.Load())
}

// TestBrokenDatabases: every primary lashview cannot read is a Problem that
// names the file with the reason in words, the other sessions still load,
// and Collect refuses to judge anything.
func TestBrokenDatabases(t *testing.T) {
	dir := filepath.Join(copyHome(t, "alpha43"), "sessions")
	good, err := os.ReadFile(filepath.Join(dir, "20260614_080343.db"))
	if err != nil {
		t.Fatal(err)
	}
	garbage := []byte(strings.Repeat("this is not sqlite at all\n", 400))
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("20260701_000000.db", good[:len(good)/2])   // truncated
	write("20260702_000000.db", good[:60])            // truncated inside the header
	write("20260703_000000.db", garbage)              // not SQLite
	write("20260704_000000.db", nil)                  // empty
	write("20260705_000000.db", good)                 // becomes user_version 99 below
	write("20260705_000000.db.artifacts.db", garbage) // a sidecar: never opened by Load
	w := openWriter(t, filepath.Join(dir, "20260705_000000.db"))
	if _, err := w.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	w.Close()

	ix, err := Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"20260701_000000.db": "truncated",
		"20260702_000000.db": "truncated",
		"20260703_000000.db": "not a SQLite database",
		"20260704_000000.db": "empty",
		"20260705_000000.db": "user_version 99",
	}
	got := map[string]string{}
	for _, p := range ix.Problems {
		got[p.File] = p.Reason
	}
	for f, words := range want {
		if !strings.Contains(got[f], words) {
			t.Errorf("problem for %s = %q, want one saying %q", f, got[f], words)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems %v, want only %d", ix.Problems, len(want))
	}
	if len(ix.Sessions) != 3 {
		t.Errorf("%d sessions loaded beside the broken ones, want 3", len(ix.Sessions))
	}
	_, err = Collect(ix, storeBlobs(t, filepath.Join(filepath.Dir(dir), "attachments")), time.Now(), DefaultGrace)
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("Collect = %v, want a refusal", err)
	}
	for f := range want {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("refusal %q does not name %s", err, f)
		}
	}

	vs, err := Versions(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if _, bad := want[v.File]; bad && v.File != "20260705_000000.db" && v.Err == nil {
			t.Errorf("Versions: %s read as %d, want an error", v.File, v.UserVersion)
		}
	}
	// A primary of user_version 99 is a lash newer than alpha.87 whatever
	// the unreadable ones are; without it nothing can be concluded.
	if newer, err := NewerLashWrites(dir); !newer || err != nil {
		t.Errorf("NewerLashWrites = %v, %v; want true (user_version 99)", newer, err)
	}
	if err := os.Remove(filepath.Join(dir, "20260705_000000.db")); err != nil {
		t.Fatal(err)
	}
	if newer, err := NewerLashWrites(dir); err == nil || !strings.Contains(err.Error(), "20260703_000000.db") {
		t.Errorf("NewerLashWrites = %v, %v; want an error naming the unreadable primaries", newer, err)
	}
}
