package sessions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var timeZero time.Time

// pgBin finds a PostgreSQL server program in PATH or in Debian's
// /usr/lib/postgresql/<major>/bin (the newest major).
func pgBin(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// privateServer starts a PostgreSQL server of its own, listening only on a
// Unix socket in a temp folder, and returns the socket folder. It runs the
// server as `nobody` when the test runs as root (postgres refuses root).
// Without the server programs the test fails under CI and skips elsewhere.
func privateServer(t *testing.T) (sockDir string) {
	t.Helper()
	initdb, pgctl, psql := pgBin("initdb"), pgBin("pg_ctl"), pgBin("psql")
	if initdb == "" || pgctl == "" || psql == "" || pgBin("postgres") == "" {
		msg := "PostgreSQL server programs (initdb, pg_ctl, postgres, psql) not found in PATH or /usr/lib/postgresql/*/bin; install the Debian package postgresql"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Not t.TempDir: its parent is 0700 root, and the server user must
	// reach its data folder.
	base, err := os.MkdirTemp("", "lashview-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	data, sock := filepath.Join(base, "data"), filepath.Join(base, "sock")
	for _, d := range []string{data, sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("running as root and no user nobody to run postgres as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		for _, d := range []string{base, data, sock} {
			if err := os.Chown(d, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	run := func(asServer bool, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = base
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "HOME=" + base}
		if asServer && cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out.String())
		}
	}
	run(true, initdb, "-D", data, "-U", "lash", "--auth=trust", "-E", "UTF8", "--no-locale", "-N")
	run(true, pgctl, "-D", data, "-w", "-t", "60", "-l", filepath.Join(base, "server.log"),
		"-o", fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=off", sock), "start")
	t.Cleanup(func() {
		cmd := exec.Command(pgctl, "-D", data, "-m", "immediate", "-w", "stop")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("stop postgres: %v\n%s", err, out)
		}
	})
	psqlRun := func(db string, args ...string) {
		t.Helper()
		run(false, psql, append([]string{"-X", "-q", "-h", sock, "-U", "lash", "-d", db, "-v", "ON_ERROR_STOP=1"}, args...)...)
	}
	psqlRun("postgres", "-c", "CREATE DATABASE lash", "-c", "CREATE DATABASE older")
	sqlPath, err := filepath.Abs(filepath.Join(fixtures, "postgres.sql"))
	if err != nil {
		t.Fatal(err)
	}
	psqlRun("lash", "-f", sqlPath)
	psqlRun("older", "-c", "CREATE TABLE lash_schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
		"-c", "INSERT INTO lash_schema_versions VALUES ('lash-postgres-store', 16)")
	return sock
}

func pgURL(sock, db string) string {
	return "postgres://lash@/" + db + "?host=" + sock + "&sslmode=disable"
}

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
