package sessions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresComponent and PostgresVersion are the lash_schema_versions row of
// the only Postgres store schema this package reads (lash alpha.111).
const (
	PostgresComponent = "lash-postgres-store"
	PostgresVersion   = 17
)

// Open loads the sessions of src: a folder (Load) or a PostgreSQL database
// (LoadPostgres).
func Open(ctx context.Context, src Source) (*Index, error) {
	if src.IsPostgres() {
		return LoadPostgres(ctx, src.URL)
	}
	return Load(ctx, src.Dir)
}

// LoadPostgres reads lash's PostgreSQL session store (all sessions in one
// database) into an Index, in one read-only, repeatable-read transaction on
// a session whose default_transaction_read_only is on: it cannot write. A
// database without lash's tables or with another schema version than
// PostgresVersion gives an Index with one Problem (so Collect refuses); the
// error is for a database that cannot be reached or read.
func LoadPostgres(ctx context.Context, dbURL string) (*Index, error) {
	src := Source{URL: dbURL}
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("load sessions from %s: %w", src, err)
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.RuntimeParams["application_name"] = "lashview"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("load sessions from %s: %w", src, err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("load sessions from %s: %w", src, err)
	}
	defer tx.Rollback(context.Background())

	problem := func(reason string) (*Index, error) {
		return build(src, nil, []Problem{{File: src.String(), Reason: reason}}), nil
	}
	var version int
	err = tx.QueryRow(ctx, "SELECT version FROM lash_schema_versions WHERE component = $1", PostgresComponent).Scan(&version)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table
		return problem("no lash_schema_versions table: not a lash Postgres session store")
	case errors.Is(err, pgx.ErrNoRows):
		return problem("lash_schema_versions has no " + PostgresComponent + " row: not a lash Postgres session store")
	case err != nil:
		return nil, fmt.Errorf("load sessions from %s: read schema version: %w", src, err)
	case version != PostgresVersion:
		return problem(fmt.Sprintf("%s schema version %d is not the one lashview reads (%d, lash alpha.111); not read",
			PostgresComponent, version, PostgresVersion))
	}

	ls, err := readPostgres(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("load sessions from %s: %w", src, err)
	}
	return build(src, ls, nil), nil
}

func readPostgres(ctx context.Context, tx pgx.Tx) ([]loaded, error) {
	bySession := map[string]*loaded{}
	get := func(id string) *loaded {
		l := bySession[id]
		if l == nil {
			l = &loaded{session: Session{ID: id}}
			bySession[id] = l
		}
		return l
	}

	rows, err := tx.Query(ctx, "SELECT session_id FROM lash_sessions")
	if err != nil {
		return nil, fmt.Errorf("read lash_sessions: %w", err)
	}
	var sid string
	if _, err := pgx.ForEachRow(rows, []any{&sid}, func() error { get(sid); return nil }); err != nil {
		return nil, fmt.Errorf("read lash_sessions: %w", err)
	}

	var metaJSON string
	rows, err = tx.Query(ctx, "SELECT session_id, meta_json FROM lash_session_meta")
	if err != nil {
		return nil, fmt.Errorf("read lash_session_meta: %w", err)
	}
	if _, err := pgx.ForEachRow(rows, []any{&sid, &metaJSON}, func() error {
		var m struct {
			Name     string          `json:"session_name"`
			Created  string          `json:"created_at"`
			Model    string          `json:"model"`
			Cwd      *string         `json:"cwd"`
			Relation json.RawMessage `json:"relation"`
		}
		if err := json.Unmarshal([]byte(metaJSON), &m); err != nil {
			return fmt.Errorf("session %s: meta_json: %w", sid, err)
		}
		s := &get(sid).session
		s.Name, s.Created, s.Model = m.Name, m.Created, m.Model
		if m.Cwd != nil {
			s.Cwd = *m.Cwd
		}
		p, err := parentOf(m.Relation)
		if err != nil {
			return fmt.Errorf("session %s: meta_json relation: %w", sid, err)
		}
		s.ParentID = p
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read lash_session_meta: %w", err)
	}

	var (
		aid, ownerKind, ownerID sql.NullString
		intent                  int64
		committed               sql.NullInt64
	)
	rows, err = tx.Query(ctx, "SELECT attachment_id, session_id, intent_at_ms, committed_at_ms, owner_kind, owner_id FROM lash_attachment_manifest")
	if err != nil {
		return nil, fmt.Errorf("read lash_attachment_manifest: %w", err)
	}
	if _, err := pgx.ForEachRow(rows, []any{&aid, &sid, &intent, &committed, &ownerKind, &ownerID}, func() error {
		r, err := manifestOf(aid.String, sid, intent, committed, ownerKind, ownerID)
		if err != nil {
			return err
		}
		l := get(sid)
		l.manifest = append(l.manifest, r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read lash_attachment_manifest: %w", err)
	}

	// Only nodes that can hold a reference cross the wire (see refMarker).
	var (
		seq     int64
		nodeID  string
		nodeRaw []byte
		tomb    bool
	)
	rows, err = tx.Query(ctx, `SELECT session_id, seq, node_id, node_json, tombstoned FROM lash_graph_nodes
		WHERE strpos(node_json, '"byte_len"') > 0 ORDER BY session_id, seq`)
	if err != nil {
		return nil, fmt.Errorf("read lash_graph_nodes: %w", err)
	}
	if _, err := pgx.ForEachRow(rows, []any{&sid, &seq, &nodeID, &nodeRaw, &tomb}, func() error {
		n, ok, err := parseNode(seq, nodeID, tomb, nodeRaw)
		if err != nil {
			return fmt.Errorf("session %s graph node %s: node_json is not JSON: %w", sid, nodeID, err)
		}
		if ok {
			l := get(sid)
			l.nodes = append(l.nodes, n)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read lash_graph_nodes: %w", err)
	}

	var t turnCommit
	rows, err = tx.Query(ctx, "SELECT session_id, turn_id, committed_at_ms FROM lash_runtime_turn_commits")
	if err != nil {
		return nil, fmt.Errorf("read lash_runtime_turn_commits: %w", err)
	}
	if _, err := pgx.ForEachRow(rows, []any{&t.sessionID, &t.turnID, &t.at}, func() error {
		l := get(t.sessionID)
		l.turns = append(l.turns, t)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read lash_runtime_turn_commits: %w", err)
	}

	out := make([]loaded, 0, len(bySession))
	for _, l := range bySession {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].session.ID < out[j].session.ID })
	return out, nil
}
