// Package storecases is the conformance table of on-disk store cases: every
// shared fixture store (lash alpha.43's clean and messy stores, the lash
// homes of each store generation) and small cases made here, each with what
// any reader of a store must say about it. The store's readers (Scan,
// Examine, ScanPrefix, HintPrefix), the watcher and the window's listing all
// run it, so they cannot drift apart; a later store backend runs it too.
package storecases

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"lashview/internal/fixture"
	"lashview/store"
)

// Want is what a reader must say of one attachment.
type Want struct {
	Status     store.Status
	Generation store.Generation
	// MIME is the media type as a MIME name ("" where the case does not
	// say).
	MIME string
	// Size is the blob's length (-1 where the case does not say).
	Size int64
}

// Case is one store on disk and what must be read from it.
type Case struct {
	Name string
	// Root is the store's folder: a fresh writable copy per call of Cases.
	Root string
	// Options are what the caller would learn from the session databases
	// beside the store.
	Options store.Options
	// Attachments is every id that must be listed, and nothing else.
	Attachments map[store.ID]Want
	// Findings maps each stray path (relative to Root, forward slashes)
	// that must be reported to its kind.
	Findings map[string]store.FindingKind
}

// Shared is ../shared/fixtures beside the repository.
func Shared(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "fixtures")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("shared fixtures not found beside the repo: %v", err)
	}
	return dir
}

// Cases copies every case into temp folders and returns them.
func Cases(t testing.TB) []Case {
	t.Helper()
	cases := []Case{alpha43Clean(t), alpha43Messy(t), oneBlob(t)}
	for _, set := range []string{"alpha43", "alpha111", "mixed"} {
		cases = append(cases, sessionsSet(t, set))
	}
	return cases
}

// CopyHome copies the lash home of a lash-sessions set (alpha43, alpha111,
// mixed) into a temp folder and returns the copy's lash home.
func CopyHome(t testing.TB, set string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), set)
	src := filepath.Join(Shared(t), "lash-sessions", set, "lash-home")
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v %s", err, out)
	}
	if out, err := exec.Command("chmod", "-R", "u+w", dst).CombinedOutput(); err != nil {
		t.Fatalf("chmod: %v %s", err, out)
	}
	return dst
}

// Expected is a lash-sessions set's expected.json: what every reader of
// the store and of lash's sessions must say of it (the fixtures' README
// says what each field means).
type Expected struct {
	SessionDBs []struct {
		File        string  `json:"file"`
		Kind        string  `json:"kind"`
		Primary     string  `json:"primary"`
		UserVersion int     `json:"user_version"`
		SessionID   string  `json:"session_id"`
		SessionName string  `json:"session_name"`
		Parent      *string `json:"parent_session_id"`
		CreatedAt   string  `json:"created_at"`
		Model       string  `json:"model"`
		Cwd         string  `json:"cwd"`
	} `json:"session_dbs"`
	Attachments map[string]struct {
		Generation *string `json:"generation"`
		Status     string  `json:"status"`
		MediaType  *string `json:"media_type"`
		MetaSource *string `json:"meta_source"`
		ByteLen    *int64  `json:"byte_len"`
		Width      *int    `json:"width"`
		Height     *int    `json:"height"`
		Label      *string `json:"label"`
		Sessions   []struct {
			File        string   `json:"file"`
			SessionID   string   `json:"session_id"`
			SessionName string   `json:"session_name"`
			Manifest    bool     `json:"manifest"`
			Committed   bool     `json:"committed"`
			OwnerKind   *string  `json:"owner_kind"`
			IntentAtMs  *int64   `json:"intent_at_ms"`
			Graph       string   `json:"graph"`
			Labels      []string `json:"labels"`
			Messages    []struct {
				NodeID     string `json:"node_id"`
				Role       string `json:"role"`
				Tombstoned bool   `json:"tombstoned"`
				Text       string `json:"text"`
			} `json:"messages"`
			GCRoot bool `json:"gc_root"`
		} `json:"sessions"`
	} `json:"attachments"`
	Unreferenced []string `json:"unreferenced"`
	Dangling     []struct {
		File      string `json:"file"`
		SessionID string `json:"session_id"`
		ID        string `json:"id"`
		Committed bool   `json:"committed"`
	} `json:"dangling"`
	Litter    []string `json:"litter"`
	G2Garbage []string `json:"g2_garbage"`
	LashGC    struct {
		Aborts      bool     `json:"lash_sweep_aborts"`
		AbortCause  string   `json:"abort_cause"`
		AsOfMs      int64    `json:"as_of_ms"`
		GraceMs     int64    `json:"grace_ms"`
		Roots       []string `json:"roots"`
		Reclaimable []string `json:"reclaimable"`
	} `json:"lash_gc"`
}

// ReadExpected reads a lash-sessions set's expected.json (alpha43,
// alpha111, mixed).
func ReadExpected(t testing.TB, set string) Expected {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Shared(t), "lash-sessions", set, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e Expected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("%s/expected.json: %v", set, err)
	}
	return e
}

// sessionsSet is one lash home of ../shared/fixtures/lash-sessions.
func sessionsSet(t testing.TB, set string) Case {
	t.Helper()
	e := ReadExpected(t, set)
	home := CopyHome(t, set)
	c := Case{Name: "lash-sessions/" + set, Root: filepath.Join(home, "attachments"),
		Attachments: map[store.ID]Want{}, Findings: map[string]store.FindingKind{}}
	for _, db := range e.SessionDBs {
		if db.Kind == "primary" && db.UserVersion >= 10 {
			c.Options.NewerLash = true
		}
	}
	for id, a := range e.Attachments {
		if a.Generation == nil {
			continue // named by a session, not in the store
		}
		w := Want{Status: store.Status(a.Status), Generation: store.GenBlobOnly, Size: -1}
		if *a.Generation == "g1" {
			w.Generation = store.GenSidecar
		}
		if a.MediaType != nil {
			w.MIME = *a.MediaType
		}
		if a.ByteLen != nil {
			w.Size = *a.ByteLen
		}
		c.Attachments[store.ID(id)] = w
	}
	for _, p := range e.Litter {
		c.Findings[strings.TrimPrefix(p, "lash-home/attachments/")] = store.FindingTempLitter
	}
	for _, p := range e.G2Garbage {
		// One finding covers the whole per-session tree.
		rel := strings.TrimPrefix(p, "lash-home/attachments/")
		parts := strings.SplitN(rel, "/", 3)
		c.Findings[parts[0]+"/"+parts[1]] = store.FindingSessionTree
	}
	return c
}

// alpha43Expected is messy.expected.json / clean.expected.json.
type alpha43Expected struct {
	Attachments map[string]struct {
		Scan string `json:"scan"`
	} `json:"attachments"`
	Findings []struct {
		Path string `json:"path"`
		Kind string `json:"kind"`
	} `json:"findings"`
}

func alpha43(t testing.TB, name string) Case {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixture.Dir(t), name+".expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e alpha43Expected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("%s.expected.json: %v", name, err)
	}
	c := Case{Name: "lash-alpha43/" + name, Root: fixture.Copy(t, name),
		Attachments: map[store.ID]Want{}, Findings: map[string]store.FindingKind{}}
	for id, a := range e.Attachments {
		// Every attachment of a store with sidecars is of the sidecar
		// generation, a blob whose sidecar is missing included.
		c.Attachments[store.ID(id)] = Want{Status: store.Status(a.Scan), Generation: store.GenSidecar, Size: -1}
	}
	for _, f := range e.Findings {
		c.Findings[f.Path] = store.FindingKind(f.Kind)
	}
	return c
}

func alpha43Clean(t testing.TB) Case { return alpha43(t, "clean") }
func alpha43Messy(t testing.TB) Case { return alpha43(t, "messy") }

// oneBlob is a store of exactly one blob and no sidecar: blob-only, so the
// blob is healthy, though nothing beside the store says which lash wrote it.
func oneBlob(t testing.TB) Case {
	t.Helper()
	const id = "c14c9222c54fbe7555e0f9b188c3a355ab4edcd7f9455fc092297bab0a92da36" // a WebP screenshot
	src := filepath.Join(fixture.Dir(t), "clean", "sha256", id[:2], id)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "attachments")
	dir := filepath.Join(root, "sha256", id[:2])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return Case{Name: "one-blob", Root: root,
		Attachments: map[store.ID]Want{id: {Status: store.StatusOK, Generation: store.GenBlobOnly, MIME: "image/webp", Size: int64(len(data))}},
		Findings:    map[string]store.FindingKind{}}
}

// Agrees reports whether a reader said of an attachment what w wants.
func (w Want) Agrees(a store.Attachment) bool {
	return a.Status == w.Status && a.Generation == w.Generation &&
		(w.MIME == "" || a.MIME == w.MIME) && (w.Size < 0 || a.Size == w.Size)
}

// Check fails t, naming the reader, where it said of an attachment other
// than w wants, its reference in its generation's form included.
func Check(t testing.TB, reader string, a store.Attachment, w Want) {
	t.Helper()
	if !w.Agrees(a) {
		t.Errorf("%s %s: %s %s %q %d bytes (%s), want %s %s %q %d", reader, a.ID.Short(), a.Status, a.Generation, a.MIME, a.Size, a.Detail,
			w.Status, w.Generation, w.MIME, w.Size)
	}
	if got, want := a.Reference(), w.Generation.Reference(a.ID); got != want {
		t.Errorf("%s %s: reference %s, want %s", reader, a.ID.Short(), got, want)
	}
}

// CheckScan fails t where a whole listing differs from the case: other ids,
// an attachment other than wanted, other findings. It returns the listing's
// attachments by id.
func CheckScan(t testing.TB, reader string, res *store.ScanResult, c Case) map[store.ID]store.Attachment {
	t.Helper()
	got := map[store.ID]store.Attachment{}
	for _, a := range res.Attachments {
		got[a.ID] = a
	}
	if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(c.Attachments)); !slices.Equal(g, w) {
		t.Fatalf("%s listed %v\nwant %v", reader, g, w)
	}
	for id, w := range c.Attachments {
		Check(t, reader, got[id], w)
	}
	finds := map[string]store.FindingKind{}
	for _, f := range res.Findings {
		finds[f.Path] = f.Kind
	}
	if !maps.Equal(finds, c.Findings) {
		t.Errorf("%s findings %v\nwant %v", reader, finds, c.Findings)
	}
	return got
}
