package store

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Put stores r's bytes as an attachment, as Store.Put does for a folder:
// the bytes are spooled into a temp file under os.TempDir (never into the
// store) while they are hashed, then the blob is put whole (a single PUT,
// or a multipart upload the server shows only once complete) and, in a
// store of the sidecar generation, its sidecar after it, as lash does. A
// blob-only store takes any bytes, gets no sidecar and no label. Bytes the
// store already holds are not sent again: their object's time is
// refreshed (Backend.Touch), as newer lash does.
func (s *Objects) Put(ctx context.Context, r io.Reader, opt PutOptions) (Sidecar, error) {
	tmp, err := os.CreateTemp("", "lashview-put-*.tmp")
	if err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, Path: os.TempDir(), Err: cause(err)}
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	id, n, err := copyHashing(ctx, tmp, r)
	if err != nil {
		return Sidecar{}, err
	}
	return s.putFrom(ctx, tmp, id, n, opt, nil)
}

// PutFile puts the regular file at path, as Store.PutFile does: it hashes
// the file (one pass), then uploads it from the file with its known size.
// With KeepExisting a healthy attachment of the same bytes is kept (its
// object's time refreshed) and returned instead. Errors about the file
// itself carry no path.
func (s *Objects) PutFile(ctx context.Context, path string, opt PutFileOptions) (Sidecar, *Attachment, error) {
	f, _, err := openRegular(path)
	if err != nil {
		return Sidecar{}, nil, err
	}
	defer f.Close()
	c := &countReader{r: f}
	id, err := hashReader(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			return Sidecar{}, nil, ctx.Err()
		}
		return Sidecar{}, nil, cause(err)
	}
	n := c.n
	if opt.KeepExisting {
		a, ok, err := s.Examine(ctx, id)
		if err != nil {
			return Sidecar{}, nil, &Error{Kind: ErrIo, ID: id, Path: s.b.Where(blobKey(id)), Err: err}
		}
		if ok && a.HasBlob && a.Status == StatusOK {
			if have, err := s.holds(ctx, id, n, f); err != nil {
				return Sidecar{}, nil, err
			} else if have {
				// Kept, but put all the same as far as lash's collector sees.
				if err := s.touch(ctx, id); err != nil {
					return Sidecar{}, nil, err
				}
				if opt.Progress != nil {
					opt.Progress(n)
				}
				return Sidecar{}, &a, nil
			}
		}
	}
	label := opt.Label
	if label == nil {
		base := filepath.Base(path)
		label = &base
	}
	sc, err := s.putFrom(ctx, f, id, n, PutOptions{Label: label}, opt.Progress)
	return sc, nil, err
}

// putFrom puts the n bytes of f, which hash to id: the blob unless the
// store holds those bytes already (then its time is refreshed), then the
// sidecar in the sidecar generation. progress, when set, is told the bytes
// sent (all n at once for bytes already there).
func (s *Objects) putFrom(ctx context.Context, f io.ReaderAt, id ID, n int64, opt PutOptions, progress func(int64)) (Sidecar, error) {
	key := blobKey(id)
	gen, err := s.Writes(ctx)
	if err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: s.Where(), Err: err}
	}
	blobOnly := gen == GenBlobOnly
	h, err := SniffHeader(io.NewSectionReader(f, 0, n))
	if err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: os.TempDir(), Err: cause(err)}
	}
	meta, err := putMeta(id, n, h, opt, blobOnly)
	if err != nil {
		return Sidecar{}, err
	}
	have, err := s.holds(ctx, id, n, f)
	if err != nil {
		return Sidecar{}, err
	}
	if have {
		if err := s.touch(ctx, id); err != nil {
			return Sidecar{}, err
		}
		if progress != nil {
			progress(n)
		}
	} else {
		r := &fileReader{ctx: ctx, r: io.NewSectionReader(f, 0, n), progress: progress}
		if _, err := s.b.Put(ctx, key, r, n); err != nil {
			return Sidecar{}, s.ioErr(ctx, id, key, err)
		}
	}
	if blobOnly {
		return meta, nil
	}
	if err := s.writeSidecar(ctx, id, meta); err != nil {
		return Sidecar{}, err
	}
	return meta, nil
}

// ioErr is a backend failure about the id's key as lash's Io error; a
// cancelled ctx is returned as it is.
func (s *Objects) ioErr(ctx context.Context, id ID, key string, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ctx.Err()
	}
	where := s.b.Where(key)
	if msg, ok := strings.CutPrefix(err.Error(), where+": "); ok {
		// The backend named the object already: say it once.
		err = withMessage{err, msg}
	}
	return &Error{Kind: ErrIo, ID: id, Path: where, Err: err}
}

// withMessage is err told in other words (errors.Is and As still see err).
type withMessage struct {
	err error
	msg string
}

func (w withMessage) Error() string { return w.msg }
func (w withMessage) Unwrap() error { return w.err }

// touch refreshes the time of the id's blob object.
func (s *Objects) touch(ctx context.Context, id ID) error {
	if err := s.b.Touch(ctx, blobKey(id)); err != nil {
		return s.ioErr(ctx, id, blobKey(id), err)
	}
	return nil
}

// writeSidecar puts meta as the id's sidecar object, byte for byte as
// lash alpha.43 writes it.
func (s *Objects) writeSidecar(ctx context.Context, id ID, meta Sidecar) error {
	data := meta.Encode()
	key := sidecarKey(id)
	if _, err := s.b.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return s.ioErr(ctx, id, key, err)
	}
	s.noteSidecar()
	return nil
}

// holds reports whether the store's blob of id is already the n bytes of f
// (which hash to id): an object of that size whose ETag is the bytes' MD5
// (a single-part upload's), else whose bytes hash to id when read back.
func (s *Objects) holds(ctx context.Context, id ID, n int64, f io.ReaderAt) (bool, error) {
	key := blobKey(id)
	o, ok, err := s.stat(ctx, key)
	if err != nil {
		return false, s.ioErr(ctx, id, key, err)
	}
	if !ok || o.Size != n {
		return false, nil
	}
	if etag := strings.Trim(o.ETag, `"`); len(etag) == 32 {
		m := md5.New()
		if _, err := io.Copy(m, &fileReader{ctx: ctx, r: io.NewSectionReader(f, 0, n)}); err != nil {
			return false, err
		}
		if hex.EncodeToString(m.Sum(nil)) == strings.ToLower(etag) {
			return true, nil
		}
	}
	got, _, err := s.hashBlob(ctx, id)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, s.ioErr(ctx, id, key, err)
	}
	return got == id, nil
}

// hashBlob reads the id's blob as a stream and returns what it hashes to
// and its length.
func (s *Objects) hashBlob(ctx context.Context, id ID) (ID, int64, error) {
	r, _, err := s.b.Open(ctx, blobKey(id), 0, -1)
	if err != nil {
		return "", 0, err
	}
	defer r.Close()
	c := &countReader{r: r}
	got, err := hashReader(ctx, c)
	return got, c.n, err

}

// hashReader is what r's bytes hash to, read to their end.
func hashReader(ctx context.Context, r io.Reader) (ID, error) {
	h := sha256.New()
	if _, err := io.Copy(h, &fileReader{ctx: ctx, r: r}); err != nil {
		return "", err
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return IDOf(sum), nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

// SetLabel rewrites the id's sidecar with a new label, byte-identical to
// what lash writes for a put of the same bytes with that label; a blob
// without a readable, agreeing sidecar gets one from its bytes. Only in a
// store of the sidecar generation: where lashview writes blob-only (newer
// lash lists a sidecar as a blob nobody references, and deletes it) it
// fails with ErrBlobOnlyLabel and changes nothing.
func (s *Objects) SetLabel(ctx context.Context, id ID, label string) (Sidecar, error) {
	key := blobKey(id)
	o, ok, err := s.stat(ctx, key)
	if err != nil {
		return Sidecar{}, s.ioErr(ctx, id, key, err)
	}
	if !ok {
		return Sidecar{}, &Error{Kind: ErrNotFound, ID: id, Path: s.b.Where(key)}
	}
	gen, err := s.Writes(ctx)
	if err != nil {
		return Sidecar{}, s.ioErr(ctx, id, key, err)
	}
	if gen == GenBlobOnly {
		return Sidecar{}, fmt.Errorf("cannot label %s: %w", id.Short(), ErrBlobOnlyLabel)
	}
	meta, err := s.Meta(ctx, id)
	if err != nil || meta.ID != string(id) || meta.ByteLen != uint64(o.Size) {
		if errors.Is(err, ErrIo) {
			return Sidecar{}, err
		}
		meta, err = s.MetaFromBlob(ctx, id)
		if err != nil {
			return Sidecar{}, err
		}
	}
	meta.Label = &label
	if err := s.writeSidecar(ctx, id, meta); err != nil {
		return Sidecar{}, err
	}
	return meta, nil
}

// MetaFromBlob builds the sidecar lash would write for the blob's bytes
// with no label, as Store.MetaFromBlob does: the blob is hashed (a stream)
// first, and bytes that do not hash to their name (ErrCorrupt) or are no
// image lash accepts (ErrNotImage) cannot be described.
func (s *Objects) MetaFromBlob(ctx context.Context, id ID) (Sidecar, error) {
	key := blobKey(id)
	where := s.b.Where(key)
	got, n, err := s.hashBlob(ctx, id)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Sidecar{}, &Error{Kind: ErrNotFound, ID: id, Path: where}
		}
		return Sidecar{}, s.ioErr(ctx, id, key, err)
	}
	if got != id {
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: where, Err: ErrCorrupt}
	}
	h, _, err := s.sniff(ctx, id, n)
	if err != nil {
		return Sidecar{}, s.ioErr(ctx, id, key, err)
	}
	return metaFromHeader(id, n, h, where)
}
