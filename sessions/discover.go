package sessions

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"lashview/store"
)

// Source says where lash keeps its sessions: a folder of SQLite files (Dir)
// or one PostgreSQL database (URL). Exactly one of the two is set.
type Source struct {
	Dir string
	URL string
}

// IsPostgres reports whether the sessions live in PostgreSQL.
func (s Source) IsPostgres() bool { return s.URL != "" }

// String is the folder, or the URL without its password, for messages.
func (s Source) String() string {
	if s.URL != "" {
		return redactURL(s.URL)
	}
	return s.Dir
}

// IsPostgresURL reports whether v names a PostgreSQL database rather than a
// folder.
func IsPostgresURL(v string) bool {
	return strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://")
}

// Locate resolves where the sessions of the store at storeRoot are: the
// --sessions flag when given (a folder, or a postgres:// URL), else
// $LASH_POSTGRES_DATABASE_URL (lash's Postgres store), else the sessions
// folder beside the store (lash keeps $LASH_HOME/attachments and
// $LASH_HOME/sessions side by side). With no store named, it is
// $LASH_HOME/sessions, else ~/.lash/sessions. A folder that does not exist
// holds no sessions; Load says so.
func Locate(flag, storeRoot string) (Source, error) {
	return locate(flag, storeRoot, os.Getenv, os.UserHomeDir)
}

// LocateForBucket is where the sessions of a store in a bucket are:
// --sessions, else $LASH_POSTGRES_DATABASE_URL (lash's server setup keeps
// its sessions in PostgreSQL), else none (the zero Source): a bucket has
// no sessions folder beside it.
func LocateForBucket(flag string) Source {
	if flag == "" && os.Getenv("LASH_POSTGRES_DATABASE_URL") == "" {
		return Source{}
	}
	src, err := Locate(flag, "")
	if err != nil {
		return Source{}
	}
	return src
}

func locate(flag, storeRoot string, getenv func(string) string, home func() (string, error)) (Source, error) {
	if flag != "" {
		if IsPostgresURL(flag) {
			return Source{URL: flag}, nil
		}
		return Source{Dir: flag}, nil
	}
	if u := getenv("LASH_POSTGRES_DATABASE_URL"); u != "" {
		return Source{URL: u}, nil
	}
	if storeRoot != "" {
		return Source{Dir: filepath.Join(filepath.Dir(filepath.Clean(storeRoot)), "sessions")}, nil
	}
	if h := getenv("LASH_HOME"); h != "" {
		return Source{Dir: filepath.Join(h, "sessions")}, nil
	}
	h, err := home()
	if err != nil {
		return Source{}, fmt.Errorf("locate lash sessions: no --sessions, no $LASH_HOME and no home folder: %w", err)
	}
	return Source{Dir: filepath.Join(h, ".lash", "sessions")}, nil
}

// FileKind says what a file in the sessions folder is.
type FileKind int

const (
	// NotDB is anything that is not a session database: `.ui.json`,
	// `.host.json`, SQLite's own -wal/-shm/-journal files, strays.
	NotDB FileKind = iota
	// Primary is a session's own database: `YYYYMMDD_HHMMSS.db`,
	// `<safe id>-<16 hex>.db`, or any other `<name>.db` with no `.db`
	// before its final `.db` (lash's is_primary_session_db_name).
	Primary
	// Sidecar is a per-session extra database `<primary>.<suffix>.db`
	// (`.artifacts.db`, `.effects.db`, `.processes.db`, `.host-events.db`,
	// `.triggers.db`, `.process-env.db`, …) with its own schema. lash never
	// reads attachment references from it.
	Sidecar
)

func (k FileKind) String() string {
	switch k {
	case Primary:
		return "primary"
	case Sidecar:
		return "sidecar"
	}
	return "not a database"
}

// Classify tells a file name's kind and, for a sidecar, the primary it
// belongs to. It looks at the name only.
func Classify(name string) (kind FileKind, primary string) {
	if !strings.HasSuffix(name, ".db") || len(name) <= len(".db") {
		return NotDB, ""
	}
	if strings.Index(name, ".db") == len(name)-len(".db") {
		return Primary, ""
	}
	// "<primary>.db.<suffix>.db": the primary ends at the first ".db.".
	if i := strings.Index(name, ".db."); i > 0 {
		return Sidecar, name[:i+len(".db")]
	}
	// A ".db" inside a word ("a.dbx.db") still makes the name no primary by
	// lash's rule, but names no primary either.
	return Sidecar, ""
}

// DBFile is one database file in the sessions folder.
type DBFile struct {
	Name    string   // base name
	Kind    FileKind // Primary or Sidecar
	Primary string   // for a sidecar, its primary's name when the name tells
}

// List returns the database files of a sessions folder (primaries and
// sidecars, by name), sorted by name. Other files are left out.
func List(dir string) ([]DBFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list sessions %s: %w", dir, err)
	}
	var out []DBFile
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		kind, primary := Classify(e.Name())
		if kind == NotDB {
			continue
		}
		out = append(out, DBFile{Name: e.Name(), Kind: kind, Primary: primary})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// redactURL drops a password from a database URL before it is shown.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "postgres database (unparsable URL)"
	}
	return u.Redacted()
}

// StoreOptions is what the sessions at src tell the store: whether any of
// them is of a schema only lash alpha.87 or later writes (or they live in
// PostgreSQL, which only such a lash uses), so a blob without a sidecar is
// blob-only and lashview writes no sidecar there. A session database that
// cannot be read proves nothing; the error names it, and the options are
// still what the readable ones say.
func StoreOptions(src Source) (store.Options, error) {
	var opt store.Options
	var err error
	if src.IsPostgres() {
		opt.NewerLash = true
	} else if src.Dir != "" {
		opt.NewerLash, err = NewerLashWrites(src.Dir)
		if err != nil {
			err = fmt.Errorf("some session databases in %s could not be read, so the store is judged from its own files: %w", src.Dir, err)
		}
	}
	return opt, err
}

// OpenStore opens the store at root as the sessions at src describe it
// (StoreOptions). When some session databases could not be read, the store
// is returned ready to use together with that error.
func OpenStore(root string, src Source) (*store.Store, error) {
	opt, unread := StoreOptions(src)
	s, err := store.Open(root, opt)
	if err != nil {
		return nil, err
	}
	return s, unread
}
