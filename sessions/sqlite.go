package sessions

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"lashview/store"

	_ "modernc.org/sqlite" // pure Go: builds without cgo, same SQLite as lash's
)

// Schema versions (PRAGMA user_version) of lash's session databases.
const (
	// OldestVersion is alpha.40's schema; lash never wrote an older one.
	OldestVersion = 3
	// NewestVersion is alpha.111's schema, the newest this package knows.
	NewestVersion = 12
	// BlobOnlyVersion is the first schema of a lash (alpha.87) that writes a
	// blob-only store and sweeps unreferenced blobs.
	BlobOnlyVersion = 10
)

// busyTimeoutMs bounds how long a read waits for a lock that lash holds
// (only WAL recovery takes one a reader must wait for).
const busyTimeoutMs = 5000

// openReadOnly opens one SQLite file so that nothing can be written: the
// file is opened read-only (mode=ro: no create, no journal, no checkpoint),
// the connection refuses writes (query_only), and there is one connection.
func openReadOnly(path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	// A file: URI, so '?', '#' and '%' in a path cannot turn into parameters.
	u := "file:" + (&url.URL{Path: abs}).EscapedPath() +
		fmt.Sprintf("?mode=ro&_pragma=busy_timeout(%d)&_pragma=query_only(1)", busyTimeoutMs)
	db, err := sql.Open("sqlite", u)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// checkHeader rejects what is plainly not a whole SQLite file before SQLite
// sees it, with a reason a person understands: too short for a header, not
// SQLite's magic, or shorter than the page count its header records. The
// length check is skipped while a -wal file exists: a writer may be in the
// middle of a checkpoint that grows the file.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var h [100]byte
	n, err := io.ReadFull(f, h[:])
	if n == 0 && err == io.EOF {
		return errors.New("empty file (0 bytes): not a session database")
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	if n >= 16 && string(h[:16]) != "SQLite format 3\x00" {
		return errors.New("not a SQLite database (no SQLite header)")
	}
	if n < len(h) {
		return fmt.Errorf("truncated: %d bytes, shorter than a SQLite header", n)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	// The in-header page count is valid only when the change counter and
	// the version-valid-for number agree.
	if pages == 0 || binary.BigEndian.Uint32(h[24:28]) != binary.BigEndian.Uint32(h[92:96]) {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < pages*pageSize {
		return fmt.Errorf("truncated: %d bytes, its header says %d pages of %d bytes", fi.Size(), pages, pageSize)
	}
	return nil
}

// words turns a SQLite error into the reason a person reads.
func words(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "file is not a database"):
		return "not a SQLite database (" + s + ")"
	case strings.Contains(s, "malformed"):
		return "damaged or truncated (" + s + ")"
	}
	return s
}

// DBVersion is one database file's schema version.
type DBVersion struct {
	File        string   // base name
	Kind        FileKind // Primary or Sidecar
	Primary     string   // a sidecar's primary, when its name tells
	UserVersion int      // PRAGMA user_version; meaningful only when Err is nil
	Err         error    // why the version could not be read
}

// Versions reads PRAGMA user_version of every database file in a sessions
// folder, primaries and sidecars (a sidecar's version belongs to its own
// schema, not the session schema). It reads one page per file, read-only.
// A file it cannot read has Err set; the error is only for a folder that
// cannot be listed.
func Versions(dir string) ([]DBVersion, error) {
	files, err := List(dir)
	if err != nil {
		return nil, err
	}
	out := make([]DBVersion, len(files))
	for i, f := range files {
		v := DBVersion{File: f.Name, Kind: f.Kind, Primary: f.Primary}
		v.UserVersion, v.Err = userVersion(filepath.Join(dir, f.Name))
		out[i] = v
	}
	return out, nil
}

func userVersion(path string) (int, error) {
	if err := checkHeader(path); err != nil {
		return 0, fmt.Errorf("read schema version of %s: %s", path, err)
	}
	db, err := openReadOnly(path)
	if err != nil {
		return 0, fmt.Errorf("read schema version of %s: %w", path, err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version of %s: %s", path, words(err))
	}
	return v, nil
}

// NewerLashWrites reports whether a lash of alpha.87 or later (session
// schema user_version >= 10) has written sessions in dir: such a lash writes
// a blob-only store and deletes unreferenced blobs, so nothing but blobs may
// be put beside them. A missing folder means no lash has run: false. A
// primary whose version cannot be read is an error (naming it), since it
// could be either.
func NewerLashWrites(dir string) (bool, error) {
	files, err := List(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var bad []error
	var unsure []string
	for _, f := range files {
		if f.Kind != Primary {
			continue
		}
		// The header alone answers for most homes, in one small read: a
		// version of 10 or more was set by a newer lash (a database's
		// version never changes). A lower one may be stale while the
		// change waits in the WAL, so SQLite is asked then.
		if headerUserVersion(filepath.Join(dir, f.Name)) >= BlobOnlyVersion {
			return true, nil
		}
		unsure = append(unsure, f.Name)
	}
	for _, name := range unsure {
		v, err := userVersion(filepath.Join(dir, name))
		if err != nil {
			bad = append(bad, err)
			continue
		}
		if v >= BlobOnlyVersion {
			return true, nil
		}
	}
	return false, errors.Join(bad...)
}

// headerUserVersion is the user_version a SQLite file's header holds
// (bytes 60–63, big-endian), 0 when it cannot be read.
func headerUserVersion(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var h [64]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:16]) != "SQLite format 3\x00" {
		return 0
	}
	return int(binary.BigEndian.Uint32(h[60:64]))
}

// Load reads every primary session database in dir, read-only and in
// parallel, and indexes their attachment references. Sidecar databases and
// other files are skipped, as lash skips them. A database that cannot be
// read (damaged, truncated, not SQLite, an unknown user_version, a missing
// table) becomes a Problem naming the file; the error is only for a folder
// that cannot be listed or a cancelled ctx.
func Load(ctx context.Context, dir string) (*Index, error) {
	files, err := List(dir)
	if err != nil {
		return nil, err
	}
	var primaries []string
	for _, f := range files {
		if f.Kind == Primary {
			primaries = append(primaries, f.Name)
		}
	}
	// Workers read the databases; this goroutine indexes each as soon as it
	// and every one before it are read (the index keeps Sessions order), so
	// indexing overlaps reading instead of following it.
	results := make([]loaded, len(primaries))
	errs := make([]error, len(primaries))
	done := make([]chan struct{}, len(primaries))
	for i := range done {
		done[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	next := make(chan int, len(primaries))
	for i := range primaries {
		next <- i
	}
	close(next)
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(primaries)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], errs[i] = loadSQLite(ctx, filepath.Join(dir, primaries[i]))
				close(done[i])
			}
		}()
	}
	b := newBuilder(Source{Dir: dir}, len(primaries))
	var problems []Problem
	for i, name := range primaries {
		<-done[i]
		if errs[i] != nil {
			problems = append(problems, Problem{File: name, Reason: errs[i].Error()})
			continue
		}
		if ctx.Err() == nil {
			b.add(&results[i])
		}
		results[i] = loaded{} // indexed (the index copies what it keeps): let it go
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load sessions %s: %w", dir, err)
	}
	return b.finish(problems), nil
}

// loadSQLite reads one primary DB in one read transaction, so the manifest,
// graph and turn commits it sees are one consistent snapshot even while lash
// writes. The returned error is the reason in words (the caller names the
// file).
func loadSQLite(ctx context.Context, path string) (l loaded, err error) {
	l.session.File = filepath.Base(path)
	if err := checkHeader(path); err != nil {
		return l, err
	}
	db, err := openReadOnly(path)
	if err != nil {
		return l, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return l, errors.New(words(err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return l, errors.New(words(err))
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")

	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&l.session.UserVersion); err != nil {
		return l, errors.New(words(err))
	}
	if v := l.session.UserVersion; v < OldestVersion || v > NewestVersion {
		return l, fmt.Errorf("session schema user_version %d is not one lash wrote (%d to %d); not read", v, OldestVersion, NewestVersion)
	}
	tables, err := tableNames(ctx, conn)
	if err != nil {
		return l, err
	}
	for _, t := range []string{"session_meta", "attachment_manifest", "graph_nodes"} {
		if !tables[t] {
			return l, fmt.Errorf("no %s table: not a lash session database of user_version %d", t, l.session.UserVersion)
		}
	}
	if err := readMeta(ctx, conn, &l.session); err != nil {
		return l, err
	}
	if l.manifest, err = readManifest(ctx, conn); err != nil {
		return l, err
	}
	if l.nodes, err = readNodes(ctx, conn); err != nil {
		return l, err
	}
	if tables["runtime_turn_commits"] {
		if l.turns, err = readTurns(ctx, conn, "runtime_turn_commits"); err != nil {
			return l, err
		}
	}
	return l, nil
}

func tableNames(ctx context.Context, conn *sql.Conn) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		return nil, errors.New(words(err))
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, errors.New(words(err))
		}
		out[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, errors.New(words(err))
	}
	return out, nil
}

func readMeta(ctx context.Context, conn *sql.Conn, s *Session) error {
	var id, name, created, model string
	var cwd, relation sql.NullString
	err := conn.QueryRowContext(ctx,
		"SELECT session_id, session_name, created_at, model, cwd, relation_json FROM session_meta LIMIT 1").
		Scan(&id, &name, &created, &model, &cwd, &relation)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // a session that never wrote its meta row: still a session
	}
	if err != nil {
		return fmt.Errorf("read session_meta: %s", words(err))
	}
	s.ID, s.Name, s.Created, s.Model, s.Cwd = id, name, created, model, cwd.String
	if relation.Valid {
		p, err := parentOf([]byte(relation.String))
		if err != nil {
			return fmt.Errorf("read session_meta.relation_json: %w", err)
		}
		s.ParentID = p
	}
	return nil
}

func readManifest(ctx context.Context, conn *sql.Conn) ([]manifestRow, error) {
	cols, err := columns(ctx, conn, "attachment_manifest")
	if err != nil {
		return nil, err
	}
	for _, c := range []string{"attachment_id", "session_id", "intent_at_ms", "committed_at_ms"} {
		if !cols[c] {
			return nil, fmt.Errorf("attachment_manifest has no %s column", c)
		}
	}
	q := "SELECT attachment_id, session_id, intent_at_ms, committed_at_ms, NULL, NULL FROM attachment_manifest"
	if cols["owner_kind"] && cols["owner_id"] {
		q = "SELECT attachment_id, session_id, intent_at_ms, committed_at_ms, owner_kind, owner_id FROM attachment_manifest"
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read attachment_manifest: %s", words(err))
	}
	defer rows.Close()
	var out []manifestRow
	for rows.Next() {
		var id, sid string
		var intent int64
		var committed sql.NullInt64
		var ok, oid sql.NullString
		if err := rows.Scan(&id, &sid, &intent, &committed, &ok, &oid); err != nil {
			return nil, fmt.Errorf("read attachment_manifest: %s", words(err))
		}
		r, err := manifestOf(id, sid, intent, committed, ok, oid)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read attachment_manifest: %s", words(err))
	}
	return out, nil
}

func manifestOf(id, sid string, intent int64, committed sql.NullInt64, ok, oid sql.NullString) (manifestRow, error) {
	aid, err := store.ParseID(id)
	if err != nil {
		return manifestRow{}, fmt.Errorf("attachment_manifest row: %w", err)
	}
	return manifestRow{
		sessionID: sid, id: aid, intentAt: intent,
		committed: committed.Valid, committedAt: committed.Int64,
		ownerKind: ok.String, ownerID: oid.String,
	}, nil
}

func columns(ctx context.Context, conn *sql.Conn, table string) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s: %s", table, words(err))
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read columns of %s: %s", table, words(err))
		}
		out[n] = true
	}
	return out, rows.Err()
}

// nodesQuery reads every graph row; readNodes skips those without
// refMarker with bytes.Contains before any parsing. Filtering in SQL
// instead (WHERE instr(node_json, '"byte_len"') > 0, keeping rows Scan might
// refuse) was measured slower: modernc's transpiled instr costs more CPU
// than copying the rows into Go.
const nodesQuery = `SELECT seq, node_id, node_json, tombstoned FROM graph_nodes ORDER BY seq`

func readNodes(ctx context.Context, conn *sql.Conn) ([]node, error) {
	rows, err := conn.QueryContext(ctx, nodesQuery)
	if err != nil {
		return nil, fmt.Errorf("read graph_nodes: %s", words(err))
	}
	defer rows.Close()
	var out []node
	var js sql.RawBytes
	var id string
	var sc nodeScanner // one per session: its buffers serve every row
	for rows.Next() {
		var seq int64
		var tomb int64
		if err := rows.Scan(&seq, &id, &js, &tomb); err != nil {
			return nil, fmt.Errorf("read graph_nodes: %s", words(err))
		}
		if !bytes.Contains(js, refMarker) {
			continue
		}
		n, ok, err := sc.parse(seq, id, tomb != 0, js)
		if err != nil {
			return nil, fmt.Errorf("graph node %s: node_json is not JSON: %v", id, err)
		}
		if ok {
			out = append(out, n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read graph_nodes: %s", words(err))
	}
	return out, nil
}

func readTurns(ctx context.Context, conn *sql.Conn, table string) ([]turnCommit, error) {
	rows, err := conn.QueryContext(ctx, "SELECT session_id, turn_id, committed_at_ms FROM "+table)
	if err != nil {
		return nil, fmt.Errorf("read %s: %s", table, words(err))
	}
	defer rows.Close()
	var out []turnCommit
	for rows.Next() {
		var t turnCommit
		if err := rows.Scan(&t.sessionID, &t.turnID, &t.at); err != nil {
			return nil, fmt.Errorf("read %s: %s", table, words(err))
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %s", table, words(err))
	}
	return out, nil
}
