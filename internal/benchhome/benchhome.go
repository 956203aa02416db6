// Package benchhome writes lash session databases for benchmarks: copies
// of lash alpha.111's primary session database from the shared fixtures,
// each grown by rows in lash's own format (manifest rows, a question and a
// message showing each attachment, turn commits). The sessions benchmark
// loads them; the window benchmark opens a store with them beside it.
package benchhome

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the driver lashview reads sessions with
)

// Sessions writes len(ids)/n references into each of n session databases
// in dir (created), named 20260801_<seq>.db: session s holds ids
// [s*per, (s+1)*per). tmpl is the bytes of a lash alpha.111 primary
// database (the shared fixture's 20260725_101529.db). Every 50th node is
// tombstoned and every 10th reference's turn is committed, as a real
// session's would be.
func Sessions(dir string, tmpl []byte, ids []string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	per := len(ids) / n
	for s := 0; s < n; s++ {
		path := filepath.Join(dir, fmt.Sprintf("20260801_%06d.db", s))
		if err := session(path, tmpl, ids[s*per:(s+1)*per]); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}

func session(path string, tmpl []byte, ids []string) error {
	if err := os.WriteFile(path, tmpl, 0o644); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(wal)")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	for i, id := range ids {
		if _, err := tx.Exec(`INSERT INTO attachment_manifest (attachment_id, session_id, canonical_uri, intent_at_ms, committed_at_ms, owner_kind, owner_id)
			VALUES (?, 'beac113c-42b3-4391-9d5e-9a223a0b3239', ?, ?, ?, 'turn', ?)`, id, "lash-attachment://sha256/"+id, 1784967340200+i, 1784967357900+i, fmt.Sprintf("turn-%d", i/10)); err != nil {
			return err
		}
		ask := fmt.Sprintf(`{"node_id":"q%d","timestamp":"2026-08-01T10:%02d:%02d.000000000+00:00","kind":"event","event":{"Conversation":{"id":"q%d","role":"Assistant","parts":[{"id":"q%d.p0","kind":"Prose","content":"%s","prune_state":"Intact"}]}}}`,
			i, i/60%60, i%60, i, i, strings.Repeat("Looking at the screenshot now. ", 8))
		show := fmt.Sprintf(`{"node_id":"m%d","parent_node_id":"q%d","timestamp":"2026-08-01T10:%02d:%02d.500000000+00:00","kind":"event","event":{"Conversation":{"id":"m%d","role":"User","parts":[{"id":"m%d.p0","kind":"Text","content":"Here is capture %d.","prune_state":"Intact"},{"id":"m%d.p1","kind":"Attachment","content":"","attachment":{"source":{"source":"stored","attachment_ref":{"id":"%s","media_type":"image/png","byte_len":%d,"type_metadata":{"type":"image","width":1280,"height":800},"label":"capture-%d.png"}}},"prune_state":"Intact"}]}}}`,
			i, i, i/60%60, i%60, i, i, i, i, id, 1000+i, i)
		for _, n := range []struct{ id, js string }{{fmt.Sprintf("q%d", i), ask}, {fmt.Sprintf("m%d", i), show}} {
			if _, err := tx.Exec(`INSERT INTO graph_nodes (node_id, node_json, tombstoned) VALUES (?, ?, ?)`, n.id, n.js, i%50 == 0); err != nil {
				return err
			}
		}
		if i%10 == 9 {
			if _, err := tx.Exec(`INSERT INTO runtime_turn_commits VALUES ('beac113c-42b3-4391-9d5e-9a223a0b3239', ?, 'h', '{}', ?)`, fmt.Sprintf("turn-%d", i/10), 1784967357900+i); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}
