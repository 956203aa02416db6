package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"lashview/internal/imgfmt"
)

// Generation is the store format an attachment was written in (see the
// format doc's "Store generations"). It is judged per attachment: a store
// that an older lash started and a newer one kept writing into holds both.
type Generation string

// The generations lashview reads and writes. The per-session tree of two
// unreleased lash commits is not one: no released lash reads it, so Scan
// reports it as a finding (FindingSessionTree).
const (
	// GenSidecar is lash alpha.43–86: a blob and its <id>.json sidecar.
	GenSidecar Generation = "sidecar"
	// GenBlobOnly is lash alpha.87 and later: the blob alone; labels and
	// media types live in lash's session databases.
	GenBlobOnly Generation = "blob-only"
)

// Reference is the string a lash of this generation records in its
// sessions for the attachment: sha256:<id> up to alpha.86,
// lash-attachment://sha256/<id> from alpha.87.
func (g Generation) Reference(id ID) string {
	if g == GenBlobOnly {
		return "lash-attachment://sha256/" + string(id)
	}
	return id.Ref()
}

// Options are what Open needs besides the folder.
type Options struct {
	// NewerLash says that lash's session databases beside the store include
	// one of a schema only lash alpha.87 or later writes (user_version 10
	// and up): newer lash writes here, so a blob without a sidecar is
	// blob-only. The caller reads the databases (package sessions); the
	// store reads none.
	NewerLash bool
}

// ErrBlobOnlyLabel refuses a label that would need a sidecar in a store
// that newer lash writes: lash lists a sidecar there as a blob nobody
// references and deletes it.
var ErrBlobOnlyLabel = errors.New("this attachment was stored by lash alpha.87 or later, which keeps labels in its session databases, not in the store; a sidecar written here would be deleted by lash as an unreferenced blob, so lashview does not write one")

// BlobOnlyPutNote tells a person who puts into a blob-only store what newer
// lash does with what they put (the command line prints it, the window's
// import summary shows it).
const BlobOnlyPutNote = "This store is written by lash alpha.87 or later, which keeps no labels in the store and deletes blobs that no session references once its grace period (one hour) has passed: what was put here may be deleted by lash unless a session uses it."

// CanLabel says whether lashview can record a label for the attachment:
// not for a blob-only one (ErrBlobOnlyLabel), whose labels live in lash's
// sessions.
func (a *Attachment) CanLabel() error {
	if a.Generation == GenBlobOnly && !a.HasSidecar {
		return ErrBlobOnlyLabel
	}
	return nil
}

// Open returns the store at root after checking that root is a folder (a
// store that does not exist is an error: use New for a store a put will
// create), and judges which generation writes into it from the store
// itself and opt.Sessions.
func Open(root string, opt Options) (*Store, error) {
	s := NewWith(root, opt)
	if err := s.checkRoot(); err != nil {
		return nil, err
	}
	s.contents()
	return s, nil
}

// NewWith returns the store at root, which need not exist yet (a put makes
// it), judged with opt as Open judges it. It does no I/O.
func NewWith(root string, opt Options) *Store {
	s := New(root)
	s.newerLash = opt.NewerLash
	return s
}

// storeContents is what a look at a store's prefix folders found: whether
// it holds any sidecar, and any blob.
type storeContents struct {
	once                sync.Once
	mu                  sync.Mutex
	hasSidecar, hasBlob bool
}

// contents looks once (stopping at the first sidecar) at whether the store
// holds sidecars and blobs. Lashview's own writes keep it up to date, and a
// whole Scan corrects it.
func (s *Store) contents() (hasSidecar, hasBlob bool) {
	s.seen.once.Do(func() {
		side, blob := lookForSidecar(s.layout.Dir())
		s.seen.mu.Lock()
		s.seen.hasSidecar, s.seen.hasBlob = side, blob
		s.seen.mu.Unlock()
	})
	s.seen.mu.Lock()
	defer s.seen.mu.Unlock()
	return s.seen.hasSidecar, s.seen.hasBlob
}

// noteContents records what a write or a whole listing saw.
func (s *Store) noteContents(sidecar, blob bool) {
	s.contents()
	s.seen.mu.Lock()
	s.seen.hasSidecar = s.seen.hasSidecar || sidecar
	s.seen.hasBlob = s.seen.hasBlob || blob
	s.seen.mu.Unlock()
}

// setContents replaces what is known with what a whole listing saw.
func (s *Store) setContents(sidecar, blob bool) {
	s.contents()
	s.seen.mu.Lock()
	s.seen.hasSidecar, s.seen.hasBlob = sidecar, blob
	s.seen.mu.Unlock()
}

// lookForSidecar reads the names in the prefix folders of dir until it
// meets a sidecar name. It reads no file.
func lookForSidecar(dir string) (hasSidecar, hasBlob bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, false
	}
	for _, e := range entries {
		if !e.IsDir() || !IsPrefix(e.Name()) {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for {
			names, err := f.Readdirnames(512)
			for _, n := range names {
				switch ParseName(n, e.Name()).Kind {
				case NameSidecar:
					f.Close()
					return true, hasBlob
				case NameBlob:
					hasBlob = true
				}
			}
			if err != nil {
				break
			}
		}
		f.Close()
	}
	return false, hasBlob
}

// Sidecarless is the generation of a blob that has no sidecar: blob-only
// when the store holds no sidecar at all or newer lash writes beside it,
// else a sidecar-era blob whose sidecar is missing. A watcher that sees it
// change (the first sidecar of a store appeared) lists the store again.
func (s *Store) Sidecarless() Generation {
	side, _ := s.contents()
	return SidecarlessGeneration(s.newerLash, side)
}

// SidecarlessGeneration is the one rule for the generation of a blob
// without a sidecar, whatever holds the store: blob-only when newer lash
// writes beside the store (Options.NewerLash) or the store holds no
// sidecar at all, else the sidecar generation (its sidecar is missing).
func SidecarlessGeneration(newerLash, storeHasSidecar bool) Generation {
	if newerLash || !storeHasSidecar {
		return GenBlobOnly
	}
	return GenSidecar
}

// Writes is the generation lashview writes new attachments in: blob-only
// when newer lash writes beside the store (its session databases say so) or
// the store holds blobs and no sidecar; else the sidecar generation (also
// for an empty store nobody has written to yet, as lash alpha.43–86 expect).
func (s *Store) Writes() Generation {
	if s.newerLash {
		return GenBlobOnly
	}
	if side, blob := s.contents(); blob && !side {
		return GenBlobOnly
	}
	return GenSidecar
}

// lashDeletes reports whether a file at path (absolute) would be taken by
// the newer lash that writes this store for a blob nobody references, and
// deleted: any name under sha256/ that is not a blob's own, while the store
// is written blob-only. Lashview never puts such a name there.
func (s *Store) lashDeletes(path string) bool {
	if s.Writes() != GenBlobOnly {
		return false
	}
	rel, err := filepath.Rel(s.absRoot(), path)
	if err != nil {
		return false
	}
	rel = filepath.ToSlash(rel)
	rest, ok := strings.CutPrefix(rel, "sha256/")
	if !ok {
		return false
	}
	prefix, name, _ := strings.Cut(rest, "/")
	return ParseName(name, prefix).Kind != NameBlob
}

// sniffAny reads what a blob's first bytes say: its MIME name whatever it
// is (lash alpha.111 stores any file) and, for one of lash's image types,
// the header's type and pixel size. It never follows a symbolic link.
func sniffAny(path string) (Header, string, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return Header{}, "", err
	}
	defer f.Close()
	return SniffAny(f)
}

// SniffAny reads what a blob's first bytes say, from r: its MIME name
// whatever it is and, for one of lash's image types, the header's type and
// pixel size. It reads at most the image header's limit (4 MiB).
func SniffAny(r io.Reader) (Header, string, error) {
	br := bufio.NewReaderSize(r, imgfmt.SniffLen)
	head, err := br.Peek(imgfmt.SniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return Header{}, "", err
	}
	mime := imgfmt.SniffMIME(head)
	if !imgfmt.IsImageMIME(mime) {
		return Header{}, mime, nil
	}
	h, err := SniffHeader(br)
	return h, mime, err
}

// FindingSessionTree is a per-session tree (sessions/<64 hex>/sha256/…)
// written by two unreleased lash commits between alpha.86 and alpha.87: no
// released lash reads it, so it is data the user may trash.
const FindingSessionTree FindingKind = "session_tree"

// sessionTrees reports the per-session trees under ROOT/sessions, each
// with the bytes it holds. Nothing else there is lash's, and it is left out.
func (s *Store) sessionTrees() []Finding {
	dir := filepath.Join(s.root, "sessions")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var finds []Finding
	for _, e := range entries {
		if !e.IsDir() || !isHexID(e.Name()) {
			continue
		}
		tree := filepath.Join(dir, e.Name())
		if fi, err := os.Lstat(filepath.Join(tree, "sha256")); err != nil || !fi.IsDir() {
			continue
		}
		var size, files int64
		filepath.WalkDir(tree, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if fi, err := d.Info(); err == nil {
					size += fi.Size()
					files++
				}
			}
			return nil
		})
		f := s.finding("sessions/"+e.Name(), FindingSessionTree,
			fmt.Sprintf("a per-session tree (%d files, %d bytes) written by an unreleased lash between alpha.86 and alpha.87; no released lash reads it", files, size), true)
		f.Size = size
		finds = append(finds, f)
	}
	return finds
}
