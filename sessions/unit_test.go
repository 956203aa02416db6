package sessions

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lashview/store"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name    string
		kind    FileKind
		primary string
	}{
		{"20260612_093014.db", Primary, ""},
		{"d17c8d73-3656-476d-aa41-b7ffbec4893c-5ee1cef6056497f7.db", Primary, ""},
		{"anything.db", Primary, ""},
		{"20260612_093014.db.artifacts.db", Sidecar, "20260612_093014.db"},
		{"20260612_093014.db.effects.db", Sidecar, "20260612_093014.db"},
		{"20260612_093014.db.processes.db", Sidecar, "20260612_093014.db"},
		{"20260612_093014.db.host-events.db", Sidecar, "20260612_093014.db"},
		{"20260612_093014.db.triggers.db", Sidecar, "20260612_093014.db"},
		{"20260612_093014.db.process-env.db", Sidecar, "20260612_093014.db"},
		{"a.dbx.db", Sidecar, ""},
		{"20260612_093014.db.ui.json", NotDB, ""},
		{"20260612_093014.db.host.json", NotDB, ""},
		{"20260612_093014.db-wal", NotDB, ""},
		{"20260612_093014.db-shm", NotDB, ""},
		{".db", NotDB, ""},
		{"notes.txt", NotDB, ""},
	} {
		if k, p := Classify(c.name); k != c.kind || p != c.primary {
			t.Errorf("Classify(%q) = %v %q, want %v %q", c.name, k, p, c.kind, c.primary)
		}
	}
}

func TestLocate(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	home := func() (string, error) { return "/home/maria", nil }
	noHome := func() (string, error) { return "", errors.New("no home") }
	for _, c := range []struct {
		flag, store string
		env         func(string) string
		home        func() (string, error)
		want        Source
	}{
		{"/x/sessions", "/s/attachments", env("LASH_HOME", "/lh", "LASH_POSTGRES_DATABASE_URL", "postgres://h/db"), home, Source{Dir: "/x/sessions"}},
		{"postgres://u:pw@h/db", "", env("LASH_HOME", "/lh"), home, Source{URL: "postgres://u:pw@h/db"}},
		{"postgresql://h/db", "", env(), home, Source{URL: "postgresql://h/db"}},
		{"", "/s/attachments", env("LASH_HOME", "/lh", "LASH_POSTGRES_DATABASE_URL", "postgres://h/db"), home, Source{URL: "postgres://h/db"}},
		{"", "/s/attachments/", env("LASH_HOME", "/lh"), home, Source{Dir: "/s/sessions"}},
		{"", "", env("LASH_HOME", "/lh"), home, Source{Dir: "/lh/sessions"}},
		{"", "", env(), home, Source{Dir: "/home/maria/.lash/sessions"}},
	} {
		got, err := locate(c.flag, c.store, c.env, c.home)
		if err != nil || got != c.want {
			t.Errorf("locate(%q) = %+v, %v; want %+v", c.flag, got, err, c.want)
		}
	}
	if _, err := locate("", "", env(), noHome); err == nil {
		t.Error("locate with no flag, env or home: no error")
	}
	if s := (Source{URL: "postgres://u:secret@h/db"}).String(); strings.Contains(s, "secret") {
		t.Errorf("Source.String shows the password: %s", s)
	}
}

// TestExampleNodes reads the sample node_json records of both formats and
// finds exactly the stored references (alpha.111's inline attachment names
// no stored blob).
func TestExampleNodes(t *testing.T) {
	for _, c := range []struct {
		file  string
		nodes [][]string // per line: "id-prefix mime WxH label"
	}{
		{"node_json.alpha43.jsonl", nil},
		{"node_json.alpha111.jsonl", nil},
	} {
		f, err := os.Open(filepath.Join(fixtures, "examples", c.file))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		line := 0
		for sc.Scan() {
			line++
			raw := sc.Text()
			n, ok, err := parseNode(int64(line), "", false, []byte(raw))
			if err != nil || !ok {
				t.Errorf("%s:%d: ok=%v err=%v", c.file, line, ok, err)
				continue
			}
			// Every 64-hex id that sits beside a byte_len in the text is found.
			want := strings.Count(raw, `"byte_len"`)
			if len(n.refs) != want {
				t.Errorf("%s:%d: %d refs, want %d", c.file, line, len(n.refs), want)
			}
			for _, r := range n.refs {
				if !strings.Contains(r.mediaType, "/") || r.byteLen <= 0 {
					t.Errorf("%s:%d: ref %+v", c.file, line, r)
				}
			}
			if n.id == "" || n.time.IsZero() {
				t.Errorf("%s:%d: node id %q time %v", c.file, line, n.id, n.time)
			}
		}
		f.Close()
	}
}

func TestParseNodeShapes(t *testing.T) {
	id := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name, js string
		want     []ref
	}{
		{"alpha43 object media type, jpg", `{"a":{"reference":{"id":"` + id + `","media_type":{"kind":"image","type":"jpg"},"byte_len":5,"width":3,"height":2,"label":""}}}`,
			[]ref{{id: store.ID(id), mediaType: "image/jpeg", byteLen: 5, width: 3, height: 2, label: "", labelled: true}}},
		{"alpha111 type_metadata", `{"attachment_ref":{"id":"` + id + `","media_type":"image/JPG","byte_len":5,"type_metadata":{"type":"image","width":7,"height":8}}}`,
			[]ref{{id: store.ID(id), mediaType: "image/jpeg", byteLen: 5, width: 7, height: 8}}},
		{"embedded in a plugin body", `{"kind":"plugin","body":[1,{"deep":{"x":{"id":"` + id + `","media_type":"application/pdf","byte_len":0}}}]}`,
			[]ref{{id: store.ID(id), mediaType: "application/pdf"}}},
		{"uppercase id", `{"x":{"id":"` + strings.ToUpper(id) + `","media_type":"image/png","byte_len":1}}`, nil},
		{"no byte_len", `{"x":{"id":"` + id + `","media_type":"image/png","size":1,"byte_len_":1}} "byte_len"`, nil},
		{"no media type", `{"x":{"id":"` + id + `","byte_len":1}}`, nil},
		{"byte_len a string", `{"x":{"id":"` + id + `","media_type":"image/png","byte_len":"1"}}`, nil},
	} {
		n, ok, err := parseNode(1, "n", false, []byte(c.js))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if ok != (len(c.want) > 0) || !slices.Equal(n.refs, c.want) {
			t.Errorf("%s: refs %+v, want %+v", c.name, n.refs, c.want)
		}
	}
	if _, _, err := parseNode(1, "n", false, []byte(`{"byte_len": `)); err == nil {
		t.Error("broken node_json with a byte_len: no error")
	}
}

// TestMetaRule: Meta comes from the newest reference in a live node (by
// node time, across sessions); a tombstoned node gives type, size and
// dimensions only when no live node shows the id, and never the label.
func TestMetaRule(t *testing.T) {
	a, b := store.ID(strings.Repeat("a", 64)), store.ID(strings.Repeat("b", 64))
	at := func(m int) time.Time { return time.Date(2026, 7, 1, 10, m, 0, 0, time.UTC) }
	r := func(id store.ID, label string) ref {
		return ref{id: id, mediaType: "image/png", byteLen: 9, width: 4, height: 3, label: label, labelled: true}
	}
	ls := []loaded{
		{session: Session{File: "1.db", ID: "s1"}, nodes: []node{
			{seq: 1, id: "n1", time: at(1), refs: []ref{r(a, "old live")}},
			{seq: 2, id: "n2", time: at(9), tombstoned: true, refs: []ref{r(a, "newest but tombstoned"), r(b, "tomb only")}},
		}},
		{session: Session{File: "2.db", ID: "s2"}, nodes: []node{
			{seq: 1, id: "m1", time: at(5), refs: []ref{r(a, "newer live"), r(a, "newer live"), r(a, "second label")}},
		}},
	}
	ix := build(Source{}, ls, nil)
	m, ok := ix.Meta(a)
	if !ok || m.Label != "newer live" || m.NodeID != "m1" || m.Session.ID != "s2" || m.Tombstoned {
		t.Errorf("Meta(a) = %+v", m)
	}
	m, ok = ix.Meta(b)
	if !ok || m.Labelled || m.MediaType != "image/png" || m.Width != 4 || !m.Tombstoned {
		t.Errorf("Meta(b) = %+v, want type and size but no label", m)
	}
	us := ix.Uses(a)
	if len(us) != 2 || us[0].Graph != GraphLive || !slices.Equal(us[0].Labels, []string{"old live"}) ||
		len(us[0].Messages) != 2 || !slices.Equal(us[1].Labels, []string{"newer live", "second label"}) || len(us[1].Messages) != 1 {
		t.Errorf("Uses(a) = %+v", us)
	}
	if u := ix.Uses(b); len(u) != 1 || u[0].Graph != GraphTombstoned || len(u[0].Labels) != 0 || u[0].Manifest {
		t.Errorf("Uses(b) = %+v", u)
	}
}

// TestCollectRule checks lash's reclaim rule case by case, including the
// cases the fixtures cannot tell apart.
func TestCollectRule(t *testing.T) {
	now := time.UnixMilli(10_000_000)
	grace := time.Hour
	old, fresh := now.Add(-2*grace).UnixMilli(), now.Add(-grace/2).UnixMilli()
	id := func(c byte) store.ID { return store.ID(strings.Repeat(string(c), 64)) }
	row := func(c byte, intent int64, committed bool, kind, owner string) manifestRow {
		r := manifestRow{sessionID: "s", id: id(c), intentAt: intent, committed: committed, ownerKind: kind, ownerID: owner}
		if committed {
			r.committedAt = intent + 1
		}
		return r
	}
	ls := []loaded{{
		session: Session{File: "s.db", ID: "s"},
		manifest: []manifestRow{
			row('1', old, true, "", ""),              // committed: kept
			row('2', old, false, "", ""),             // old host put: age only, reclaimed
			row('3', fresh, false, "", ""),           // fresh host put: kept
			row('4', old, false, "turn", "t-dead"),   // another turn committed later: reclaimed
			row('5', old, false, "turn", "t-alive"),  // only its own turn committed after: kept
			row('6', old, false, "process", "p"),     // no process registry: kept
			row('7', fresh, false, "turn", "t-dead"), // fresh: kept whatever the owner
			row('8', old, false, "plugin", "x"),      // unknown owner kind: never guessed dead
		},
		turns: []turnCommit{
			{sessionID: "s", turnID: "t-other", at: old + 5},
			{sessionID: "s", turnID: "t-alive", at: now.UnixMilli()},
			{sessionID: "other", turnID: "t-x", at: now.UnixMilli()},
		},
		nodes: []node{{seq: 1, id: "n", refs: []ref{{id: id('9'), mediaType: "image/png"}}}}, // graph only: not a root
	}}
	// t-alive's intent is older than t-other's commit too, so make t-alive's
	// row newer than that commit: only its own turn committed after it.
	ls[0].manifest[4].intentAt = old + 10
	ix := build(Source{}, ls, nil)
	blobs := []Blob{
		{ID: id('1')}, {ID: id('2')}, {ID: id('4')}, {ID: id('6')}, {ID: id('9')},
		{ID: id('a'), ModTime: now.Add(-grace / 4)}, // unreferenced, modified within the grace: spared
		{ID: id('b'), ModTime: now.Add(-2 * grace)}, // unreferenced, old: reclaimed
	}
	sw, err := Collect(ix, blobs, now, grace)
	if err != nil {
		t.Fatal(err)
	}
	wantRoots := []store.ID{id('1'), id('3'), id('5'), id('6'), id('7'), id('8')}
	if !slices.Equal(sw.Roots, wantRoots) {
		t.Errorf("roots %v\nwant  %v", sw.Roots, wantRoots)
	}
	if want := []store.ID{id('2'), id('4'), id('9'), id('b')}; !slices.Equal(sw.Reclaimable, want) {
		t.Errorf("reclaimable %v\nwant        %v", sw.Reclaimable, want)
	}
	if want := []store.ID{id('a')}; !slices.Equal(sw.Spared, want) {
		t.Errorf("spared %v, want %v", sw.Spared, want)
	}
	if u := ix.Uses(id('4')); len(u) != 1 || !u[0].OwnerEnded {
		t.Errorf("Uses(4) = %+v, want OwnerEnded", u)
	}

	ix.Problems = []Problem{{File: "bad.db", Reason: "damaged"}}
	if _, err := Collect(ix, blobs, now, grace); err == nil || !strings.Contains(err.Error(), "bad.db") {
		t.Errorf("Collect with a problem = %v, want a refusal naming bad.db", err)
	}
}
