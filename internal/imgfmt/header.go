package imgfmt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"
)

// DefaultMaxPixels is the default pixel cap: 100 megapixels. A decoded
// image costs at least 4 bytes a pixel, so the cap keeps one decode under
// about 400 MB however large its header claims to be.
const DefaultMaxPixels = 100_000_000

// Sentinel errors, for errors.Is.
var (
	// ErrNotImage: the bytes are none of the five formats.
	ErrNotImage = errors.New("not a " + Accepted + " image")
	// ErrTooLarge: the header claims more pixels than the cap allows.
	ErrTooLarge = errors.New("image too large")
	// ErrHeaderLies: the header claims something the bytes cannot hold (no
	// pixels, more pixels than the file could encode, a frame outside its
	// canvas, another size than decoded).
	ErrHeaderLies = errors.New("image header does not match its data")
)

// headerError is a verdict on a header: its text says what the header
// claims; it unwraps to ErrTooLarge or ErrHeaderLies.
type headerError struct {
	kind error
	msg  string
}

func (e *headerError) Error() string { return e.msg }
func (e *headerError) Unwrap() error { return e.kind }

// Header is what an image's first bytes say about it.
type Header struct {
	Format        Format
	Width, Height int // as stored (before any EXIF orientation)
	// Animated is set for a WebP with the animation flag: Decode gives its
	// first frame.
	Animated bool
}

// Pixels is Width×Height.
func (h Header) Pixels() int64 { return int64(h.Width) * int64(h.Height) }

// Check is the guard before any decode: it refuses a header that claims no
// pixels (ErrHeaderLies) or more than maxPixels (ErrTooLarge; maxPixels
// <= 0 means DefaultMaxPixels). A 50000×50000 PNG header is a few hundred
// bytes; its pixels would be 10 GB.
func (h Header) Check(maxPixels int64) error {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if h.Width <= 0 || h.Height <= 0 {
		return &headerError{ErrHeaderLies, fmt.Sprintf("%s header claims %dx%d pixels", h.Format, h.Width, h.Height)}
	}
	if p := h.Pixels(); p > maxPixels {
		return &headerError{ErrTooLarge, fmt.Sprintf("%dx%d is %.1f megapixels, over the %.0f-megapixel cap",
			h.Width, h.Height, float64(p)/1e6, float64(maxPixels)/1e6)}
	}
	return nil
}

// DecodeConfig reads the header of an image of format f from r with that
// format's own decoder (not by the image package's registry, whose magic
// numbers differ from Sniff's).
func DecodeConfig(f Format, r io.Reader) (image.Config, error) {
	switch f {
	case PNG:
		return png.DecodeConfig(r)
	case JPEG:
		return jpeg.DecodeConfig(r)
	case GIF:
		return gif.DecodeConfig(r)
	case WebP:
		return webp.DecodeConfig(r)
	case BMP:
		return bmp.DecodeConfig(r)
	}
	return image.Config{}, ErrNotImage
}

// ReadHeader reads the format and pixel size from the start of r, reading
// no pixel data. It does not apply the cap: call Check before decoding.
//
// The error says which step failed: ErrNotImage with a zero Header when
// the bytes are none of the formats; a header error with Header.Format set
// when they sniff as one but its header does not decode (the format's own
// error, io.ErrUnexpectedEOF for a cut one); any other error with a zero
// Header when the first bytes could not be read.
func ReadHeader(r io.Reader) (Header, error) {
	br := bufio.NewReaderSize(r, SniffLen)
	head, err := br.Peek(SniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return Header{}, err
	}
	h := Header{Format: Sniff(head)}
	if h.Format == "" {
		return Header{}, ErrNotImage
	}
	h.Animated = h.Format == WebP && WebPAnimated(head)
	cfg, err := DecodeConfig(h.Format, br)
	if err != nil {
		return h, fmt.Errorf("%s header: %w", h.Format, noEOF(err))
	}
	h.Width, h.Height = cfg.Width, cfg.Height
	return h, nil
}

// Decode decodes the image whose header h was read (ReadHeader) from the
// same bytes r now yields from their start, with the decoder of h.Format:
// the first frame of an animated WebP or GIF. Call h.Check first: Decode
// allocates for every pixel the header claims.
func Decode(r io.Reader, h Header) (image.Image, error) {
	switch h.Format {
	case PNG:
		return png.Decode(r)
	case JPEG:
		return jpeg.Decode(r)
	case GIF:
		return gif.Decode(r)
	case WebP:
		if !h.Animated {
			return webp.Decode(r)
		}
		still, _, err := WebPFirstFrame(r, h.Width, h.Height)
		if err != nil {
			return nil, err
		}
		return webp.Decode(bytes.NewReader(still))
	case BMP:
		return bmp.Decode(r)
	}
	return nil, ErrNotImage
}

// noEOF turns a bare io.EOF inside a structure into io.ErrUnexpectedEOF:
// the file ended where more was promised.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
