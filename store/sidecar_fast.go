package store

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// decodeCanonical reads a sidecar in exactly the form lash alpha.43 writes
// (and Encode writes) without encoding/json, which is half the cost of a
// Scan. It accepts only that layout, with strings free of escapes; for
// anything else it returns false and DecodeSidecar takes the general path.
// FuzzDecodeSidecar checks both paths agree.
func decodeCanonical(data []byte) (Sidecar, bool) {
	var s Sidecar
	p := canon{b: data}
	if !p.lit("{\n  \"id\": ") {
		return s, false
	}
	id, ok := p.str()
	if !ok || !p.lit(",\n  \"media_type\": {\n    \"kind\": \"image\",\n    \"type\": ") {
		return s, false
	}
	t, ok := p.str()
	if !ok || !MediaType(t).Valid() || !p.lit("\n  },\n  \"byte_len\": ") {
		return s, false
	}
	n, ok := p.uint(1<<64 - 1)
	if !ok {
		return s, false
	}
	s.ID, s.MediaType, s.ByteLen = id, MediaType(t).Canonical(), n
	if p.lit(",\n  \"width\": ") {
		w, ok := p.uint(1<<32 - 1)
		if !ok {
			return s, false
		}
		v := uint32(w)
		s.Width = &v
	}
	if p.lit(",\n  \"height\": ") {
		h, ok := p.uint(1<<32 - 1)
		if !ok {
			return s, false
		}
		v := uint32(h)
		s.Height = &v
	}
	if p.lit(",\n  \"label\": ") {
		l, ok := p.str()
		if !ok {
			return s, false
		}
		s.Label = &l
	}
	if !p.lit("\n}") || len(p.b) != 0 {
		return s, false
	}
	return s, true
}

type canon struct{ b []byte }

func (p *canon) lit(s string) bool {
	if len(p.b) < len(s) || string(p.b[:len(s)]) != s {
		return false
	}
	p.b = p.b[len(s):]
	return true
}

// str reads a JSON string with no escapes and no control characters.
func (p *canon) str() (string, bool) {
	if len(p.b) == 0 || p.b[0] != '"' {
		return "", false
	}
	end := bytes.IndexByte(p.b[1:], '"')
	if end < 0 {
		return "", false
	}
	raw := p.b[1 : 1+end]
	for _, c := range raw {
		if c < 0x20 || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(raw) {
		return "", false
	}
	p.b = p.b[2+end:]
	return string(raw), true
}

// uint reads a JSON unsigned integer without a leading zero (serde's form).
func (p *canon) uint(max uint64) (uint64, bool) {
	i := 0
	for i < len(p.b) && p.b[i] >= '0' && p.b[i] <= '9' {
		i++
	}
	if i == 0 || (i > 1 && p.b[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.b[:i]), 10, 64)
	if err != nil || n > max {
		return 0, false
	}
	p.b = p.b[i:]
	return n, true
}
