package store

import (
	"strings"
	"testing"
	"unsafe"
)

// A decoded sidecar's media type is the package's constant, not a string
// of its own: an attachment keeps it (and, through it, whatever else was
// allocated beside it) for as long as the window lists it. Both decoders.
func TestDecodedMediaTypeIsTheConstant(t *testing.T) {
	w, h, label := uint32(3), uint32(4), "x"
	id := strings.Repeat("ab", 32)
	canonical := Sidecar{ID: "sha256:" + id, MediaType: WebP, ByteLen: 10, Width: &w, Height: &h, Label: &label}.Encode()
	spaced := []byte(strings.Replace(string(canonical), "{\n", "{ \n", 1)) // not serde's form: the general decoder
	for _, data := range [][]byte{canonical, spaced} {
		s, err := DecodeSidecar(data)
		if err != nil {
			t.Fatal(err)
		}
		if s.MediaType != WebP || unsafe.StringData(string(s.MediaType)) != unsafe.StringData(string(WebP)) {
			t.Errorf("%q: media type %q is not the constant", data, s.MediaType)
		}
	}
}
