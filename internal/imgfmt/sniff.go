package imgfmt

import (
	"bytes"
	"net/http"
	"strings"
)

// SniffLen is how many leading bytes SniffMIME looks at; Sniff needs only
// the first 12. Pass at least this many when the file has them.
const SniffLen = 512

// OctetStream is the MIME type of bytes nothing more is known about.
const OctetStream = "application/octet-stream"

// Sniff names the image format of data from its first bytes, by magic
// number only (a sidecar's media type may be wrong, the bytes are not), or
// returns "" when they are none of the five. A BMP must also have the zero
// reserved field of its file header, as the decoders' registration in
// golang.org/x/image/bmp asks: "BM" alone starts too much plain text.
func Sniff(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return JPEG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return GIF
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return WebP
	case len(head) >= 10 && string(head[:2]) == "BM" && string(head[6:10]) == "\x00\x00\x00\x00":
		return BMP
	}
	return ""
}

// SniffMIME names the media type of any bytes from their first SniffLen:
// the image MIME of the five formats exactly when Sniff names one, else a
// well-known type without parameters (application/pdf, audio/mpeg,
// audio/wave, text/plain, application/zip, …, by the WHATWG sniffing
// table of net/http.DetectContentType), and OctetStream when unknown or
// empty.
//
// For any bytes, IsImageMIME(SniffMIME(b)) == (Sniff(b) != ""): the table
// calls some bytes image/bmp or image/webp that Sniff does not (text that
// starts with "BM"); those are named as if the image rule had not matched.
func SniffMIME(head []byte) string {
	if f := Sniff(head); f != "" {
		return f.MIME()
	}
	if len(head) == 0 {
		return OctetStream
	}
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	mime, _, _ := strings.Cut(http.DetectContentType(head), ";")
	mime = strings.TrimSpace(mime)
	if IsImageMIME(mime) {
		if isText(head) {
			return "text/plain"
		}
		return OctetStream
	}
	return mime
}

// isText is DetectContentType's last rule: no byte that only binary data
// holds (control characters other than tab, newlines, form feed and escape).
func isText(b []byte) bool {
	for _, c := range b {
		switch {
		case c <= 0x08, c == 0x0B, 0x0E <= c && c <= 0x1A, 0x1C <= c && c <= 0x1F:
			return false
		}
	}
	return true
}
