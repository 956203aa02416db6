package sessions

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"lashview/store"
)

// ref is one attachment reference found in a node's JSON.
type ref struct {
	id        store.ID
	mediaType string
	byteLen   int64
	width     int
	height    int
	label     string
	labelled  bool
}

// node is what the index keeps of a graph node that shows at least one
// attachment: the node_json itself is dropped after parsing.
type node struct {
	seq        int64
	id         string
	role       string
	text       string
	tombstoned bool
	time       time.Time
	refs       []ref
}

// refMarker is a byte string every reference contains. Nodes without it
// (most of a session: prose, tool calls) are skipped before any JSON
// decoding, which is where Load spends its time.
var refMarker = []byte(`"byte_len"`)

// parseNode finds the attachment references in one node_json and, when
// there are any, the node's role, text and timestamp. It returns ok=false
// for a node that shows no attachment. A node_json that is not JSON is
// reported as err; lash never writes one.
func parseNode(seq int64, nodeID string, tombstoned bool, js []byte) (n node, ok bool, err error) {
	if !bytes.Contains(js, refMarker) {
		return node{}, false, nil
	}
	var sc nodeScanner
	return sc.parse(seq, nodeID, tombstoned, js)
}

// parseNodeGeneric is parseNode by decoding the whole node_json into
// generic maps. It is the definition the fast scanner (scan.go) must agree
// with: the scanner hands it every input it does not accept as plain,
// valid JSON (so errors and rare encodings come out exactly as here), and
// the differential tests compare the two.
func parseNodeGeneric(seq int64, nodeID string, tombstoned bool, js []byte) (n node, ok bool, err error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return node{}, false, err
	}
	var refs []ref
	walkRefs(v, &refs)
	if len(refs) == 0 {
		return node{}, false, nil
	}
	n = node{seq: seq, id: nodeID, tombstoned: tombstoned, refs: refs}
	if m, isObj := v.(map[string]any); isObj {
		if s, _ := m["timestamp"].(string); s != "" {
			n.time, _ = time.Parse(time.RFC3339Nano, s)
		}
		if n.id == "" {
			n.id, _ = m["node_id"].(string)
		}
		n.role, n.text = conversation(m)
	}
	return n, true, nil
}

// conversation returns a node's message role and its text: the content of
// its Text, Prose and ToolResult parts joined by newlines, the way a reader
// of the session sees the words around an attachment.
func conversation(m map[string]any) (role, text string) {
	ev, _ := m["event"].(map[string]any)
	conv, _ := ev["Conversation"].(map[string]any)
	if conv == nil {
		return "", ""
	}
	role, _ = conv["role"].(string)
	parts, _ := conv["parts"].([]any)
	var texts []string
	for _, p := range parts {
		pm, _ := p.(map[string]any)
		switch kind, _ := pm["kind"].(string); kind {
		case "Text", "Prose", "ToolResult":
			c, _ := pm["content"].(string)
			texts = append(texts, c)
		}
	}
	return role, strings.Join(texts, "\n")
}

// walkRefs collects every object anywhere in v that has the shape of an
// attachment reference: an id of 64 lowercase hex, a byte_len and a
// media_type. Looking at shapes rather than one path finds the alpha.43
// `attachment.reference`, the alpha.111 `attachment.source.attachment_ref`
// and refs embedded in plugin bodies or protocol payloads alike.
func walkRefs(v any, out *[]ref) {
	switch t := v.(type) {
	case map[string]any:
		if r, ok := asRef(t); ok {
			*out = append(*out, r)
		}
		// Keys in sorted order, so a node's refs come out the same way on
		// every run (labels keep a stable order).
		keys := make([]string, 0, len(t))
		for k, c := range t {
			switch c.(type) {
			case map[string]any, []any:
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkRefs(t[k], out)
		}
	case []any:
		for _, c := range t {
			walkRefs(c, out)
		}
	}
}

func asRef(m map[string]any) (ref, bool) {
	idStr, _ := m["id"].(string)
	id, err := store.ParseID(idStr)
	if err != nil {
		return ref{}, false
	}
	n, ok := m["byte_len"].(json.Number)
	if !ok {
		return ref{}, false
	}
	byteLen, err := n.Int64()
	if err != nil || byteLen < 0 {
		return ref{}, false
	}
	mt, ok := mediaType(m["media_type"])
	if !ok {
		return ref{}, false
	}
	r := ref{id: id, mediaType: mt, byteLen: byteLen}
	r.width, r.height = dim(m["width"]), dim(m["height"])
	if tm, _ := m["type_metadata"].(map[string]any); tm != nil {
		if r.width == 0 {
			r.width = dim(tm["width"])
		}
		if r.height == 0 {
			r.height = dim(tm["height"])
		}
	}
	r.label, r.labelled = m["label"].(string)
	return r, true
}

// mediaType reads both spellings lash used: the alpha.43 object
// {"kind":"image","type":"png"} and the alpha.111 MIME string.
func mediaType(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return normMediaType(t)
	case map[string]any:
		kind, _ := t["kind"].(string)
		typ, _ := t["type"].(string)
		if kind == "" || typ == "" {
			return "", false
		}
		return normMediaType(kind + "/" + typ)
	}
	return "", false
}

// normMediaType is the one spelling of a MIME type the index keeps.
func normMediaType(mt string) (string, bool) {
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "" {
		return "", false
	}
	if mt == "image/jpg" {
		mt = "image/jpeg"
	}
	return mt, true
}

func dim(v any) int {
	n, ok := v.(json.Number)
	if !ok {
		return 0
	}
	i, err := n.Int64()
	if err != nil || i <= 0 || i > 1<<32-1 {
		return 0
	}
	return int(i)
}

// parentOf reads session_meta's relation ({"kind":"root"} or
// {"kind":"child","parent_session_id":…}) and returns the parent's id.
func parentOf(relation []byte) (string, error) {
	var r struct {
		Kind   string `json:"kind"`
		Parent string `json:"parent_session_id"`
	}
	if len(bytes.TrimSpace(relation)) == 0 || string(bytes.TrimSpace(relation)) == "null" {
		return "", nil
	}
	if err := json.Unmarshal(relation, &r); err != nil {
		return "", err
	}
	return r.Parent, nil
}
