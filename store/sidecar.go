package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// MaxSidecarSize is the largest sidecar lashview will parse. lash's own are a
// few hundred bytes; anything near this is not a sidecar.
const MaxSidecarSize = 1 << 20

// Sidecar is an attachment's metadata: what lash alpha.43 writes beside the
// blob, and also the AttachmentRef that lash's put returns.
type Sidecar struct {
	ID        string // as written in the file; may disagree with the name
	MediaType MediaType
	ByteLen   uint64
	Width     *uint32
	Height    *uint32
	Label     *string
}

// Encode writes the sidecar exactly as lash alpha.43 does: serde_json's
// pretty printer (two-space indent, keys in declaration order, absent
// optionals omitted, no trailing newline).
func (s Sidecar) Encode() []byte { return s.encode(true) }

// EncodeCompact writes the same object on one line, as serde_json's compact
// printer does; `lashview put` prints AttachmentRefs this way.
func (s Sidecar) EncodeCompact() []byte { return s.encode(false) }

func (s Sidecar) encode(pretty bool) []byte {
	var b bytes.Buffer
	nl := func(indent int) {
		if pretty {
			b.WriteByte('\n')
			for i := 0; i < indent; i++ {
				b.WriteString("  ")
			}
		}
	}
	sep := ":"
	if pretty {
		sep = ": "
	}
	first := true
	field := func(name string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		nl(1)
		writeJSONString(&b, name)
		b.WriteString(sep)
	}
	b.WriteByte('{')
	field("id")
	writeJSONString(&b, s.ID)
	field("media_type")
	b.WriteByte('{')
	nl(2)
	b.WriteString(`"kind"` + sep + `"image",`)
	nl(2)
	b.WriteString(`"type"` + sep)
	writeJSONString(&b, string(s.MediaType))
	nl(1)
	b.WriteByte('}')
	field("byte_len")
	b.WriteString(strconv.FormatUint(s.ByteLen, 10))
	if s.Width != nil {
		field("width")
		b.WriteString(strconv.FormatUint(uint64(*s.Width), 10))
	}
	if s.Height != nil {
		field("height")
		b.WriteString(strconv.FormatUint(uint64(*s.Height), 10))
	}
	if s.Label != nil {
		field("label")
		writeJSONString(&b, *s.Label)
	}
	nl(0)
	b.WriteByte('}')
	return b.Bytes()
}

// writeJSONString escapes as serde_json does: only '"', '\\' and control
// characters; <, >, &, U+2028 and U+2029 stay as they are (Go's encoding/json
// would escape them and break byte identity with lash).
func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				// A Rust String is always UTF-8; write what lash would
				// have had to write for the replaced text.
				b.WriteString("\uFFFD")
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xF])
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	b.WriteByte('"')
}

// ErrSidecarTooLarge is returned for a sidecar over MaxSidecarSize.
var ErrSidecarTooLarge = fmt.Errorf("sidecar is larger than %d bytes", MaxSidecarSize)

// rawSidecar accepts every shape lash has written or read: the alpha.43
// object media_type, hand edits (any key order, unknown keys, nulls for
// optionals) and the newer MIME-string media_type with type_metadata.
type rawSidecar struct {
	ID           *string         `json:"id"`
	MediaType    json.RawMessage `json:"media_type"`
	ByteLen      json.RawMessage `json:"byte_len"`
	Width        json.RawMessage `json:"width"`
	Height       json.RawMessage `json:"height"`
	Label        *string         `json:"label"`
	TypeMetadata json.RawMessage `json:"type_metadata"`
}

// DecodeSidecar parses a sidecar the way lash reads one, tolerantly: any
// shape some lash version reads decodes; anything no lash version can read
// (not JSON, wrong types, an unknown media type) is an error saying why.
func DecodeSidecar(data []byte) (Sidecar, error) {
	var s Sidecar
	if len(data) > MaxSidecarSize {
		return s, ErrSidecarTooLarge
	}
	if c, ok := decodeCanonical(data); ok {
		return c, nil
	}
	return decodeGeneral(data)
}

// decodeGeneral is DecodeSidecar for every form, through encoding/json.
func decodeGeneral(data []byte) (Sidecar, error) {
	var s Sidecar
	var raw rawSidecar
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return s, fmt.Errorf("not a sidecar lash can read: %w", jsonErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return s, errors.New("not a sidecar lash can read: trailing data after the JSON object")
	}
	if raw.ID == nil {
		return s, errors.New(`not a sidecar lash can read: missing field "id"`)
	}
	s.ID = *raw.ID
	switch {
	case isNull(raw.MediaType):
		return s, errors.New(`not a sidecar lash can read: missing field "media_type"`)
	case raw.MediaType[0] == '"':
		var mime string
		if err := json.Unmarshal(raw.MediaType, &mime); err != nil {
			return s, fmt.Errorf("not a sidecar lash can read: media_type: %w", err)
		}
		m, err := ParseMIME(mime)
		if err != nil {
			return s, fmt.Errorf("not a sidecar lash can read: %w", err)
		}
		s.MediaType = m
	default:
		var mt struct {
			Kind *string `json:"kind"`
			Type *string `json:"type"`
		}
		if err := json.Unmarshal(raw.MediaType, &mt); err != nil {
			return s, fmt.Errorf("not a sidecar lash can read: media_type: %w", jsonErr(err))
		}
		if mt.Kind == nil || *mt.Kind != "image" {
			return s, errors.New(`not a sidecar lash can read: media_type.kind is not "image"`)
		}
		if mt.Type == nil || !MediaType(*mt.Type).Valid() {
			t := "<missing>"
			if mt.Type != nil {
				t = *mt.Type
			}
			return s, fmt.Errorf("not a sidecar lash can read: media type %q is not one lash knows (%s)", t, AcceptedTypes)
		}
		s.MediaType = MediaType(*mt.Type).Canonical()
	}
	if isNull(raw.ByteLen) {
		return s, errors.New(`not a sidecar lash can read: missing field "byte_len"`)
	} else {
		n, err := parseUint(raw.ByteLen, math.MaxUint64)
		if err != nil {
			return s, fmt.Errorf("not a sidecar lash can read: byte_len: %w", err)
		}
		s.ByteLen = n
	}
	var err error
	if s.Width, err = optU32(raw.Width, "width"); err != nil {
		return s, err
	}
	if s.Height, err = optU32(raw.Height, "height"); err != nil {
		return s, err
	}
	s.Label = raw.Label
	if !isNull(raw.TypeMetadata) {
		var tm struct {
			Type   *string         `json:"type"`
			Width  json.RawMessage `json:"width"`
			Height json.RawMessage `json:"height"`
		}
		if err := json.Unmarshal(raw.TypeMetadata, &tm); err != nil {
			return s, fmt.Errorf("not a sidecar lash can read: type_metadata: %w", jsonErr(err))
		}
		if tm.Type != nil && *tm.Type == "image" {
			w, err := optU32(tm.Width, "type_metadata.width")
			if err != nil {
				return s, err
			}
			h, err := optU32(tm.Height, "type_metadata.height")
			if err != nil {
				return s, err
			}
			if s.Width == nil {
				s.Width = w
			}
			if s.Height == nil {
				s.Height = h
			}
		}
	}
	return s, nil
}

func isNull(r json.RawMessage) bool { return len(r) == 0 || string(r) == "null" }

func optU32(r json.RawMessage, name string) (*uint32, error) {
	if isNull(r) {
		return nil, nil
	}
	n, err := parseUint(r, math.MaxUint32)
	if err != nil {
		return nil, fmt.Errorf("not a sidecar lash can read: %s: %w", name, err)
	}
	v := uint32(n)
	return &v, nil
}

// parseUint reads a JSON integer the way serde reads an unsigned field: no
// sign, no fraction, no exponent, no quotes, within range.
func parseUint(r json.RawMessage, max uint64) (uint64, error) {
	n, err := strconv.ParseUint(string(bytes.TrimSpace(r)), 10, 64)
	if err != nil || n > max {
		return 0, fmt.Errorf("%s is not an unsigned integer up to %d", short(string(r)), max)
	}
	return n, nil
}

func jsonErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the file is empty or ends in the middle of the JSON")
	}
	return err
}
