package store

import (
	"bytes"
	"fmt"
	"strings"
)

// MediaType is the image type of an attachment, as lash alpha.43 names it in
// a sidecar's media_type.type: png, jpeg, gif, webp or bmp.
type MediaType string

// The media types lash alpha.43 knows. Nothing else is an attachment type.
const (
	PNG  MediaType = "png"
	JPEG MediaType = "jpeg"
	GIF  MediaType = "gif"
	WebP MediaType = "webp"
	BMP  MediaType = "bmp"
)

// MediaTypes lists every accepted type, in the order errors name them.
var MediaTypes = []MediaType{PNG, JPEG, GIF, WebP, BMP}

// AcceptedTypes is the sentence fragment errors use to name what is accepted.
const AcceptedTypes = "PNG, JPEG, GIF, WebP or BMP"

// Valid reports whether m is one of the types lash alpha.43 can decode.
func (m MediaType) Valid() bool {
	switch m {
	case PNG, JPEG, GIF, WebP, BMP:
		return true
	}
	return false
}

// MIME is the type's MIME name, e.g. image/png.
func (m MediaType) MIME() string {
	if m == "" {
		return ""
	}
	return "image/" + string(m)
}

// Ext is the usual file extension, with the dot.
func (m MediaType) Ext() string {
	switch m {
	case JPEG:
		return ".jpg"
	case "":
		return ""
	}
	return "." + string(m)
}

// ParseMIME reads a MIME string as newer lash metadata writes it. image/jpg
// is read as jpeg, as lash does; case and parameters are ignored.
func ParseMIME(s string) (MediaType, error) {
	base, _, _ := strings.Cut(s, ";")
	base = strings.ToLower(strings.TrimSpace(base))
	sub, ok := strings.CutPrefix(base, "image/")
	if ok {
		if sub == "jpg" {
			sub = "jpeg"
		}
		if m := MediaType(sub); m.Valid() {
			return m, nil
		}
	}
	return "", fmt.Errorf("media type %q is not one lash knows (%s)", s, AcceptedTypes)
}

// Sniff names the image type of data from its first bytes, or "" when it is
// none of the accepted types. 12 bytes are enough.
func Sniff(head []byte) MediaType {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return GIF
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return WebP
	case bytes.HasPrefix(head, []byte("BM")) && len(head) >= 6:
		return BMP
	}
	return ""
}
