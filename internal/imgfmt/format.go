package imgfmt

import "strings"

// Format is an image format lash can store and lashview can decode, named
// as lash alpha.43 names it in a sidecar's media_type.type.
type Format string

// The five formats. Nothing else is decoded.
const (
	PNG  Format = "png"
	JPEG Format = "jpeg"
	GIF  Format = "gif"
	WebP Format = "webp"
	BMP  Format = "bmp"
)

// Formats lists every format, in the order messages name them.
var Formats = []Format{PNG, JPEG, GIF, WebP, BMP}

// Accepted is the sentence fragment messages use to name the formats.
const Accepted = "PNG, JPEG, GIF, WebP or BMP"

// Valid reports whether f is one of the five formats.
func (f Format) Valid() bool {
	switch f {
	case PNG, JPEG, GIF, WebP, BMP:
		return true
	}
	return false
}

// Canonical returns the constant of a valid format, whose bytes every
// attachment of that format can share (a format read from a file is a new
// string each time: 100,000 of them in a large store), and f itself
// otherwise.
func (f Format) Canonical() Format {
	for _, c := range Formats {
		if f == c {
			return c
		}
	}
	return f
}

// MIME is the format's MIME type, e.g. image/png; "" for the zero Format.
// For the five formats it is a constant, not a new string per call.
func (f Format) MIME() string {
	switch f {
	case "":
		return ""
	case PNG:
		return "image/png"
	case JPEG:
		return "image/jpeg"
	case GIF:
		return "image/gif"
	case WebP:
		return "image/webp"
	case BMP:
		return "image/bmp"
	}
	return "image/" + string(f)
}

// Ext is the usual file extension, with the dot; "" for the zero Format.
func (f Format) Ext() string {
	switch f {
	case JPEG:
		return ".jpg"
	case "":
		return ""
	}
	return "." + string(f)
}

// FormatOfMIME names the format of a MIME type, or "" when it is none of
// the five. Case and parameters are ignored, and image/jpg is read as
// jpeg, as lash reads it.
func FormatOfMIME(mime string) Format {
	base, _, _ := strings.Cut(mime, ";")
	sub, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(base)), "image/")
	if !ok {
		return ""
	}
	if sub == "jpg" {
		sub = "jpeg"
	}
	if f := Format(sub); f.Valid() {
		return f
	}
	return ""
}

// IsImageMIME reports whether mime names one of the five decodable image
// formats (image/png, image/jpeg, image/gif, image/webp, image/bmp).
// Other image types (image/tiff, image/x-icon, …) are not: lashview cannot
// decode them, so they are shown as any other file is.
func IsImageMIME(mime string) bool { return FormatOfMIME(mime) != "" }
