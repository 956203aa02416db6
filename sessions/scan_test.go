package sessions

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"lashview/store"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The fast scanner (scan.go) against the generic decoder (parseNodeGeneric)
// it replaces: on the fixtures' node_json, the example records, generated
// JSON and byte-level mutations of all of these, both must give the same
// refs (in the same order), role, text, time and error.

// sameNode compares what parseNode returns, time by instant and zone.
func sameNode(a, b node) bool {
	if !a.time.Equal(b.time) || a.time.String() != b.time.String() {
		return false
	}
	a.time = b.time
	return reflect.DeepEqual(a, b)
}

// checkDiff compares the fast path (with its fallback, as Load uses it)
// against parseNodeGeneric on js, and reports whether the scanner itself
// accepted js (rather than handing it to parseNodeGeneric).
func checkDiff(t testing.TB, sc *nodeScanner, what string, js []byte) (accepted bool) {
	t.Helper()
	wn, wok, werr := parseNodeGeneric(7, "", true, js)
	fn, fok, accepted := sc.fast(7, "", true, js)
	if accepted {
		if werr != nil {
			t.Fatalf("%s: scanner accepted what encoding/json rejects (%v):\n%q", what, werr, js)
		}
		if fok != wok || !sameNode(fn, wn) {
			t.Fatalf("%s: scanner\n %v %+v\ngeneric\n %v %+v\ninput %q", what, fok, fn, wok, wn, js)
		}
	}
	// What Load calls: parseNode, marker prefilter and fallback included.
	if bytes.Contains(js, refMarker) {
		pn, pok, perr := parseNode(7, "", true, js)
		if pok != wok || !sameNode(pn, wn) || fmt.Sprint(perr) != fmt.Sprint(werr) {
			t.Fatalf("%s: parseNode %v %+v %v, generic %v %+v %v\ninput %q", what, pok, pn, perr, wok, wn, werr, js)
		}
	}
	return accepted
}

// fixtureNodes is every node_json of every fixture database (sidecars
// included: .artifacts.db carries graph_nodes too) and example record.
func fixtureNodes(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for _, set := range fixtureSets {
		dir := filepath.Join(copyHome(t, set), "sessions")
		files, _ := filepath.Glob(filepath.Join(dir, "*.db"))
		for _, f := range files {
			db, err := openReadOnly(f)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.Query("SELECT node_id, node_json FROM graph_nodes")
			if err != nil { // not every sidecar has a graph
				db.Close()
				continue
			}
			for rows.Next() {
				var id string
				var js []byte
				if err := rows.Scan(&id, &js); err != nil {
					t.Fatal(err)
				}
				out[set+"/"+filepath.Base(f)+"/"+id] = js
			}
			rows.Close()
			db.Close()
		}
	}
	for _, name := range []string{"node_json.alpha43.jsonl", "node_json.alpha111.jsonl"} {
		f, err := os.Open(filepath.Join(fixtures, "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for line := 1; sc.Scan(); line++ {
			out[fmt.Sprintf("%s:%d", name, line)] = append([]byte(nil), sc.Bytes()...)
		}
		f.Close()
	}
	return out
}

func TestScanMatchesGenericOnFixtures(t *testing.T) {
	nodes := fixtureNodes(t)
	var sc nodeScanner
	withRefs := 0
	for what, js := range nodes {
		if !checkDiff(t, &sc, what, js) {
			// lash writes plain JSON: every record must take the fast path,
			// or this test would only compare the generic decoder to itself.
			t.Errorf("%s: scanner declined a record lash wrote", what)
		}
		if _, ok, _ := parseNodeGeneric(0, "", false, js); ok {
			withRefs++
		}
	}
	if len(nodes) < 50 || withRefs < 10 {
		t.Fatalf("%d records, %d with refs: fixtures not found?", len(nodes), withRefs)
	}
	t.Logf("%d records, %d with refs", len(nodes), withRefs)
}

// genJSON writes random JSON biased toward what matters: reference-shaped
// objects (good and almost-good), the conversation path, repeated keys,
// escapes in keys and values, invalid UTF-8, numbers at int64's edges.
type genJSON struct {
	r *rand.Rand
	b bytes.Buffer
}

var (
	genKeys = []string{"id", "byte_len", "media_type", "width", "height", "type_metadata", "label",
		"kind", "type", "content", "event", "Conversation", "parts", "role", "timestamp", "node_id",
		"attachment", "reference", "source", "attachment_ref", "a", "b", "Z", "é", `\u0069d`, `byte\u005flen`,
		`ev\u0065nt`, "ID", "byte_len_", "\xff"}
	genStrings = []string{"", "image/png", " Image/PNG ", "image/jpg", "IMAGE/JPG", "image", "png", "jpg",
		"Text", "Prose", "ToolResult", "Attachment", "User", "Assistant", "hello", `line\nbreak`, `quote\"d`,
		`\u00e9t\u00e9`, `\ud83d\ude00`, `\ud800`, `\ud800\u0041`, "caf\xc3\xa9", "bad\xffutf8", `\/`, "   ",
		"2026-07-25T08:15:41.350652124+00:00", "2026-07-25T10:15:41+02:00", "not a time", "label-é",
		strings.Repeat("ab", 32), strings.Repeat("AB", 32), strings.Repeat("0", 63), strings.Repeat("f", 65),
		`\u0061` + strings.Repeat("b", 63)}
	genNumbers = []string{"0", "-0", "1", "306", "-5", "1.5", "1e3", "1E+2", "0.0", "4294967295", "4294967296",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999", "12"}
)

func (g *genJSON) ws() {
	if g.r.IntN(8) == 0 {
		g.b.WriteString([]string{" ", "\n", "\t ", "\r\n"}[g.r.IntN(4)])
	}
}

func (g *genJSON) str(s string) { g.b.WriteString(`"` + s + `"`) }

func (g *genJSON) value(depth int) {
	g.ws()
	switch n := g.r.IntN(12); {
	case depth > 5 || n < 3:
		g.scalar()
	case n < 6:
		g.ref(depth)
	case n < 8:
		g.b.WriteByte('[')
		for i, k := 0, g.r.IntN(4); i < k; i++ {
			if i > 0 {
				g.b.WriteByte(',')
			}
			g.value(depth + 1)
		}
		g.ws()
		g.b.WriteByte(']')
	default:
		g.object(depth)
	}
	g.ws()
}

func (g *genJSON) scalar() {
	switch g.r.IntN(4) {
	case 0:
		g.str(genStrings[g.r.IntN(len(genStrings))])
	case 1:
		g.b.WriteString(genNumbers[g.r.IntN(len(genNumbers))])
	case 2:
		g.b.WriteString([]string{"true", "false", "null"}[g.r.IntN(3)])
	default:
		g.str(strings.Repeat("ab", 32))
	}
}

func (g *genJSON) object(depth int) {
	g.b.WriteByte('{')
	for i, k := 0, g.r.IntN(6); i < k; i++ {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.ws()
		g.str(genKeys[g.r.IntN(len(genKeys))])
		g.ws()
		g.b.WriteByte(':')
		g.value(depth + 1)
	}
	g.b.WriteByte('}')
}

// ref writes a reference-shaped object: either spelling of media_type,
// sometimes a field wrong or missing or repeated, sometimes a ref nested
// inside.
func (g *genJSON) ref(depth int) {
	ids := []string{strings.Repeat("ab", 32), strings.Repeat("01", 32), fmt.Sprintf("%064x", g.r.Uint64())}
	fields := []func(){
		func() { g.str("id"); g.b.WriteByte(':'); g.str(ids[g.r.IntN(len(ids))]) },
		func() { g.str("byte_len"); g.b.WriteByte(':'); g.b.WriteString(genNumbers[g.r.IntN(len(genNumbers))]) },
		func() {
			g.str("media_type")
			g.b.WriteByte(':')
			if g.r.IntN(2) == 0 {
				g.str(genStrings[g.r.IntN(6)])
			} else {
				g.b.WriteString(`{"kind":`)
				g.str(genStrings[g.r.IntN(8)])
				g.b.WriteString(`,"type":`)
				g.str(genStrings[g.r.IntN(8)])
				g.b.WriteByte('}')
			}
		},
		func() { g.str("width"); g.b.WriteByte(':'); g.b.WriteString(genNumbers[g.r.IntN(len(genNumbers))]) },
		func() { g.str("height"); g.b.WriteByte(':'); g.b.WriteString(genNumbers[g.r.IntN(len(genNumbers))]) },
		func() { g.str("label"); g.b.WriteByte(':'); g.scalar() },
		func() {
			g.str("type_metadata")
			g.b.WriteString(`:{"type":"image","width":`)
			g.b.WriteString(genNumbers[g.r.IntN(len(genNumbers))])
			g.b.WriteString(`,"height":`)
			g.b.WriteString(genNumbers[g.r.IntN(len(genNumbers))])
			g.b.WriteByte('}')
		},
		func() { g.str(genKeys[g.r.IntN(len(genKeys))]); g.b.WriteByte(':'); g.value(depth + 1) },
	}
	order := g.r.Perm(len(fields))
	if g.r.IntN(4) == 0 { // repeat a field: the later value counts
		order = append(order, order[g.r.IntN(len(order))])
	}
	g.b.WriteByte('{')
	for i, f := range order {
		if i >= 3 && g.r.IntN(6) == 0 {
			continue
		}
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.ws()
		fields[f]()
	}
	g.b.WriteByte('}')
}

// node writes a whole node_json: the conversation path with parts around
// refs, or a free-form plugin body.
func (g *genJSON) node() []byte {
	g.b.Reset()
	g.b.WriteString(`{"node_id":`)
	g.str(genStrings[g.r.IntN(len(genStrings))])
	g.b.WriteString(`,"timestamp":`)
	g.str(genStrings[17+g.r.IntN(4)])
	if g.r.IntN(5) == 0 {
		g.b.WriteString(`,"kind":"plugin","body":`)
		g.value(1)
	} else {
		g.b.WriteString(`,"kind":"event","event":{"Conversation":{"role":`)
		g.scalar()
		g.b.WriteString(`,"parts":[`)
		for i, k := 0, g.r.IntN(4); i < k; i++ {
			if i > 0 {
				g.b.WriteByte(',')
			}
			g.b.WriteString(`{"kind":`)
			g.str(genStrings[8+g.r.IntN(4)])
			g.b.WriteString(`,"content":`)
			g.scalar()
			if g.r.IntN(2) == 0 {
				g.b.WriteString(`,"attachment":{"source":{"attachment_ref":`)
				g.ref(3)
				g.b.WriteString(`}}`)
			}
			if g.r.IntN(4) == 0 {
				g.b.WriteString(`,"extra":`)
				g.value(3)
			}
			g.b.WriteByte('}')
		}
		g.b.WriteString(`]}`)
		if g.r.IntN(6) == 0 { // a repeated key on the path
			g.b.WriteString([]string{`,"Conversation":{"role":"Late"}`, `,"Conversation":3`, `,"x":1`}[g.r.IntN(3)])
		}
		g.b.WriteString(`}`)
		if g.r.IntN(8) == 0 {
			g.b.WriteString(`,"event":`)
			g.value(1)
		}
	}
	if g.r.IntN(4) == 0 {
		g.b.WriteString(`,"protocol":`)
		g.value(1)
	}
	g.b.WriteString(`}`)
	if g.r.IntN(10) == 0 {
		g.b.WriteString(` trailing "byte_len" {`)
	}
	return append([]byte(nil), g.b.Bytes()...)
}

// mutate makes a few byte-level edits, mostly to JSON's structural bytes.
func mutate(r *rand.Rand, js []byte) []byte {
	out := append([]byte(nil), js...)
	for n := 1 + r.IntN(3); n > 0 && len(out) > 0; n-- {
		i := r.IntN(len(out))
		ins := []byte(`{}[]",:\-0e. u` + "\x01\xff")
		switch r.IntN(4) {
		case 0:
			out = append(out[:i], out[i+1:]...)
		case 1:
			out = append(out[:i], append([]byte{ins[r.IntN(len(ins))]}, out[i:]...)...)
		case 2:
			out[i] = ins[r.IntN(len(ins))]
		default:
			out = out[:i]
		}
	}
	return out
}

func TestScanMatchesGenericOnGenerated(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	g := &genJSON{r: rand.New(rand.NewPCG(14, 2026))}
	var sc nodeScanner
	var accepted, refs, mutants, mutantsAccepted int
	for i := 0; i < n; i++ {
		js := g.node()
		if checkDiff(t, &sc, "generated", js) {
			accepted++
		}
		if _, ok, _ := parseNodeGeneric(0, "", false, js); ok {
			refs++
		}
		for j := 0; j < 3; j++ {
			m := mutate(g.r, js)
			mutants++
			if checkDiff(t, &sc, "mutated", m) {
				mutantsAccepted++
			}
		}
	}
	// The generator must exercise the fast path, with and without refs, or
	// the comparison proves nothing.
	if accepted < n*8/10 || refs < n/4 || refs > n*19/20 || mutantsAccepted == 0 || mutantsAccepted == mutants {
		t.Fatalf("generated %d: %d accepted, %d with refs; mutants %d, %d accepted", n, accepted, refs, mutants, mutantsAccepted)
	}
	t.Logf("generated %d: %d accepted, %d with refs; mutants %d, %d accepted", n, accepted, refs, mutants, mutantsAccepted)
}

// TestScanEdgeCases pins cases where map semantics, escapes and number
// rules decide the answer; each is compared against parseNodeGeneric, and
// the first few also against the answer written here.
func TestScanEdgeCases(t *testing.T) {
	id, id2 := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	r := func(id, extra string) string {
		return `{"id":"` + id + `","media_type":"image/png","byte_len":1` + extra + `}`
	}
	var sc nodeScanner
	for _, c := range []struct {
		js    string
		nrefs int    // -1: do not check
		text  string // checked when nrefs >= 0
	}{
		{`{"z":` + r(id, "") + `,"a":` + r(id2, "") + `}`, 2, ""},                           // sorted keys: a's ref first
		{`{"a":` + r(id, "") + `,"a":5}`, 0, ""},                                            // replaced by a scalar
		{`{"a":` + r(id, "") + `,"a":` + r(id2, "") + `}`, 1, ""},                           // replaced by another ref
		{`{"id":"` + id + `","media_type":"image/png","byte_len":1,"byte_len":"1"}`, 0, ""}, // last byte_len is a string
		{`{"\u0069d":"` + id + `","media_type":"image/png","byte_len":1}`, 1, ""},           // escaped key
		{`{"id":"\u0061b` + id[4:] + `ab","media_type":"image/png","byte_len":1}`, 1, ""},   // escaped id
		{`{"id":"` + id + `","media_type":"image/png","byte_len":-0,"width":-0}`, 1, ""},    // -0 is 0
		{`{"id":"` + id + `","media_type":"image/png","byte_len":1.0}`, 0, ""},              // not an integer
		{`{"id":"` + id + `","media_type":{"kind":"image","type":"png"},"byte_len":1,"media_type":3}`, 0, ""},
		{`{"event":{"Conversation":{"role":"User","parts":[{"kind":"Text","content":"a\nb"},{"kind":"Prose","content":5},` +
			`{"kind":"Image","content":"x","attachment":{"reference":` + r(id, "") + `}}]}}}`, 1, "a\nb\n"},
		{`{"event":{"Conversation":{"role":"User","parts":[{"kind":"Text","content":"x"}]},"Conversation":1},"r":` + r(id, "") + `}`, 1, ""},
		{`{"event":{"Conversation":{"parts":[{"kind":"Text","content":"x"}],"parts":[]}},"r":` + r(id, "") + `}`, 1, ""},
		{`[` + r(id, `,"x":`+r(id2, "")) + `]`, 2, ""},
		{r(id, "") + `garbage`, 1, ""}, // encoding/json reads one value
		{`{"r":` + r(id, "") + `,}`, -1, ""},
		{`{"r":` + r(id, ",\"label\":\"bad\xff\"") + `}`, -1, ""},
		{`{"r":` + r(id, ",\"label\":\"ctl\x01\"") + `}`, -1, ""},
		{`{"r":` + r(id, ",\"n\":01") + `}`, -1, ""},
		{strings.Repeat(`[`, maxScanDepth+10) + r(id, "") + strings.Repeat(`]`, maxScanDepth+10), -1, ""},
		{` 5 "byte_len"`, -1, ""},
		{``, -1, ""},
	} {
		checkDiff(t, &sc, c.js, []byte(c.js))
		if c.nrefs < 0 {
			continue
		}
		n, _, err := parseNode(1, "n", false, []byte(c.js))
		if err != nil || len(n.refs) != c.nrefs || n.text != c.text {
			t.Errorf("%s: %d refs, text %q, err %v; want %d refs, text %q", c.js, len(n.refs), n.text, err, c.nrefs, c.text)
		}
		if c.nrefs == 2 && n.refs[0].id != store.ID(id2) && strings.HasPrefix(c.js, `{"z"`) {
			t.Errorf("%s: refs not in sorted-key order: %+v", c.js, n.refs)
		}
	}
}

// FuzzParseNode compares the scanner against parseNodeGeneric on whatever
// the fuzzer makes of the example records (go test -fuzz FuzzParseNode).
func FuzzParseNode(f *testing.F) {
	for _, js := range fixtureNodes(f) {
		f.Add(js)
	}
	var sc nodeScanner
	f.Fuzz(func(t *testing.T, js []byte) {
		checkDiff(t, &sc, "fuzz", js)
	})
}

// TestStopMask checks the eight-byte search against a byte loop: the first
// marked byte must be the first quote, backslash, control byte or (unless
// the string already has one) non-ASCII byte.
func TestStopMask(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := []byte{'"', '\\', 0x00, 0x1f, 0x20, 0x21, 0x22, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff, 'a', 'z', 0x01}
	for n := 0; n < 200000; n++ {
		var b [8]byte
		for i := range b {
			if r.IntN(3) == 0 {
				b[i] = pick[r.IntN(len(pick))]
			} else {
				b[i] = byte(r.IntN(256))
			}
		}
		for _, high := range []bool{false, true} {
			want := 8
			for i, c := range b {
				if c == '"' || c == '\\' || c < 0x20 || !high && c >= 0x80 {
					want = i
					break
				}
			}
			got := 8
			if m := stopMask(binary.LittleEndian.Uint64(b[:]), high); m != 0 {
				got = bits.TrailingZeros64(m) / 8
			}
			if got != want {
				t.Fatalf("% x high=%v: stop at %d, want %d", b, high, got, want)
			}
		}
	}
}
