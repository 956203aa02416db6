package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DirBackend is a folder's files as a Backend: what a bucket would hold if
// the folder were copied into one. Symbolic links and folders are not
// objects (a bucket has neither), so they are not listed. Store reads a
// folder faster and reports its links; DirBackend is what lets the rules
// in Objects be checked on a folder and a bucket alike.
type DirBackend struct {
	Root string
}

// file is the path of a key, refused when the key would leave the root.
func (d DirBackend) file(key string) (string, error) {
	if key == "" || path.IsAbs(key) || path.Clean(key) != key || key == ".." || strings.HasPrefix(key, "../") {
		return "", fmt.Errorf("%q is not a key inside the store", key)
	}
	return filepath.Join(d.Root, filepath.FromSlash(key)), nil
}

// Where is the key's path; "" names the folder.
func (d DirBackend) Where(key string) string {
	if key == "" {
		return d.Root
	}
	return filepath.Join(d.Root, filepath.FromSlash(key))
}

// List walks the files under dir (lexical order within each folder).
func (d DirBackend) List(ctx context.Context, dir string, each func(Object) error) error {
	start := d.Root
	if dir != "" {
		start = filepath.Join(d.Root, filepath.FromSlash(strings.TrimSuffix(dir, "/")))
	}
	err := filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while listed
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.Root, p)
		if err != nil {
			return err
		}
		return each(dirObject(filepath.ToSlash(rel), fi))
	})
	return err
}

func dirObject(key string, fi fs.FileInfo) Object {
	return Object{Key: key, Size: fi.Size(), ModTime: fi.ModTime(),
		ETag: strconv.FormatInt(fi.Size(), 10) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)}
}

// Stat describes a regular file; anything else is not an object.
func (d DirBackend) Stat(ctx context.Context, key string) (Object, error) {
	p, err := d.file(key)
	if err != nil {
		return Object{}, err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return Object{}, err
	}
	if !fi.Mode().IsRegular() {
		return Object{}, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
	}
	return dirObject(key, fi), nil
}

// Open opens the file without following a link.
func (d DirBackend) Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, Object, error) {
	p, err := d.file(key)
	if err != nil {
		return nil, Object{}, err
	}
	f, err := openNoFollow(p)
	if err != nil {
		return nil, Object{}, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		return nil, Object{}, err
	}
	var r io.Reader = f
	if off > 0 || n >= 0 {
		if n < 0 {
			n = fi.Size() - off
		}
		r = io.NewSectionReader(f, off, n)
	}
	return struct {
		io.Reader
		io.Closer
	}{r, f}, dirObject(key, fi), nil
}

// Put writes a temp file beside the key's name and renames it into place.
func (d DirBackend) Put(ctx context.Context, key string, r io.Reader, size int64) (Object, error) {
	p, err := d.file(key)
	if err != nil {
		return Object{}, err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Object{}, err
	}
	tmp, err := createTemp(dir, "put")
	if err != nil {
		return Object{}, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, &fileReader{ctx: ctx, r: r}); err != nil {
		return Object{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Object{}, err
	}
	if err := tmp.Close(); err != nil {
		return Object{}, err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return Object{}, err
	}
	done = true
	if err := syncDir(dir); err != nil {
		return Object{}, err
	}
	return d.Stat(ctx, key)
}

// Delete removes the file.
func (d DirBackend) Delete(ctx context.Context, key string) error {
	p, err := d.file(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Copy copies the file.
func (d DirBackend) Copy(ctx context.Context, src, dst string) error {
	r, o, err := d.Open(ctx, src, 0, -1)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = d.Put(ctx, dst, r, o.Size)
	return err
}

// Touch sets the file's modification time to now.
func (d DirBackend) Touch(ctx context.Context, key string) error {
	p, err := d.file(key)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "touch", Path: p, Err: fs.ErrNotExist}
	}
	now := time.Now()
	return os.Chtimes(p, now, now)
}

var _ Backend = DirBackend{}
