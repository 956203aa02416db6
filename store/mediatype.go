package store

import (
	"fmt"

	"lashview/internal/imgfmt"
)

// MediaType is the image type of an attachment, as lash alpha.43 names it in
// a sidecar's media_type.type: png, jpeg, gif, webp or bmp. It is
// imgfmt.Format, so the store and the thumbnailer know one list of types
// (Valid, MIME and Ext are its methods).
type MediaType = imgfmt.Format

// The media types lash alpha.43 knows. Nothing else is an image attachment.
const (
	PNG  = imgfmt.PNG
	JPEG = imgfmt.JPEG
	GIF  = imgfmt.GIF
	WebP = imgfmt.WebP
	BMP  = imgfmt.BMP
)

// MediaTypes lists every accepted type, in the order errors name them.
var MediaTypes = imgfmt.Formats

// AcceptedTypes is the sentence fragment errors use to name what is accepted.
const AcceptedTypes = imgfmt.Accepted

// ParseMIME reads a MIME string as newer lash metadata writes it. image/jpg
// is read as jpeg, as lash does; case and parameters are ignored.
func ParseMIME(s string) (MediaType, error) {
	if m := imgfmt.FormatOfMIME(s); m != "" {
		return m, nil
	}
	return "", fmt.Errorf("media type %q is not one lash knows (%s)", s, AcceptedTypes)
}

// Sniff names the image type of data from its first bytes, or "" when it is
// none of the accepted types (imgfmt.Sniff: 12 bytes are enough). For the
// media type of any bytes, image or not, see imgfmt.SniffMIME.
func Sniff(head []byte) MediaType { return imgfmt.Sniff(head) }
