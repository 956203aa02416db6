package thumbs

import (
	"errors"
	"fmt"

	"lashview/store"
)

// Sentinel errors wrapped by a Failure's cause, for errors.Is.
var (
	// ErrTooLarge: the header claims more pixels than the cap allows.
	ErrTooLarge = errors.New("image too large")
	// ErrHeaderLies: the header claims something the bytes cannot hold (more
	// pixels than the file could encode, or another size than decoded).
	ErrHeaderLies = errors.New("image header does not match its data")
	// ErrNotImage: the bytes are not PNG, JPEG, GIF, WebP or BMP.
	ErrNotImage = errors.New("not a supported image")
	// ErrClosed is returned by a Cache after Close.
	ErrClosed = errors.New("thumbnail cache closed")
)

// Failure is a thumbnail that cannot be made from an attachment's bytes. An
// id's bytes never change, so a Failure is final: the cache remembers it on
// disk and does not try again. Errors that are not about the bytes (the blob
// cannot be opened or read) are returned as plain errors and are not
// remembered.
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

// Unwrap returns the underlying cause (ErrTooLarge, ErrHeaderLies,
// ErrNotImage or a decoder's error), if known.
func (f *Failure) Unwrap() error { return f.cause }

// failf makes a Failure whose cause is err and whose reason is the formatted
// text followed by err.
func failf(err error, format string, args ...any) *Failure {
	msg := fmt.Sprintf(format, args...)
	if err != nil && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrHeaderLies) && !errors.Is(err, ErrNotImage) {
		msg += ": " + err.Error()
	}
	return &Failure{Reason: msg, cause: err}
}
