package store

import (
	"errors"
	"fmt"
)

// The kinds of error lash's get reports, usable with errors.Is.
var (
	// ErrNotFound: the blob does not exist.
	ErrNotFound = errors.New("NotFound")
	// ErrMissingMeta: the blob exists but its sidecar does not.
	ErrMissingMeta = errors.New("MissingMeta")
	// ErrMetadataDecode: the sidecar is not one lash can read.
	ErrMetadataDecode = errors.New("MetadataDecode")
	// ErrIo: any other I/O failure.
	ErrIo = errors.New("Io")
)

// Error is a store failure: which of lash's error kinds, the attachment, the
// path involved and the cause. errors.Is(err, ErrNotFound) and friends work.
type Error struct {
	Kind error  // one of ErrNotFound, ErrMissingMeta, ErrMetadataDecode, ErrIo
	ID   ID     // may be empty
	Path string // the file the operation was about
	Err  error  // the cause; may be nil
}

func (e *Error) Error() string {
	var what string
	switch e.Kind {
	case ErrNotFound:
		what = fmt.Sprintf("attachment %s is not in the store (no blob at %s)", e.ID, e.Path)
	case ErrMissingMeta:
		what = fmt.Sprintf("attachment %s has no sidecar (%s is missing)", e.ID, e.Path)
	case ErrMetadataDecode:
		what = fmt.Sprintf("the sidecar %s cannot be read", e.Path)
	default:
		what = fmt.Sprintf("cannot access %s", e.Path)
	}
	if e.Err != nil {
		what += ": " + e.Err.Error()
	}
	return fmt.Sprintf("%s: %s", kindName(e.Kind), what)
}

func kindName(k error) string {
	if k == nil {
		return "Io"
	}
	return k.Error()
}

// Is makes errors.Is(err, ErrNotFound) etc. true for an *Error of that kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
