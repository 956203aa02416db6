package imgfmt

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// Every blob lash wrote sniffs as the type lash recorded for it: the five
// image types from alpha.43's sidecars and alpha.111's records, and the
// PDF and raw bytes alpha.111 stores.
func TestSniffFixtures(t *testing.T) {
	kinds := map[string]int{}
	for _, b := range append(cleanBlobs(t), alpha111Blobs(t)...) {
		head := b.data[:min(len(b.data), SniffLen)]
		if got := SniffMIME(head); got != b.mime {
			t.Errorf("%s: SniffMIME %q, lash says %q", b.id[:12], got, b.mime)
		}
		f := Sniff(head)
		if f != FormatOfMIME(b.mime) || IsImageMIME(b.mime) != (f != "") {
			t.Errorf("%s: Sniff %q for %q", b.id[:12], f, b.mime)
		}
		// 16 bytes are enough for the image rule (the window's import
		// dialog reads no more).
		if g := Sniff(b.data[:min(len(b.data), 16)]); g != f {
			t.Errorf("%s: Sniff of 16 bytes %q, of %d: %q", b.id[:12], g, len(head), f)
		}
		kinds[b.mime]++
	}
	for _, m := range []string{"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "application/pdf", OctetStream} {
		if kinds[m] == 0 {
			t.Errorf("no fixture of %s: the test lost its coverage", m)
		}
	}
}

// Bytes that are no image get a well-known type without parameters.
func TestSniffMIME(t *testing.T) {
	wav := []byte("RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00data\x00\x08\x00\x00")
	random := make([]byte, 600)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	random[0] = 0x01 // no signature starts with a control byte
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"wav", wav, "audio/wave"},
		{"mp3 with ID3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00"), "audio/mpeg"},
		{"ogg", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"), "application/ogg"},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00"), "application/zip"},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), "application/x-gzip"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "application/pdf"},
		{"utf-8 text", []byte("Hello, world. Ünïcödé ✓\n"), "text/plain"},
		{"utf-16 text", []byte("\xff\xfeH\x00i\x00"), "text/plain"},
		{"html", []byte("<!DOCTYPE html><html><body>x</body></html>"), "text/html"},
		{"random bytes", random, OctetStream},
		{"empty", nil, OctetStream},
		{"tiff: an image lashview cannot decode", []byte("II*\x00\x08\x00\x00\x00"), OctetStream},
		{"icon: an image lashview cannot decode", []byte("\x00\x00\x01\x00\x01\x00\x10\x10"), "image/x-icon"},
		{"text that starts with BM", []byte("BMW makes cars.\n"), "text/plain"},
		{"binary that starts with BM", []byte("BM\x01\x02\x03\x04\x05\x06\x07\x08\x09"), OctetStream},
		{"BM, too short to be a BMP", []byte("BM\x00\x00"), OctetStream},
		{"RIFF WEBP without a chunk", []byte("RIFF\x04\x00\x00\x00WEBP"), "image/webp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SniffMIME(tc.data); got != tc.want {
				t.Errorf("SniffMIME = %q, want %q", got, tc.want)
			}
		})
	}
	// Only the first SniffLen bytes count.
	late := append(bytes.Repeat([]byte("text "), SniffLen/5+1), 0)
	if got := SniffMIME(late); got != "text/plain" {
		t.Errorf("a NUL after SniffLen bytes: %q, want text/plain", got)
	}
}

func TestFormatOfMIME(t *testing.T) {
	for mime, want := range map[string]Format{
		"image/png":                PNG,
		"IMAGE/PNG; charset=x":     PNG,
		" image/jpeg ":             JPEG,
		"image/jpg":                JPEG,
		"image/gif":                GIF,
		"image/webp":               WebP,
		"image/bmp":                BMP,
		"image/tiff":               "",
		"image/x-icon":             "",
		"image/":                   "",
		"application/pdf":          "",
		"text/plain":               "",
		"png":                      "",
		"":                         "",
		"application/octet-stream": "",
	} {
		if got := FormatOfMIME(mime); got != want {
			t.Errorf("FormatOfMIME(%q) = %q, want %q", mime, got, want)
		}
		if IsImageMIME(mime) != (want != "") {
			t.Errorf("IsImageMIME(%q) = %v", mime, !(want != ""))
		}
	}
	for _, f := range Formats {
		if !f.Valid() || FormatOfMIME(f.MIME()) != f || f.Ext() == "" {
			t.Errorf("%q: valid %v, MIME %q, ext %q", f, f.Valid(), f.MIME(), f.Ext())
		}
	}
	if JPEG.Ext() != ".jpg" || Format("").MIME() != "" || Format("tiff").Valid() {
		t.Error("JPEG's extension, the zero format's MIME, or tiff's validity is wrong")
	}
}

// Whatever the bytes, SniffMIME names one of the five image types exactly
// when Sniff names a format, and then that format's type; it never returns
// parameters.
func FuzzSniffMIME(f *testing.F) {
	for _, s := range []string{"", "BM", "BMW is", "BM\x00\x00\x00\x00\x00\x00\x00\x00", "RIFF\x00\x00\x00\x00WEBPVP8 ", "\x89PNG\r\n\x1a\n", "\xff\xd8\xff", "GIF89a", "%PDF-", "hello"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := SniffMIME(b)
		fm := Sniff(b)
		if IsImageMIME(m) != (fm != "") || (fm != "" && m != fm.MIME()) {
			t.Fatalf("SniffMIME %q, Sniff %q", m, fm)
		}
		if m == "" || bytes.ContainsAny([]byte(m), "; ") {
			t.Fatalf("SniffMIME %q", m)
		}
	})
}
