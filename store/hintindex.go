package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// HintIndex is what a complete listing of a store found, kept outside the
// store (in the user's cache folder) so that the next start can order and
// show the store's first screen without a disk read per blob: after a
// reboot the page cache is empty, and stat'ing 100,000 blobs takes seconds.
//
// It is trusted only as far as the store's folders prove it: a prefix
// folder's stamp (its mtime and ctime, which change whenever a name is
// added to it or removed from it) must equal the one recorded, or the
// folder is listed again. What a blob's bytes or a sidecar's contents say
// can still change without a new name (a hand edit in place); that is why
// a listing that starts from the index reads the whole store again after
// its first screen and merges what differs.
type HintIndex struct {
	// Root is the store folder the index describes.
	Root string
	// Folders are the prefix folders that were listed completely, by name.
	Folders map[string]IndexedFolder
	// Head are the attachments that sorted first when the index was
	// written, as Scan judged them then: enough for a first screen.
	Head []Attachment
}

// IndexedFolder is one prefix folder of a HintIndex: its stamp when it was
// listed (taken before the listing, so a change during it shows) and the
// hints of its ids.
type IndexedFolder struct {
	Stamp FolderStamp
	Hints []Hint
}

// FolderStamp is what tells whether a folder's names changed: its mtime
// and ctime in nanoseconds. The ctime cannot be set by hand, so a folder
// whose mtime was set back still shows it changed.
type FolderStamp struct {
	Mtime, Ctime int64
}

// PrefixStamp returns the stamp of a prefix folder.
func (s *Store) PrefixStamp(prefix string) (FolderStamp, error) {
	dirPath := filepath.Join(s.layout.Dir(), prefix)
	if !IsPrefix(prefix) {
		return FolderStamp{}, &Error{Kind: ErrIo, Path: dirPath, Err: errors.New("not a prefix folder name")}
	}
	var st unix.Stat_t
	var err error
	for {
		err = unix.Lstat(dirPath, &st)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return FolderStamp{}, &Error{Kind: ErrIo, Path: dirPath, Err: err}
	}
	return FolderStamp{Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}, nil
}

// HintIndexPath is where the index of the store at root lives in dir: a
// file named by a hash of the root's absolute path, so each store has its
// own and none is ever written inside a store (lash would delete it as
// garbage).
func HintIndexPath(dir, root string) string {
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = filepath.Clean(root)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, hex.EncodeToString(sum[:16])+".listing")
}

// hintIndexMagic starts every index file; the number is the format's
// version: a file of another version is ignored and written anew.
const hintIndexMagic = "lashview-listing-index 1\n"

// hintLen is one hint on disk: the id's 32 bytes, size, mtime.
const hintLen = 32 + 8 + 8

// ErrBadHintIndex says an index file is not one this lashview wrote for
// the store asked about: corrupt, truncated, of another version or of
// another store. The listing then proceeds without it.
var ErrBadHintIndex = errors.New("not a usable listing index")

// WriteHintIndex writes ix to path (crash-atomically: a temp file renamed
// into place, so a reader sees the old index or the new one whole).
func WriteHintIndex(path string, ix *HintIndex) (err error) {
	var b bytes.Buffer
	b.WriteString(hintIndexMagic)
	abs, aerr := filepath.Abs(ix.Root)
	if aerr != nil {
		abs = filepath.Clean(ix.Root)
	}
	u32 := func(v int) { b.Write(binary.LittleEndian.AppendUint32(nil, uint32(v))) }
	i64 := func(v int64) { b.Write(binary.LittleEndian.AppendUint64(nil, uint64(v))) }
	u32(len(abs))
	b.WriteString(abs)
	u32(len(ix.Folders))
	for name, f := range ix.Folders {
		if !IsPrefix(name) {
			return fmt.Errorf("write listing index %s: %q is not a prefix folder", path, name)
		}
		b.WriteString(name)
		i64(f.Stamp.Mtime)
		i64(f.Stamp.Ctime)
		u32(len(f.Hints))
		for _, h := range f.Hints {
			raw, herr := hex.DecodeString(string(h.ID))
			if herr != nil || len(raw) != 32 || h.ID.Prefix() != name {
				return fmt.Errorf("write listing index %s: %q is not an id of folder %s", path, h.ID, name)
			}
			b.Write(raw)
			i64(h.Size)
			i64(h.Modified.UnixNano())
		}
	}
	var head bytes.Buffer
	if err := gob.NewEncoder(&head).Encode(ix.Head); err != nil {
		return fmt.Errorf("write listing index %s: %w", path, err)
	}
	u32(head.Len())
	b.Write(head.Bytes())
	b.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(b.Bytes(), crc32.MakeTable(crc32.Castagnoli))))

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write listing index: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".listing-*.tmp")
	if err != nil {
		return fmt.Errorf("write listing index: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write listing index %s: %w", tmp.Name(), err)
	}
	// Not synced: an index lost or torn by a crash fails its checksum and
	// the listing simply reads the store.
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write listing index %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write listing index: %w", err)
	}
	return nil
}

// ReadHintIndex reads the index at path and checks it describes the store
// at root. An index that is corrupt, truncated, of another version or of
// another store is ErrBadHintIndex; one that does not exist is
// fs.ErrNotExist.
func ReadHintIndex(path, root string) (*HintIndex, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	bad := func(why string) (*HintIndex, error) {
		return nil, fmt.Errorf("%s: %w: %s", path, ErrBadHintIndex, why)
	}
	if len(data) < len(hintIndexMagic)+4 || string(data[:len(hintIndexMagic)]) != hintIndexMagic {
		return bad("no index of this version")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)) != sum {
		return bad("its checksum does not match (torn or edited)")
	}
	r := body[len(hintIndexMagic):]
	short := false
	take := func(n int) []byte {
		if n < 0 || len(r) < n {
			short = true
			r = nil
			return make([]byte, max(n, 0))
		}
		p := r[:n]
		r = r[n:]
		return p
	}
	u32 := func() int { return int(binary.LittleEndian.Uint32(take(4))) }
	i64 := func() int64 { return int64(binary.LittleEndian.Uint64(take(8))) }
	abs, aerr := filepath.Abs(root)
	if aerr != nil {
		abs = filepath.Clean(root)
	}
	if got := string(take(u32())); short || got != abs {
		return bad("it describes another store")
	}
	ix := &HintIndex{Root: root}
	nf := u32()
	if short || nf > 256 {
		return bad("too many folders")
	}
	ix.Folders = make(map[string]IndexedFolder, nf)
	for i := 0; i < nf && !short; i++ {
		name := string(take(2))
		var f IndexedFolder
		f.Stamp.Mtime, f.Stamp.Ctime = i64(), i64()
		n := u32()
		if short || !IsPrefix(name) || n > len(r)/hintLen {
			return bad("a folder's entry is damaged")
		}
		f.Hints = make([]Hint, n)
		for j := range f.Hints {
			h := &f.Hints[j]
			h.ID = ID(hex.EncodeToString(take(32)))
			h.Size, h.Modified = i64(), time.Unix(0, i64())
			if h.ID.Prefix() != name {
				return bad("an id is in the wrong folder")
			}
		}
		ix.Folders[name] = f
	}
	head := take(u32())
	if short || len(r) != 0 {
		return bad("truncated or with bytes after its end")
	}
	if err := gob.NewDecoder(bytes.NewReader(head)).Decode(&ix.Head); err != nil {
		return bad("its first attachments cannot be decoded")
	}
	for _, a := range ix.Head {
		if _, err := ParseID(string(a.ID)); err != nil {
			return bad("a first attachment has no valid id")
		}
	}
	return ix, nil
}
