package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// PutFileOptions say how PutFile treats the file it is given.
type PutFileOptions struct {
	// Label is recorded as given; nil records the file's base name.
	Label *string
	// KeepExisting puts nothing when the store already holds the file's
	// bytes as a healthy attachment, and returns that attachment instead:
	// an import that finds a duplicate keeps its label. Without it the
	// bytes are put again, which keeps the blob and writes the new label.
	KeepExisting bool
	// Progress, when set, is told how many bytes of the file were put as
	// they are read; a kept duplicate counts once, whole.
	Progress func(n int64)
}

// PutFile puts the file at path, as the command line's put and the
// window's import do. Only a regular file is read: a FIFO or a device
// would block or never end. Errors about the file itself (missing,
// unreadable, not a regular file) carry no path, so the caller names the
// file once; cancelling ctx stops the reading.
//
// It returns what was put, or, with KeepExisting, the attachment already
// in the store (then the Sidecar is the zero value).
func (s *Store) PutFile(ctx context.Context, path string, opt PutFileOptions) (Sidecar, *Attachment, error) {
	f, fi, err := openRegular(path)
	if err != nil {
		return Sidecar{}, nil, err
	}
	defer f.Close()
	if opt.KeepExisting {
		id, err := hashReader(ctx, f)
		if err != nil {
			return Sidecar{}, nil, err
		}
		if a, ok := s.Examine(id); ok && a.HasBlob && a.Status == StatusOK {
			// Kept, but put all the same as far as lash's collector sees.
			if err := s.touch(a.ID); err != nil {
				return Sidecar{}, nil, err
			}
			if opt.Progress != nil {
				opt.Progress(fi.Size())
			}
			return Sidecar{}, &a, nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return Sidecar{}, nil, err
		}
	}
	label := opt.Label
	if label == nil {
		base := filepath.Base(path)
		label = &base
	}
	sc, err := s.Put(ctx, &fileReader{ctx: ctx, r: f, progress: opt.Progress}, PutOptions{Label: label})
	return sc, nil, err
}

// openRegular opens the file at path to be put, only if it is a regular
// file (a FIFO or a device would block or never end); its errors carry no
// path.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, cause(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, cause(err)
	}
	return f, fi, nil
}

// fileReader stops a copy when its context ends and counts what it reads.
type fileReader struct {
	ctx      context.Context
	r        io.Reader
	progress func(int64)
	err      error // the last read error, to tell it from a write error
}

func (f *fileReader) Read(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := f.r.Read(p)
	if n > 0 && f.progress != nil {
		f.progress(int64(n))
	}
	if err != nil && err != io.EOF {
		f.err = err
	}
	return n, err
}

// WriteFile writes what r holds to path crash-atomically, as the store
// writes its own files: into a unique temp beside path, synced, renamed
// over path, and the folder synced. A failure leaves path as it was and no
// temp behind. get -o writes an attachment's bytes out through it.
func WriteFile(path string, r io.Reader) error {
	dir := filepath.Dir(path)
	tmp, err := createTemp(dir, filepath.Base(path))
	if err != nil {
		return &Error{Kind: ErrIo, Path: dir, Err: cause(err)}
	}
	name := tmp.Name()
	src := &fileReader{ctx: context.Background(), r: r}
	_, err = io.Copy(tmp, src)
	if src.err != nil {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("read the bytes to write to %s: %w", path, src.err)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return &Error{Kind: ErrIo, Path: name, Err: cause(err)}
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return &Error{Kind: ErrIo, Path: path, Err: renameCause(err)}
	}
	if err := syncDir(dir); err != nil {
		return &Error{Kind: ErrIo, Path: dir, Err: cause(err)}
	}
	return nil
}
