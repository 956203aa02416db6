package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseIDRefusesPathTricks(t *testing.T) {
	good := strings.Repeat("ab", 32)
	if id, err := ParseID(good); err != nil || id.Ref() != "sha256:"+good || id.Prefix() != "ab" {
		t.Fatalf("ParseID(%q) = %q, %v", good, id, err)
	}
	for _, bad := range []string{"", "../x", "../../etc/passwd", "/etc/passwd", strings.ToUpper(good), good[:63], good + "0",
		good + ".tmp", good + ".json", "./" + good[:62], strings.Repeat("g", 64), good[:62] + "/.", good[:63] + "\x00"} {
		if _, err := ParseID(bad); !errors.Is(err, ErrInvalidID) {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
}

func TestDecodeSidecarForms(t *testing.T) {
	id := strings.Repeat("0", 64)
	cases := []struct {
		name, json string
		ok         bool
		check      func(Sidecar) bool
	}{
		{"alpha43", `{"id":"` + id + `","media_type":{"kind":"image","type":"png"},"byte_len":3,"width":1,"height":1,"label":"x"}`, true,
			func(s Sidecar) bool { return s.MediaType == PNG && *s.Width == 1 && *s.Label == "x" }},
		{"hand edited", `{"label":null,"zz":{"a":[1]},"byte_len":84,"width":null,"media_type":{"type":"gif","kind":"image"},"id":"` + id + `","height":16}`, true,
			func(s Sidecar) bool { return s.MediaType == GIF && s.Width == nil && *s.Height == 16 && s.Label == nil }},
		{"newer MIME", `{"id":"` + id + `","media_type":"image/jpg","byte_len":9,"type_metadata":{"type":"image","width":4,"height":5}}`, true,
			func(s Sidecar) bool { return s.MediaType == JPEG && *s.Width == 4 && *s.Height == 5 }},
		{"newer MIME webp", `{"id":"` + id + `","media_type":"image/webp","byte_len":9}`, true,
			func(s Sidecar) bool { return s.MediaType == WebP }},
		{"tiff", `{"id":"` + id + `","media_type":{"kind":"image","type":"tiff"},"byte_len":3}`, false, nil},
		{"mime tiff", `{"id":"` + id + `","media_type":"image/tiff","byte_len":3}`, false, nil},
		{"kind audio", `{"id":"` + id + `","media_type":{"kind":"audio","type":"png"},"byte_len":3}`, false, nil},
		{"truncated", `{"id":"` + id + `","media_type":{"kind":"im`, false, nil},
		{"not json", `hello`, false, nil},
		{"empty", ``, false, nil},
		{"array", `[]`, false, nil},
		{"no id", `{"media_type":{"kind":"image","type":"png"},"byte_len":3}`, false, nil},
		{"no byte_len", `{"id":"` + id + `","media_type":{"kind":"image","type":"png"}}`, false, nil},
		{"negative", `{"id":"` + id + `","media_type":{"kind":"image","type":"png"},"byte_len":-1}`, false, nil},
		{"fraction", `{"id":"` + id + `","media_type":{"kind":"image","type":"png"},"byte_len":1.5}`, false, nil},
		{"width too big", `{"id":"` + id + `","media_type":{"kind":"image","type":"png"},"byte_len":1,"width":4294967296}`, false, nil},
		{"label number", `{"id":"` + id + `","media_type":{"kind":"image","type":"png"},"byte_len":1,"label":5}`, false, nil},
		{"trailing", `{"id":"` + id + `","media_type":{"kind":"image","type":"png"},"byte_len":1} {}`, false, nil},
	}
	for _, c := range cases {
		s, err := DecodeSidecar([]byte(c.json))
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
			continue
		}
		if c.ok && !c.check(s) {
			t.Errorf("%s: decoded %+v", c.name, s)
		}
		if !c.ok && !strings.Contains(err.Error(), "lash can read") {
			t.Errorf("%s: error does not say what is wrong: %v", c.name, err)
		}
	}
	big := append([]byte(`{"id":"`+id+`","label":"`), bytes.Repeat([]byte("a"), MaxSidecarSize)...)
	if _, err := DecodeSidecar(append(big, `"}`...)); !errors.Is(err, ErrSidecarTooLarge) {
		t.Errorf("oversize sidecar: %v", err)
	}
}

// TestEncodeEscapesLikeSerde: serde_json leaves <, >, &, U+2028/2029 and
// DEL as they are and writes other control characters as \u00XX.
func TestEncodeEscapesLikeSerde(t *testing.T) {
	l := "<a&b> \u2028\u2029 \x7f \x01\x1f \b\f\r"
	s := Sidecar{ID: "x", MediaType: PNG, ByteLen: 1, Label: &l}
	want := `{"id":"x","media_type":{"kind":"image","type":"png"},"byte_len":1,"label":"<a&b> ` + "\u2028\u2029 \x7f" + ` \u0001\u001f \b\f\r"}`
	if got := string(s.EncodeCompact()); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestOversizeSidecarIsBadMeta(t *testing.T) {
	s := New(t.TempDir())
	data := pngBytes(t, 2, 2)
	ref, err := s.Put(t.Context(), bytes.NewReader(data), PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := ID(ref.ID)
	huge := append(bytes.TrimSuffix(ref.Encode(), []byte("}")), []byte(`,"pad":"`+strings.Repeat("x", MaxSidecarSize)+`"}`)...)
	os.WriteFile(s.Layout().Sidecar(id), huge, 0o644)
	a, ok := s.Examine(id)
	if !ok || a.Status != StatusBadMeta {
		t.Fatalf("oversize sidecar: %+v", a)
	}
	if _, err := s.Meta(id); !errors.Is(err, ErrMetadataDecode) {
		t.Fatalf("Meta: %v", err)
	}
	// an unreadable sidecar (a folder in its place) is reported, not fatal
	os.Remove(s.Layout().Sidecar(id))
	os.Mkdir(s.Layout().Sidecar(id), 0o755)
	res, err := s.Scan(t.Context(), ScanOptions{})
	if err != nil || len(res.Attachments) != 1 || res.Attachments[0].Status != StatusMissingMeta || len(res.Findings) != 1 || res.Findings[0].Kind != FindingForeign {
		t.Fatalf("folder as sidecar: %v %+v %+v", err, res.Attachments, res.Findings)
	}
}

func TestScanMissingRootIsAnError(t *testing.T) {
	_, err := New(filepath.Join(t.TempDir(), "nope")).Scan(t.Context(), ScanOptions{})
	if !errors.Is(err, ErrIo) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing root: %v", err)
	}
	res, err := New(t.TempDir()).Scan(t.Context(), ScanOptions{})
	if err != nil || len(res.Attachments) != 0 {
		t.Fatalf("empty root: %v %+v", err, res)
	}
}

// FuzzDecodeSidecar: the decoder never panics, and whatever it accepts
// encodes to a sidecar it reads back the same.
func FuzzDecodeSidecar(f *testing.F) {
	for _, store := range []string{"clean", "messy"} {
		paths, _ := filepath.Glob(filepath.Join(fixtures(f), store, "sha256", "*", "*.json"))
		for _, p := range paths {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"id":"a","media_type":"image/png","byte_len":1,"type_metadata":{"type":"image","width":1,"height":2}}`))
	w, h, l := uint32(7), uint32(9), "café <&>"
	f.Add(Sidecar{ID: "x", MediaType: BMP, ByteLen: 12, Width: &w, Height: &h, Label: &l}.Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSidecar(data)
		if err != nil {
			return
		}
		if c, ok := decodeCanonical(data); ok {
			g, err := decodeGeneral(data)
			if err != nil || !bytes.Equal(g.Encode(), c.Encode()) || g.ID != c.ID {
				t.Fatalf("fast path read %q as %+v, general path %+v (%v)", data, c, g, err)
			}
		}
		again, err := DecodeSidecar(s.Encode())
		if err != nil {
			t.Fatalf("re-decoding our own encoding: %v", err)
		}
		if !bytes.Equal(again.Encode(), s.Encode()) {
			t.Fatalf("encode/decode not stable: %q vs %q", again.Encode(), s.Encode())
		}
	})
}
