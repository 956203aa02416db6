package store

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"time"
)

// A Backend holds a store's objects: the files of a folder, or the keys of
// an S3 bucket under a prefix. Keys are store-relative and slash-separated
// ("sha256/ab/ab…"). lash's rules (pairing blobs with sidecars, the
// generations, the sidecar codec, findings, the trash, doctor) sit above it
// once, in Objects; a backend only moves bytes.
type Backend interface {
	// Where names a key for a person: a path, or s3://bucket/prefix/key;
	// Where("") names the store itself.
	Where(key string) string
	// List calls each for every object whose key starts with dir (a
	// folder's key ending in "/", or "" for all), in key order. An error
	// from each ends the listing and is returned.
	List(ctx context.Context, dir string, each func(Object) error) error
	// Stat describes one object; an absent one is an error that
	// errors.Is(err, fs.ErrNotExist).
	Stat(ctx context.Context, key string) (Object, error)
	// Open streams n bytes of the object from off (n < 0: to its end).
	// The caller closes the reader. An absent object is fs.ErrNotExist.
	Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, Object, error)
	// Put writes the object whole or not at all: a reader that fails, a
	// cancelled ctx or a cut connection leaves the key as it was. size is
	// r's length (-1: unknown).
	Put(ctx context.Context, key string, r io.Reader, size int64) (Object, error)
	// Delete removes the object; an absent one is not an error.
	Delete(ctx context.Context, key string) error
	// Copy copies the object src to dst on the server side (a folder
	// copies the file); an absent src is fs.ErrNotExist.
	Copy(ctx context.Context, src, dst string) error
	// Touch makes the object's modification time now without changing
	// its bytes (a bucket copies the object onto itself, replacing its
	// metadata), as newer lash does on a put of bytes it already holds:
	// a collector that listed the store before then spares it. An absent
	// object is fs.ErrNotExist.
	Touch(ctx context.Context, key string) error
}

// Object is one object a Backend lists.
type Object struct {
	Key     string // store-relative, slash-separated
	Size    int64
	ModTime time.Time
	// ETag changes whenever the object's bytes do (the server's ETag; a
	// folder's size and modification time); "" when unknown.
	ETag string
}

// Uploads is what a backend with multipart uploads (S3) also offers: the
// uploads begun under the store and never finished or aborted. They hold
// storage and are invisible to a listing, so doctor reports them as litter.
type Uploads interface {
	Unfinished(ctx context.Context, dir string) ([]Upload, error)
	// Abort discards one unfinished upload.
	Abort(ctx context.Context, u Upload) error
}

// Upload is one unfinished multipart upload.
type Upload struct {
	Key       string // store-relative
	ID        string
	Initiated time.Time
	Size      int64 // bytes of the parts uploaded so far
}

// ErrVanished is an object that was listed and was gone when read (deleted
// meanwhile). errors.Is(err, fs.ErrNotExist) holds too.
var ErrVanished error = vanished{}

type vanished struct{}

func (vanished) Error() string {
	return "the object was listed but was gone when read (deleted meanwhile)"
}
func (vanished) Is(target error) bool { return target == fs.ErrNotExist }

// isObjectProblem tells an error of one object (it vanished, it may not be
// read, it is too large), which the attachment's status reports as a
// folder's unreadable file is, from one of the whole store (unreachable,
// no such bucket), which fails the listing.
func isObjectProblem(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, ErrSidecarTooLarge)
}
