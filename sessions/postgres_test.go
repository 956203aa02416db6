package sessions

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lashview/internal/pgtest"
)

var timeZero time.Time

// privateServer starts a private server with postgres.sql loaded into the
// database lash, and a database older whose schema version lash does not
// read.
func privateServer(t *testing.T) (sockDir string) {
	t.Helper()
	sqlPath, err := filepath.Abs(filepath.Join(fixtures, "postgres.sql"))
	if err != nil {
		t.Fatal(err)
	}
	sock := pgtest.Start(t)
	pgtest.Psql(t, sock, "postgres", "-c", "CREATE DATABASE lash", "-c", "CREATE DATABASE older")
	pgtest.Psql(t, sock, "lash", "-f", sqlPath)
	pgtest.Psql(t, sock, "older", "-c", "CREATE TABLE lash_schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
		"-c", "INSERT INTO lash_schema_versions VALUES ('lash-postgres-store', 16)")
	return sock
}

func pgURL(sock, db string) string { return pgtest.URL(sock, db) }

// TestPostgres loads postgres.sql (lash alpha.111's schema with the rows of
// alpha111/) into a private server and checks every fact of
// alpha111/expected.json except file names, plus a store of another schema
// version.
func TestPostgres(t *testing.T) {
	sock := privateServer(t)
	ctx := context.Background()
	want := readExpected(t, "alpha111")
	src, err := Locate(pgURL(sock, "lash"), "")
	if err != nil || !src.IsPostgres() {
		t.Fatalf("Locate(postgres URL) = %+v, %v", src, err)
	}
	ix, err := Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Problems) > 0 {
		t.Fatalf("problems: %v", ix.Problems)
	}
	checkSessionDBs(t, "", ix, want, true)
	checkAttachments(t, ix, want, true)
	// The store is alpha111's: the Postgres rows mirror its sessions.
	home := copyHome(t, "alpha111")
	checkStoreFacts(t, ix, filepath.Join(home, "attachments"), want, true)

	t.Run("other schema version", func(t *testing.T) {
		ix, err := LoadPostgres(ctx, pgURL(sock, "older"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ix.Problems) != 1 || !strings.Contains(ix.Problems[0].Reason, "schema version 16") {
			t.Fatalf("problems = %v, want one naming schema version 16", ix.Problems)
		}
		var refused *RefusedError
		if _, err := Collect(ix, nil, timeZero, DefaultGrace); !errors.As(err, &refused) {
			t.Fatalf("Collect = %v, want a refusal", err)
		}
	})
	t.Run("not a lash database", func(t *testing.T) {
		ix, err := LoadPostgres(ctx, pgURL(sock, "postgres"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ix.Problems) != 1 || !strings.Contains(ix.Problems[0].Reason, "no lash_schema_versions") {
			t.Fatalf("problems = %v", ix.Problems)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		if _, err := LoadPostgres(ctx, pgURL(t.TempDir(), "lash")); err == nil {
			t.Fatal("no error for a server that is not there")
		}
	})
}
