package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// PutOptions say what metadata a put records besides what the bytes tell.
type PutOptions struct {
	// Label is recorded as given; nil records none.
	Label *string
	// MediaType, when set, must agree with the type sniffed from the bytes.
	MediaType MediaType
	// Width and Height are recorded as given. When nil they are read from the
	// image header, unless ExactSize is set, which records exactly these
	// (nil: absent), as lash does when its caller gives no size.
	Width, Height *uint32
	ExactSize     bool
}

// ErrNotImage is returned (wrapped) when bytes to put are not an accepted type.
var ErrNotImage = errors.New("not an image lash accepts")

// tempSeq makes temp names unique within the process; the pid makes them
// unique between processes, O_EXCL covers pid reuse.
var tempSeq atomic.Uint64

// createTemp makes a new temp file in dir whose name both lash and lashview
// see as a temp: it contains ".staging." and ends in ".tmp".
func createTemp(dir, base string) (*os.File, error) {
	for i := 0; ; i++ {
		name := filepath.Join(dir, base+".staging."+strconv.Itoa(os.Getpid())+"."+strconv.FormatUint(tempSeq.Add(1), 10)+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
		if err == nil || !errors.Is(err, fs.ErrExist) || i > 100 {
			return f, err
		}
	}
}

// syncDir makes a rename or create in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		// EINVAL: the filesystem cannot sync folders (some FUSE mounts);
		// the rename is as durable there as it can be made.
		return err
	}
	return nil
}

// mkdirSynced creates dir (and parents) and syncs each new folder's parent,
// so a crash never loses a folder a renamed file lives in.
func mkdirSynced(dir string) error {
	fi, err := os.Lstat(dir)
	if err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: dir, Err: errors.New("a file that is not a folder stands in the way")}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirSynced(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// Put stores the bytes of r as an attachment, crash-atomically and
// streaming: the bytes are hashed while they are copied into a temp file in
// sha256/, which is synced and renamed into its prefix folder; then the
// sidecar is written the same way. It returns the AttachmentRef lash would.
// An existing healthy blob is kept; an empty, non-regular or corrupt one is
// replaced. Cancelling ctx stops the copy and leaves no temp behind.
func (s *Store) Put(ctx context.Context, r io.Reader, opt PutOptions) (Sidecar, error) {
	dir := s.layout.Dir()
	if err := mkdirSynced(dir); err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, Path: dir, Err: cause(err)}
	}
	tmp, err := createTemp(dir, "put")
	if err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, Path: dir, Err: cause(err)}
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	id, n, err := copyHashing(ctx, tmp, r)
	if err != nil {
		return Sidecar{}, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, Path: tmpName, Err: cause(err)}
	}
	h, err := SniffHeader(tmp)
	if err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, Path: tmpName, Err: cause(err)}
	}
	blobOnly := s.Writes() == GenBlobOnly
	meta, err := putMeta(id, n, h, opt, blobOnly)
	if err != nil {
		return Sidecar{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, Path: tmpName, Err: cause(err)}
	}
	if err := tmp.Close(); err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, Path: tmpName, Err: cause(err)}
	}
	pdir := s.layout.PrefixDir(id)
	if err := mkdirSynced(pdir); err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: pdir, Err: cause(err)}
	}
	final := s.layout.Blob(id)
	if s.healthyBlob(final, id, n) {
		os.Remove(tmpName)
		if err := s.touch(id); err != nil {
			renamed = true
			return Sidecar{}, err
		}
	} else if err := os.Rename(tmpName, final); err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: final, Err: renameCause(err)}
	}
	renamed = true
	s.noteContents(false, true)
	if blobOnly {
		if err := syncDir(pdir); err != nil {
			return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: pdir, Err: cause(err)}
		}
		return meta, nil
	}
	if err := s.writeSidecar(id, meta); err != nil {
		return Sidecar{}, err
	}
	return meta, nil
}

// putMeta is the metadata a put of n bytes with the given id and header
// records (lash's rules, whatever holds the store): a store of the sidecar
// generation takes only what its sidecar can name, a blob-only store any
// bytes and no label; opt's media type must agree with the bytes.
func putMeta(id ID, n int64, h Header, opt PutOptions, blobOnly bool) (Sidecar, error) {
	// A blob-only store takes any bytes (lash alpha.111 stores any file); a
	// sidecar store only what its sidecar can name.
	if h.MediaType == "" && !blobOnly {
		return Sidecar{}, fmt.Errorf("%w: the bytes are not %s", ErrNotImage, AcceptedTypes)
	}
	if opt.MediaType != "" && opt.MediaType != h.MediaType {
		return Sidecar{}, fmt.Errorf("%w: the bytes are %s, not %s", ErrNotImage, h.MediaType, opt.MediaType)
	}
	meta := Sidecar{ID: string(id), MediaType: h.MediaType, ByteLen: uint64(n), Width: opt.Width, Height: opt.Height, Label: opt.Label}
	if blobOnly {
		// Nowhere to keep a label: lash keeps them in its sessions.
		meta.Label = nil
	}
	if !opt.ExactSize {
		if meta.Width == nil && h.Width > 0 {
			w := uint32(h.Width)
			meta.Width = &w
		}
		if meta.Height == nil && h.Height > 0 {
			v := uint32(h.Height)
			meta.Height = &v
		}
	}
	return meta, nil
}

// touch refreshes the modification time of the id's blob, as newer lash
// does on a put of bytes it already holds: a collector that listed the
// store before the put then sees a fresh blob and spares it.
func (s *Store) touch(id ID) error {
	now := time.Now()
	if err := os.Chtimes(s.layout.Blob(id), now, now); err != nil {
		return &Error{Kind: ErrIo, ID: id, Path: s.layout.Blob(id), Err: cause(err)}
	}
	return nil
}

// healthyBlob reports whether the blob at path is a non-empty regular file
// of n bytes that hashes to id: one that a put need not rewrite.
func (s *Store) healthyBlob(path string, id ID, n int64) bool {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != n || (n == 0 && id != emptyID) {
		return false
	}
	got, _, err := HashFile(path)
	return err == nil && got == id
}

// emptyID is the id of zero bytes.
var emptyID = IDOf(sha256.Sum256(nil))

func renameCause(err error) error {
	c := cause(err)
	if errors.Is(c, syscall.EISDIR) || errors.Is(c, syscall.ENOTEMPTY) || errors.Is(c, syscall.EEXIST) {
		return errors.New("a folder stands where the file belongs (lashview doctor can move it aside)")
	}
	return c
}

// writeSidecar writes meta as the id's sidecar, crash-atomically, byte for
// byte as lash alpha.43 does.
func (s *Store) writeSidecar(id ID, meta Sidecar) error {
	final := s.layout.Sidecar(id)
	if err := writeAtomic(final, meta.Encode()); err != nil {
		return err
	}
	s.noteContents(true, false)
	return nil
}

// writeAtomic writes data to a unique temp beside path, syncs, renames it
// over path and syncs the folder.
func writeAtomic(path string, data []byte) error {
	return WriteFile(path, bytes.NewReader(data))
}

// copyChunk is the unit of the put pipeline.
const copyChunk = 1 << 20

// copyHashing copies r into f while hashing, with the hash and the write of
// one chunk running at the same time as the read of the next: SHA-256 and
// the disk each get a core, and memory stays at a few chunks whatever the
// size.
func copyHashing(ctx context.Context, f *os.File, r io.Reader) (ID, int64, error) {
	const nbuf = 4
	var bufs [nbuf][]byte
	free := make(chan int, nbuf)
	for i := range bufs {
		bufs[i] = make([]byte, copyChunk)
		free <- i
	}
	type job struct{ i, n int }
	var refs [nbuf]atomic.Int32
	release := func(i int) {
		if refs[i].Add(-1) == 0 {
			free <- i
		}
	}
	hashCh, writeCh := make(chan job, nbuf), make(chan job, nbuf)
	var h hash.Hash = sha256.New()
	var werr error
	var failed atomic.Bool
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for j := range hashCh {
			h.Write(bufs[j.i][:j.n])
			release(j.i)
		}
	}()
	go func() {
		defer wg.Done()
		for j := range writeCh {
			if werr == nil {
				if _, err := f.Write(bufs[j.i][:j.n]); err != nil {
					werr = err
					failed.Store(true)
				}
			}
			release(j.i)
		}
	}()
	var total int64
	var rerr error
	for !failed.Load() {
		if err := ctx.Err(); err != nil {
			rerr = err
			break
		}
		i := <-free
		n, err := io.ReadFull(r, bufs[i])
		if n > 0 {
			total += int64(n)
			refs[i].Store(2)
			hashCh <- job{i, n}
			writeCh <- job{i, n}
		} else {
			free <- i
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	close(hashCh)
	close(writeCh)
	wg.Wait()
	if rerr == nil {
		rerr = ctx.Err()
	}
	if werr != nil {
		return "", total, &Error{Kind: ErrIo, Path: f.Name(), Err: cause(werr)}
	}
	if rerr != nil {
		if errors.Is(rerr, context.Canceled) || errors.Is(rerr, context.DeadlineExceeded) {
			return "", total, rerr
		}
		return "", total, fmt.Errorf("read the bytes to put: %w", rerr)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return IDOf(sum), total, nil
}

// SetLabel rewrites the id's sidecar with a new label, crash-atomically and
// byte-identical to what lash writes for a put of the same bytes with that
// label. A blob without a readable sidecar gets one from its bytes, except
// a blob-only one: that fails with ErrBlobOnlyLabel and changes nothing.
func (s *Store) SetLabel(id ID, label string) (Sidecar, error) {
	blob := s.layout.Blob(id)
	fi, err := os.Lstat(blob)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Sidecar{}, &Error{Kind: ErrNotFound, ID: id, Path: blob}
		}
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: blob, Err: cause(err)}
	}
	if !fi.Mode().IsRegular() {
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: blob, Err: errors.New("is not a regular file")}
	}
	meta, err := s.Meta(id)
	if errors.Is(err, ErrMissingMeta) && s.Sidecarless() == GenBlobOnly {
		return Sidecar{}, fmt.Errorf("cannot label %s: %w", id.Short(), ErrBlobOnlyLabel)
	}
	if err != nil || meta.ID != string(id) || meta.ByteLen != uint64(fi.Size()) {
		if errors.Is(err, ErrIo) {
			return Sidecar{}, err
		}
		meta, err = s.MetaFromBlob(id)
		if err != nil {
			return Sidecar{}, err
		}
	}
	meta.Label = &label
	if err := s.writeSidecar(id, meta); err != nil {
		return Sidecar{}, err
	}
	return meta, nil
}

// MetaFromBlob builds the sidecar lash would write for the blob's bytes with
// no label: sniffed media type, width and height from the header. It hashes
// the blob first: bytes that do not hash to their name cannot be described.
func (s *Store) MetaFromBlob(id ID) (Sidecar, error) {
	path := s.layout.Blob(id)
	got, n, err := HashFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Sidecar{}, &Error{Kind: ErrNotFound, ID: id, Path: path}
		}
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: path, Err: cause(err)}
	}
	if got != id {
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: path, Err: ErrCorrupt}
	}
	h, err := s.sniffFile(path)
	if err != nil {
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: path, Err: cause(err)}
	}
	return metaFromHeader(id, n, h, path)
}

// metaFromHeader is the sidecar lash writes, with no label, for n bytes
// hashing to id whose header is h; bytes of no type lash accepts
// (ErrNotImage) have none. where names the blob in the error.
func metaFromHeader(id ID, n int64, h Header, where string) (Sidecar, error) {
	if h.MediaType == "" {
		return Sidecar{}, &Error{Kind: ErrIo, ID: id, Path: where, Err: fmt.Errorf("%w: the bytes are not %s", ErrNotImage, AcceptedTypes)}
	}
	return headerSidecar(id, n, h), nil
}

// headerSidecar is the sidecar, with no label, of n bytes hashing to id
// whose header is h.
func headerSidecar(id ID, n int64, h Header) Sidecar {
	m := Sidecar{ID: string(id), MediaType: h.MediaType, ByteLen: uint64(n)}
	if h.Width > 0 && h.Height > 0 {
		w, hh := uint32(h.Width), uint32(h.Height)
		m.Width, m.Height = &w, &hh
	}
	return m
}

// ErrCorrupt: a blob's bytes do not hash to its name.
var ErrCorrupt = errors.New("the bytes do not hash to the file's name (corrupt)")
