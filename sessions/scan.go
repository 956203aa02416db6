package sessions

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/bits"
	"strings"
	"time"
	"unicode/utf8"

	"lashview/store"
)

// This file is the fast path of parseNode: one pass over node_json that
// finds attachment references by shape, and the role, text and timestamp
// parseNodeGeneric reads, without building maps. Decoding every node into
// map[string]any was most of Load's time and garbage.
//
// It must give exactly parseNodeGeneric's answer, so it follows
// encoding/json's map semantics: keys compare after unescaping, a repeated
// key replaces the earlier value, children are walked in sorted key order,
// strings decode the way encoding/json decodes them (it is asked to, for
// any string with an escape or invalid UTF-8). Whatever it does not accept
// as valid JSON it declines, and parseNodeGeneric decides: errors, a
// top-level scalar, nesting deeper than maxScanDepth.

// maxScanDepth bounds the scanner's recursion; deeper input goes to
// parseNodeGeneric (encoding/json refuses beyond 10000 levels).
const maxScanDepth = 500

type valKind uint8

const (
	vNone valKind = iota // key absent
	vString
	vNumber
	vObject
	vArray
	vLiteral // true, false, null
)

// val is a value the scanner noted: for a string the bytes between its
// quotes, for a number its literal.
type val struct {
	lo, hi int32 // offsets into the record (scan declines one of 2 GiB or more)
	kind   valKind
	esc    bool // a string with a backslash: decode with encoding/json
	high   bool // a string with a non-ASCII byte: decode if not valid UTF-8
}

// objFields is what one object says about the keys a reference (or a
// media_type or type_metadata object, or a message part) can have; for a
// repeated key, the last value.
type objFields struct {
	id, byteLen, mediaType, width, height, label val
	mtKind, mtType                               val  // media_type's kind and type, when it is an object
	tm                                           bool // type_metadata is an object
	tmWidth, tmHeight                            val
	kind, typ, content                           val
}

// scanCtx is where an object or array sits on the path parseNodeGeneric's
// conversation() reads: top → "event" → "Conversation" → "parts"[i].
type scanCtx uint8

const (
	ctxOther scanCtx = iota
	ctxTop
	ctxEvent
	ctxConv
	ctxParts
	ctxPart
)

// seg is the run of refs (in nodeScanner.refs) found under one key of the
// object being scanned.
type seg struct {
	key    []byte
	lo, hi int
	dead   bool // the key came again: its earlier value does not count
}

// nodeScanner scans node_json records; one scanner is reused across the
// rows of a session so its buffers are allocated once.
type nodeScanner struct {
	b       []byte
	i       int
	failed  bool // input the scanner does not accept: parseNodeGeneric decides
	refs    []ref
	segs    []seg
	tmp     []ref
	idx     []int
	texts   []val
	stamp   val // top-level timestamp
	nodeID  val // top-level node_id
	role    val
	mtCache map[string]string // raw media_type → normalized; a handful of distinct values
}

// parse is parseNode for one record known to contain refMarker.
func (s *nodeScanner) parse(seq int64, nodeID string, tombstoned bool, js []byte) (node, bool, error) {
	n, ok, accepted := s.fast(seq, nodeID, tombstoned, js)
	if !accepted {
		return parseNodeGeneric(seq, nodeID, tombstoned, js)
	}
	return n, ok, nil
}

// fast is parse without the fallback: accepted=false when the scanner
// declined js.
func (s *nodeScanner) fast(seq int64, nodeID string, tombstoned bool, js []byte) (n node, ok, accepted bool) {
	if !s.scan(js) {
		return node{}, false, false
	}
	if len(s.refs) == 0 {
		return node{}, false, true
	}
	n = node{seq: seq, id: nodeID, tombstoned: tombstoned, refs: append([]ref(nil), s.refs...)}
	if s.b[s.skipWSFrom(0)] == '{' {
		if s.stamp.kind == vString {
			if ts := s.str(s.stamp); ts != "" {
				n.time, _ = time.Parse(time.RFC3339Nano, ts)
			}
		}
		if n.id == "" && s.nodeID.kind == vString {
			n.id = s.str(s.nodeID)
		}
		if s.role.kind == vString {
			n.role = s.str(s.role)
		}
		n.text = s.text()
	}
	if s.failed { // a string encoding/json would not decode: let it say so
		return node{}, false, false
	}
	return n, true, true
}

// scan reads the first JSON value of js, collecting refs and the
// conversation fields. false: declined.
func (s *nodeScanner) scan(js []byte) bool {
	s.b, s.i, s.failed = js, s.skipWSFrom(0), false
	s.refs, s.segs, s.texts = s.refs[:0], s.segs[:0], s.texts[:0]
	s.stamp, s.nodeID, s.role = val{}, val{}, val{}
	if s.i >= len(js) || len(js) > math.MaxInt32 {
		return false
	}
	var f objFields
	switch js[s.i] {
	case '{':
		return s.object(0, ctxTop, &f) && !s.failed
	case '[':
		return s.array(0, ctxOther) && !s.failed
	}
	// A top-level scalar holds no ref, but whether encoding/json accepts it
	// depends on what follows; not worth a second grammar.
	return false
}

func (s *nodeScanner) skipWSFrom(i int) int {
	for i < len(s.b) {
		switch s.b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func (s *nodeScanner) ws() { s.i = s.skipWSFrom(s.i) }

// value scans the value at s.i; f receives an object's fields.
func (s *nodeScanner) value(depth int, ctx scanCtx, f *objFields) (val, bool) {
	if s.i >= len(s.b) {
		return val{}, false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return val{kind: vObject}, s.object(depth, ctx, f)
	case c == '[':
		return val{kind: vArray}, s.array(depth, ctx)
	case c == '"':
		return s.scanString()
	case c == '-' || c >= '0' && c <= '9':
		return s.scanNumber()
	case c == 't':
		return val{kind: vLiteral}, s.literal("true")
	case c == 'f':
		return val{kind: vLiteral}, s.literal("false")
	case c == 'n':
		return val{kind: vLiteral}, s.literal("null")
	}
	return val{}, false
}

func (s *nodeScanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// strByte classifies string bytes: 0 plain, 1 quote, 2 backslash, 3
// control (invalid in JSON), 4 non-ASCII.
var strByte = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 3
	}
	t['"'], t['\\'] = 1, 2
	for c := 0x80; c < 0x100; c++ {
		t[c] = 4
	}
	return t
}()

// Masks for finding, eight bytes at a time, the first byte of a string
// that is not plain ASCII text: a quote, a backslash, a control byte or a
// non-ASCII byte. Most of node_json is plain text between such bytes.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stopMask has the high bit set in the first byte of w (little-endian)
// that is '"', '\\', < 0x20 or, unless high, >= 0x80. Bytes after the
// first such byte may be marked falsely (borrows), never bytes before it.
func stopMask(w uint64, high bool) uint64 {
	q, bs := w^(ones*'"'), w^(ones*'\\')
	m := (w - ones*0x20) | (q-ones)&^q | (bs-ones)&^bs
	m &^= w // the tests above hold only for bytes < 0x80
	if !high {
		m |= w
	}
	return m & highs
}

func (s *nodeScanner) scanString() (val, bool) {
	b := s.b
	i := s.i + 1
	v := val{kind: vString, lo: int32(i)}
	for i < len(b) {
		if i+8 <= len(b) {
			m := stopMask(binary.LittleEndian.Uint64(b[i:]), v.high)
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		}
		switch strByte[b[i]] {
		case 0:
			i++
		case 1:
			v.hi = int32(i)
			s.i = i + 1
			return v, true
		case 2:
			v.esc = true
			if i+1 >= len(b) {
				return v, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return v, false
				}
				for _, h := range b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return v, false
					}
				}
				i += 6
			default:
				return v, false
			}
		case 3:
			return v, false
		case 4:
			v.high = true
			i++
		}
	}
	return v, false
}

// scanNumber checks JSON's number grammar exactly: encoding/json rejects
// what it does not allow (01, 1., .5, +1), so the scanner must too.
func (s *nodeScanner) scanNumber() (val, bool) {
	b, i := s.b, s.i
	v := val{kind: vNumber, lo: int32(i)}
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return v, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return v, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return v, false
		}
	}
	v.hi, s.i = int32(i), i
	return v, true
}

func (s *nodeScanner) resetConv() {
	s.role = val{}
	s.texts = s.texts[:0]
}

// object scans the object at s.i into f and leaves in s.refs, from where
// it started: its own ref, if it is one, then its children's refs by key.
func (s *nodeScanner) object(depth int, ctx scanCtx, f *objFields) bool {
	if depth > maxScanDepth {
		return false
	}
	*f = objFields{}
	s.i++
	refLo, segLo := len(s.refs), len(s.segs)
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	var child objFields
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		k, ok := s.scanString()
		if !ok {
			return false
		}
		key := s.keyBytes(k)
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		// A repeated key replaces its earlier value, as in a map.
		for j := segLo; j < len(s.segs); j++ {
			if !s.segs[j].dead && bytes.Equal(s.segs[j].key, key) {
				s.segs[j].dead = true
			}
		}
		childCtx := ctxOther
		switch {
		case ctx == ctxTop && string(key) == "event":
			s.resetConv()
			childCtx = ctxEvent
		case ctx == ctxEvent && string(key) == "Conversation":
			s.resetConv()
			childCtx = ctxConv
		case ctx == ctxConv && string(key) == "parts":
			s.texts = s.texts[:0]
			childCtx = ctxParts
		}
		before := len(s.refs)
		v, ok := s.value(depth+1, childCtx, &child)
		if !ok {
			return false
		}
		if len(s.refs) > before {
			s.segs = append(s.segs, seg{key: key, lo: before, hi: len(s.refs)})
		}
		switch string(key) {
		case "id":
			f.id = v
		case "byte_len":
			f.byteLen = v
		case "media_type":
			f.mediaType, f.mtKind, f.mtType = v, val{}, val{}
			if v.kind == vObject {
				f.mtKind, f.mtType = child.kind, child.typ
			}
		case "type_metadata":
			f.tm, f.tmWidth, f.tmHeight = v.kind == vObject, val{}, val{}
			if f.tm {
				f.tmWidth, f.tmHeight = child.width, child.height
			}
		case "width":
			f.width = v
		case "height":
			f.height = v
		case "label":
			f.label = v
		case "kind":
			f.kind = v
		case "type":
			f.typ = v
		case "content":
			f.content = v
		case "timestamp":
			if ctx == ctxTop {
				s.stamp = v
			}
		case "node_id":
			if ctx == ctxTop {
				s.nodeID = v
			}
		case "role":
			if ctx == ctxConv {
				s.role = v
			}
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
			continue
		case '}':
			s.i++
		default:
			return false
		}
		break
	}
	self, isRef := s.asRef(f)
	s.order(refLo, segLo, self, isRef)
	s.segs = s.segs[:segLo]
	return true
}

// order puts the refs found since refLo into walkRefs's order: the
// object's own ref first, then its children's by sorted key, leaving out
// the values of repeated keys that were replaced.
func (s *nodeScanner) order(refLo, segLo int, self ref, isRef bool) {
	segs := s.segs[segLo:]
	if len(segs) == 0 { // the common cases: no refs, or a ref with no refs inside
		if isRef {
			s.refs = append(s.refs, self)
		}
		return
	}
	sorted := true
	for j := range segs {
		if segs[j].dead || j > 0 && bytes.Compare(segs[j-1].key, segs[j].key) > 0 {
			sorted = false
		}
	}
	if !isRef && sorted {
		return // also common: one child's refs, e.g. "attachment"
	}
	// Few segments: insertion sort of the live ones.
	idx := s.idx[:0]
	for j := range segs {
		if segs[j].dead {
			continue
		}
		idx = append(idx, j)
		for k := len(idx) - 1; k > 0 && bytes.Compare(segs[idx[k-1]].key, segs[idx[k]].key) > 0; k-- {
			idx[k-1], idx[k] = idx[k], idx[k-1]
		}
	}
	s.tmp = s.tmp[:0]
	if isRef {
		s.tmp = append(s.tmp, self)
	}
	for _, j := range idx {
		s.tmp = append(s.tmp, s.refs[segs[j].lo:segs[j].hi]...)
	}
	s.refs = append(s.refs[:refLo], s.tmp...)
	s.idx = idx
}

func (s *nodeScanner) array(depth int, ctx scanCtx) bool {
	if depth > maxScanDepth {
		return false
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	var f objFields
	for {
		elemCtx := ctxOther
		if ctx == ctxParts {
			elemCtx = ctxPart
		}
		v, ok := s.value(depth+1, elemCtx, &f)
		if !ok {
			return false
		}
		if ctx == ctxParts && v.kind == vObject && f.kind.kind == vString {
			// conversation(): a Text, Prose or ToolResult part adds its
			// content, "" when that is not a string.
			switch s.str(f.kind) {
			case "Text", "Prose", "ToolResult":
				s.texts = append(s.texts, f.content)
			}
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
			continue
		case ']':
			s.i++
			return true
		}
		return false
	}
}

// asRef is asRef of refs.go on the noted fields.
func (s *nodeScanner) asRef(f *objFields) (ref, bool) {
	if f.id.kind != vString || f.byteLen.kind != vNumber {
		return ref{}, false
	}
	var id string
	if raw := s.b[f.id.lo:f.id.hi]; !f.id.esc && !f.id.high {
		if len(raw) != store.IDLen || !isLowerHex(raw) {
			return ref{}, false
		}
		id = string(raw)
	} else {
		id = s.str(f.id)
	}
	sid, err := store.ParseID(id)
	if err != nil {
		return ref{}, false
	}
	byteLen, ok := parseIntLit(s.b[f.byteLen.lo:f.byteLen.hi])
	if !ok || byteLen < 0 {
		return ref{}, false
	}
	var mt string
	switch f.mediaType.kind {
	case vString:
		mt, ok = s.mediaType(f.mediaType)
	case vObject:
		var kind, typ string
		if f.mtKind.kind == vString {
			kind = s.str(f.mtKind)
		}
		if f.mtType.kind == vString {
			typ = s.str(f.mtType)
		}
		if kind == "" || typ == "" {
			return ref{}, false
		}
		mt, ok = normMediaType(kind + "/" + typ)
	default:
		return ref{}, false
	}
	if !ok {
		return ref{}, false
	}
	r := ref{id: sid, mediaType: mt, byteLen: byteLen}
	r.width, r.height = s.dim(f.width), s.dim(f.height)
	if f.tm {
		if r.width == 0 {
			r.width = s.dim(f.tmWidth)
		}
		if r.height == 0 {
			r.height = s.dim(f.tmHeight)
		}
	}
	if f.label.kind == vString {
		r.label, r.labelled = s.str(f.label), true
	}
	return r, true
}

// mediaType normalizes a media_type string, remembering the few spellings
// a home uses so that each ref does not allocate its own copy.
func (s *nodeScanner) mediaType(v val) (string, bool) {
	raw := s.b[v.lo:v.hi]
	if v.esc || v.high {
		return normMediaType(s.str(v))
	}
	if mt, ok := s.mtCache[string(raw)]; ok {
		return mt, mt != ""
	}
	mt, ok := normMediaType(string(raw))
	if s.mtCache == nil {
		s.mtCache = map[string]string{}
	}
	if len(s.mtCache) < 64 {
		s.mtCache[string(raw)] = mt // "" when not a media type
	}
	return mt, ok
}

// dim is dim of refs.go on a noted value.
func (s *nodeScanner) dim(v val) int {
	if v.kind != vNumber {
		return 0
	}
	i, ok := parseIntLit(s.b[v.lo:v.hi])
	if !ok || i <= 0 || i > 1<<32-1 {
		return 0
	}
	return int(i)
}

// parseIntLit is json.Number.Int64 (strconv.ParseInt base 10) on a literal
// that already follows JSON's number grammar: a fraction or exponent, or a
// value outside int64, is not an integer.
func parseIntLit(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	// JSON allows no leading zeros, so 20 digits are past 1<<63.
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case !neg && u <= 1<<63-1:
		return int64(u), true
	case neg && u == 1<<63:
		return -1 << 63, true
	case neg && u < 1<<63:
		return -int64(u), true
	}
	return 0, false
}

func isLowerHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// str is a noted string's value as encoding/json decodes it.
func (s *nodeScanner) str(v val) string {
	raw := s.b[v.lo:v.hi]
	if !v.esc && (!v.high || utf8.Valid(raw)) {
		return string(raw)
	}
	var out string
	if err := json.Unmarshal(s.b[v.lo-1:v.hi+1], &out); err != nil {
		s.failed = true
	}
	return out
}

// keyBytes is a key as encoding/json decodes it, without a copy when it
// needs no decoding.
func (s *nodeScanner) keyBytes(k val) []byte {
	raw := s.b[k.lo:k.hi]
	if !k.esc && (!k.high || utf8.Valid(raw)) {
		return raw
	}
	return []byte(s.str(k))
}

// text is conversation()'s text: the noted parts' contents joined by
// newlines.
func (s *nodeScanner) text() string {
	switch len(s.texts) {
	case 0:
		return ""
	case 1:
		return s.partText(s.texts[0])
	}
	var sb strings.Builder
	for i, v := range s.texts {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(s.partText(v))
	}
	return sb.String()
}

func (s *nodeScanner) partText(v val) string {
	if v.kind != vString {
		return ""
	}
	return s.str(v)
}
