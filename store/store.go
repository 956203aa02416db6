package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"lashview/internal/imgfmt"
)

// Store is a lash attachment store rooted at a folder. It holds no open
// files; every method works on the disk as it is now, so several processes
// (lash among them) can share the store.
type Store struct {
	root   string
	layout Layout
	// newerLash and seen decide the generation of a blob without a
	// sidecar (generation.go).
	newerLash bool
	seen      storeContents
}

// New returns the store rooted at root. It does no I/O: a store that does
// not exist yet is created by the first Put.
func New(root string) *Store {
	root = filepath.Clean(root)
	return &Store{root: root, layout: Layout{Root: root}}
}

// Root is the store's folder.
func (s *Store) Root() string { return s.root }

// Layout maps ids to this store's paths.
func (s *Store) Layout() Layout { return s.layout }

// Header is what an image's first bytes say about it.
type Header struct {
	MediaType     MediaType
	Width, Height int // 0 when the header could not be read
}

// headerLimit bounds how much of a file is read to find its size: JPEG's SOF
// can follow a large EXIF block, but never by more than this.
const headerLimit = 4 << 20

// SniffHeader reads the media type and pixel size from the start of r, as
// imgfmt.ReadHeader does (no cap: it decodes no pixel). The type is "" when
// r is none of the accepted types, the size 0 when its header does not read.
func SniffHeader(r io.Reader) (Header, error) {
	h, err := imgfmt.ReadHeader(io.LimitReader(r, headerLimit))
	if err != nil && h.Format == "" && !errors.Is(err, imgfmt.ErrNotImage) {
		return Header{}, err // the first bytes could not be read
	}
	return Header{MediaType: h.Format, Width: h.Width, Height: h.Height}, nil
}

func (s *Store) sniffFile(path string) (Header, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	return SniffHeader(f)
}

// openNoFollow opens a regular file for reading, refusing a symbolic link at
// the last path element (the store's own folders are checked by Scan).
func openNoFollow(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, &fs.PathError{Op: "open", Path: path, Err: errors.New("is a symbolic link; lashview does not follow links")}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: errors.New("is not a regular file")}
	}
	return f, nil
}

// readNoFollow reads a whole regular file of at most limit bytes.
func readNoFollow(path string, limit int64) ([]byte, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readUpTo(f, limit, ErrSidecarTooLarge)
}

// readUpTo reads r to its end, or returns tooLarge when it holds more than
// limit bytes.
func readUpTo(r io.Reader, limit int64, tooLarge error) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge
	}
	return data, nil
}

// Meta reads and decodes the id's sidecar with lash's error semantics.
func (s *Store) Meta(id ID) (Sidecar, error) {
	path := s.layout.Sidecar(id)
	data, err := readNoFollow(path, MaxSidecarSize)
	return decodeMeta(id, path, data, cause(err))
}

// decodeMeta decodes a sidecar as read (data, or the read's err) with
// lash's error semantics: MissingMeta without one, MetadataDecode when it
// cannot be read as one, Io for any other failure. where names it.
func decodeMeta(id ID, where string, data []byte, err error) (Sidecar, error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Sidecar{}, &Error{Kind: ErrMissingMeta, ID: id, Path: where}
	case errors.Is(err, ErrSidecarTooLarge):
		return Sidecar{}, &Error{Kind: ErrMetadataDecode, ID: id, Path: where, Err: err}
	case err != nil:
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: where, Err: err}
	}
	m, err := DecodeSidecar(data)
	if err != nil {
		return Sidecar{}, &Error{Kind: ErrMetadataDecode, ID: id, Path: where, Err: err}
	}
	return m, nil
}

// Open streams an attachment's bytes with its metadata, failing as lash's
// get does: NotFound, MissingMeta, MetadataDecode or Io. The caller closes
// the reader.
func (s *Store) Open(id ID) (io.ReadCloser, Sidecar, error) {
	path := s.layout.Blob(id)
	f, err := openNoFollow(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Sidecar{}, &Error{Kind: ErrNotFound, ID: id, Path: path}
		}
		return nil, Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: path, Err: cause(err)}
	}
	m, err := s.Meta(id)
	if errors.Is(err, ErrMissingMeta) && s.Sidecarless() == GenBlobOnly {
		m, err = describe(f, id)
	}
	if err != nil {
		f.Close()
		return nil, Sidecar{}, err
	}
	return f, m, nil
}

// describe is what a blob-only blob's bytes say of it, in the shape of a
// sidecar with no label (the media type is empty when it is not an image).
// It leaves f at its start.
func describe(f *os.File, id ID) (Sidecar, error) {
	fi, err := f.Stat()
	if err == nil {
		var h Header
		if h, err = SniffHeader(f); err == nil {
			_, err = f.Seek(0, io.SeekStart)
			m := headerSidecar(id, fi.Size(), h)
			if err == nil {
				return m, nil
			}
		}
	}
	return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: f.Name(), Err: cause(err)}
}

// OpenBlob streams an attachment's bytes without needing its sidecar (for
// thumbnails, verify and repairs). A missing blob is NotFound.
func (s *Store) OpenBlob(id ID) (*os.File, error) {
	path := s.layout.Blob(id)
	f, err := openNoFollow(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Kind: ErrNotFound, ID: id, Path: path}
		}
		return nil, &Error{Kind: ErrIo, ID: id, Path: path, Err: cause(err)}
	}
	return f, nil
}

// Get reads an attachment whole, as lash's get does. Prefer Open for large
// attachments.
func (s *Store) Get(id ID) ([]byte, Sidecar, error) {
	r, m, err := s.Open(id)
	if err != nil {
		return nil, m, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, m, &Error{Kind: ErrIo, ID: id, Path: s.layout.Blob(id), Err: cause(err)}
	}
	return data, m, nil
}

// HashFile returns the id the bytes of a regular file hash to.
func HashFile(path string) (ID, int64, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, fmt.Errorf("read %s: %w", path, cause(err))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return IDOf(sum), n, nil
}
