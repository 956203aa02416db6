package thumbs

import (
	"errors"
	"fmt"

	"lashview/internal/imgfmt"
	"lashview/store"
)

// Sentinel errors, for errors.Is. The first three are imgfmt's, so a
// verdict of the shared header guard means the same here and in store.
var (
	// ErrTooLarge (in a Failure): the header claims more pixels than the cap
	// allows.
	ErrTooLarge = imgfmt.ErrTooLarge
	// ErrHeaderLies (in a Failure): the header claims something the bytes
	// cannot hold (more pixels than the file could encode, or another size
	// than decoded).
	ErrHeaderLies = imgfmt.ErrHeaderLies
	// ErrNotImage: the bytes are not a PNG, JPEG, GIF, WebP or BMP image.
	// Every *NotImage is one.
	ErrNotImage = imgfmt.ErrNotImage
	// ErrClosed is returned by a Cache after Close.
	ErrClosed = errors.New("thumbnail cache closed")
)

// NotImage is the answer for an attachment whose bytes are no image at
// all: a PDF, audio, plain bytes (lash alpha.111 stores any media type), or
// zero bytes. There is no thumbnail to make and nothing wrong with the
// bytes, so it is not a *Failure: the window draws a tile naming MIME
// instead of a broken-image mark. errors.Is(err, ErrNotImage) holds.
//
// Like a Failure it is final and holds at every size (an id's bytes never
// change); the Cache keeps it in memory, but never writes it to the disk
// cache's failure memory: sniffing again costs one read of a few hundred
// bytes, as reading a remembered failure back would, and a later lashview
// that can draw some of these types then needs no new cache generation.
type NotImage struct {
	ID   store.ID // empty when it came from Thumbnail
	MIME string   // sniffed from the bytes (imgfmt.SniffMIME): application/pdf, text/plain, application/octet-stream, …
}

// Error implements error.
func (e *NotImage) Error() string {
	if e.ID == "" {
		return "no thumbnail: not an image (" + e.MIME + ")"
	}
	return fmt.Sprintf("no thumbnail for %s: not an image (%s)", e.ID.Short(), e.MIME)
}

// Is makes errors.Is(err, ErrNotImage) true.
func (e *NotImage) Is(target error) bool { return target == ErrNotImage }

// Failure is a thumbnail that cannot be made from an image's bytes (bytes
// that are no image at all are a *NotImage instead). An id's bytes never
// change, so a Failure is final: the cache remembers it on disk and does
// not try again. Errors that are not about the bytes (the blob cannot be
// opened or read) are returned as plain errors and are not remembered.
type Failure struct {
	ID     store.ID // empty when the failure came from Thumbnail
	Reason string   // a sentence a person can read, e.g. "png decode: unexpected EOF"
	cause  error    // nil when the failure was read back from the disk cache
}

// Error implements error.
func (f *Failure) Error() string {
	if f.ID == "" {
		return "no thumbnail: " + f.Reason
	}
	return fmt.Sprintf("no thumbnail for %s: %s", f.ID.Short(), f.Reason)
}

// Unwrap returns the underlying cause (ErrTooLarge, ErrHeaderLies or a
// decoder's error), if known.
func (f *Failure) Unwrap() error { return f.cause }

// failf makes a Failure whose cause is err and whose reason is the formatted
// text followed by err.
func failf(err error, format string, args ...any) *Failure {
	msg := fmt.Sprintf(format, args...)
	if err != nil && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrHeaderLies) {
		msg += ": " + err.Error()
	}
	return &Failure{Reason: msg, cause: err}
}
