// Package pgtest starts a private PostgreSQL server for tests: its own data
// folder, a Unix socket only, stopped when the test ends. Tests of lash's
// Postgres session store (package sessions, the command line) use it.
package pgtest

import (
	"bytes"
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
)

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

// Start starts a PostgreSQL server of its own, listening only on a Unix
// socket in a temp folder, with a trusted user lash, and returns the socket
// folder; the server stops when the test ends. It runs the server as
// `nobody` when the test runs as root (postgres refuses root). Without the
// server programs the test fails under CI and skips elsewhere.
func Start(t testing.TB) (sockDir string) {
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
	return sock
}

// Psql runs psql as the user lash on database db of the server at sock,
// stopping at the first error.
func Psql(t testing.TB, sock, db string, args ...string) {
	t.Helper()
	cmd := exec.Command(pgBin("psql"), append([]string{"-X", "-q", "-h", sock, "-U", "lash", "-d", db, "-v", "ON_ERROR_STOP=1"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// URL is the connection URL of database db on the server at sock.
func URL(sock, db string) string {
	return "postgres://lash@/" + db + "?host=" + sock + "&sslmode=disable"
}
