package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/adrg/xdg"
)

// TrashCan is the freedesktop.org Trash (Trash specification 1.0) as
// lashview uses it, and the journal of what lashview put there. Nothing is
// ever deleted: a file goes to the Trash of its own mount, where a file
// manager shows it and can put it back, and lashview can undo a whole batch.
type TrashCan struct {
	// Home is the home trash, $XDG_DATA_HOME/Trash.
	Home string
	// Journal is the file recording lashview's batches, one JSON object a
	// line: $XDG_STATE_HOME/lashview/trash.jsonl.
	Journal string
	// UID names the per-user trash folders on other mounts (.Trash/$uid,
	// .Trash-$uid).
	UID int

	// device and mountTop are the filesystem look-ups; tests replace them
	// to put a store on "another mount" without mounting one.
	device   func(path string) (uint64, error)
	mountTop func(path string) (string, error)
}

// NewTrashCan returns the Trash for the given XDG data and state homes.
func NewTrashCan(dataHome, stateHome string) *TrashCan {
	return &TrashCan{
		Home:     filepath.Join(dataHome, "Trash"),
		Journal:  filepath.Join(stateHome, "lashview", "trash.jsonl"),
		UID:      os.Getuid(),
		device:   deviceOf,
		mountTop: mountTopOf,
	}
}

// xdgMu serialises xdg.Reload, which rewrites the package's globals.
var xdgMu sync.Mutex

// DefaultTrashCan returns the user's Trash from the XDG environment as it
// is now (the xdg package reads it once at start; it is reloaded here so a
// changed XDG_DATA_HOME or XDG_STATE_HOME is honoured).
func DefaultTrashCan() *TrashCan {
	xdgMu.Lock()
	defer xdgMu.Unlock()
	xdg.Reload()
	return NewTrashCan(xdg.DataHome, xdg.StateHome)
}

func deviceOf(path string) (uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("stat %s: no device number on this system", path)
	}
	return uint64(st.Dev), nil
}

// mountTopOf finds the top folder of the mount that holds path: the last
// ancestor on the same device.
func mountTopOf(path string) (string, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	dev, err := deviceOf(path)
	if err != nil {
		return "", err
	}
	for {
		parent := filepath.Dir(path)
		if parent == path {
			return path, nil
		}
		pdev, err := deviceOf(parent)
		if err != nil || pdev != dev {
			return path, nil
		}
		path = parent
	}
}

// existingAncestor is path or its nearest ancestor that exists, so the home
// trash's device is known before the Trash folder is made.
func existingAncestor(path string) string {
	for {
		if _, err := os.Stat(path); err == nil {
			return path
		}
		parent := filepath.Dir(path)
		if parent == path {
			return path
		}
		path = parent
	}
}

// ErrNoTrash is returned (wrapped) when a file lies on a mount that has no
// Trash lashview may use: it is then left where it is.
var ErrNoTrash = errors.New("no usable Trash")

// trashDirFor returns the trash folder (holding files/ and info/) that a
// file at path goes to: the home trash when it is on the same mount,
// else the mount's .Trash/$uid or .Trash-$uid (spec 1.0, "Trash
// directories"). A rename never crosses a mount, so nothing is copied.
func (c *TrashCan) trashDirFor(path string) (string, error) {
	if c.device == nil || c.mountTop == nil {
		// A TrashCan made as a literal rather than by NewTrashCan.
		c.device, c.mountTop = deviceOf, mountTopOf
	}
	dir := filepath.Dir(path)
	dev, err := c.device(dir)
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", dir, cause(err))
	}
	homeDev, err := c.device(existingAncestor(c.Home))
	if err == nil && homeDev == dev {
		if err := ensureTrashDir(c.Home, -1, true); err != nil {
			return "", err
		}
		return c.Home, nil
	}
	top, err := c.mountTop(dir)
	if err != nil {
		return "", fmt.Errorf("find the mount of %s: %w", dir, cause(err))
	}
	uid := strconv.Itoa(c.UID)
	admin := filepath.Join(top, ".Trash")
	// The shared .Trash counts only as a real sticky folder: a link or a
	// folder anyone may rename in could hand our files to another user.
	if fi, err := os.Lstat(admin); err == nil && fi.IsDir() && fi.Mode()&fs.ModeSticky != 0 {
		if d := filepath.Join(admin, uid); ensureTrashDir(d, c.UID, false) == nil {
			return d, nil
		}
	}
	own := filepath.Join(top, ".Trash-"+uid)
	if err := ensureTrashDir(own, c.UID, false); err == nil {
		return own, nil
	}
	return "", fmt.Errorf("%w for %s: it is on another mount (%s) than the home Trash %s, and neither %s nor %s can be used there",
		ErrNoTrash, path, top, c.Home, filepath.Join(admin, uid), own)
}

// ensureTrashDir makes a trash folder with its files/ and info/ (mode 0700)
// and checks that none of them is a link or a file. uid >= 0 also requires
// the folder to belong to that user (a per-user trash on a shared mount).
func ensureTrashDir(dir string, uid int, parents bool) error {
	if parents {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return err
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "files"), filepath.Join(dir, "info")} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		fi, err := os.Lstat(d)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return &fs.PathError{Op: "use trash folder", Path: d, Err: errors.New("is not a folder")}
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && uid >= 0 && int(st.Uid) != uid {
			return &fs.PathError{Op: "use trash folder", Path: d, Err: errors.New("belongs to another user")}
		}
	}
	return nil
}

// trashedFile is where one file went.
type trashedFile struct {
	Trashed string // the file's path inside files/
	Info    string // its .trashinfo
}

// maxTrashName bounds a trashed file's name: NAME_MAX is 255 bytes, and the
// info file adds ".trashinfo" and a collision counter " (99999)".
const maxTrashName = 230

// put moves the file (or folder) at path into its Trash under a name like
// name (stem+ext), writing the .trashinfo first with O_EXCL as the spec
// asks, so two trashers never claim the same name.
func (c *TrashCan) put(path, stem, ext string) (trashedFile, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return trashedFile{}, err
	}
	dir, err := c.trashDirFor(path)
	if err != nil {
		return trashedFile{}, err
	}
	files, info := filepath.Join(dir, "files"), filepath.Join(dir, "info")
	body := trashInfo(path, time.Now())
	for n := 1; n < 100000; n++ {
		name := fitName(stem, ext, n)
		target := filepath.Join(files, name)
		if _, err := os.Lstat(target); err == nil {
			continue // a leftover in files/ without its info
		}
		infoPath := filepath.Join(info, name+".trashinfo")
		f, err := os.OpenFile(infoPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return trashedFile{}, fmt.Errorf("create %s: %w", infoPath, cause(err))
		}
		_, err = f.Write(body)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(infoPath)
			return trashedFile{}, fmt.Errorf("write %s: %w", infoPath, cause(err))
		}
		err = renameNoReplace(path, target)
		if errors.Is(err, fs.ErrExist) {
			os.Remove(infoPath) // ours, just made: the name went to another trasher
			continue
		}
		if err != nil {
			os.Remove(infoPath)
			if errors.Is(err, syscall.EXDEV) {
				// Same device, different mount point: a bind mount.
				return trashedFile{}, fmt.Errorf("%w for %s: the Trash %s is on the same disk but another mount point (a bind mount), and lashview never copies to trash", ErrNoTrash, path, dir)
			}
			return trashedFile{}, fmt.Errorf("move %s to the Trash: %w", path, cause(err))
		}
		// The rename is what matters; folder syncs make it durable.
		syncDir(info)
		syncDir(files)
		syncDir(filepath.Dir(path))
		return trashedFile{Trashed: target, Info: infoPath}, nil
	}
	return trashedFile{}, fmt.Errorf("move %s to the Trash: no free name like %q in %s", path, stem+ext, files)
}

// trashInfo is the .trashinfo for a file at path deleted at t: the original
// absolute path, percent-encoded, and the local time without a zone, as the
// spec and file managers want it.
func trashInfo(path string, t time.Time) []byte {
	return []byte("[Trash Info]\nPath=" + escapeTrashPath(path) + "\nDeletionDate=" + t.Local().Format("2006-01-02T15:04:05") + "\n")
}

// escapeTrashPath percent-encodes every byte outside RFC 2396's unreserved
// set (and "/"): stricter than needed, so any file manager decodes it.
func escapeTrashPath(p string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

// ParseTrashInfo reads a .trashinfo: the original path and deletion time.
func ParseTrashInfo(data []byte) (path string, deleted time.Time, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	inGroup := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			inGroup = line == "[Trash Info]"
		case inGroup:
			k, v, _ := strings.Cut(line, "=")
			switch k {
			case "Path":
				if path, err = unescapeTrashPath(v); err != nil {
					return "", time.Time{}, err
				}
			case "DeletionDate":
				if deleted, err = time.ParseInLocation("2006-01-02T15:04:05", v, time.Local); err != nil {
					return "", time.Time{}, fmt.Errorf("DeletionDate %q: %w", v, err)
				}
			}
		}
	}
	if path == "" {
		return "", time.Time{}, errors.New("not a trash info file: no Path in a [Trash Info] group")
	}
	return path, deleted, nil
}

func unescapeTrashPath(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			//lint:ignore ST1005 Path is the .trashinfo key, spelled as the file spells it
			return "", fmt.Errorf("Path %q: a %% is not followed by two hex digits", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			//lint:ignore ST1005 Path is the .trashinfo key, spelled as the file spells it
			return "", fmt.Errorf("Path %q: a %% is not followed by two hex digits", s)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// fitName is stem+ext for the n-th try ("stem (n)ext" after the first),
// with the stem shortened at a rune boundary to fit a file name.
func fitName(stem, ext string, n int) string {
	suffix := ""
	if n > 1 {
		suffix = " (" + strconv.Itoa(n) + ")"
	}
	room := maxTrashName - len(ext) - len(suffix)
	if len(stem) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		stem = strings.TrimRight(stem[:cut], " ")
	}
	return stem + suffix + ext
}

// trashStem is the readable part of an attachment file's name in the Trash:
// its label (made safe for a file name) and the id's first 12 characters.
func trashStem(label *string, id ID) string {
	if label == nil {
		return id.Short()
	}
	var b strings.Builder
	space := false
	for _, r := range *label {
		if r == '/' || r == 0 || unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	l := strings.TrimLeft(b.String(), ".") // no hidden files
	if len(l) > 120 {
		cut := 120
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		l = l[:cut]
	}
	if l == "" {
		return id.Short()
	}
	return l + " " + id.Short()
}

// Action is what a batch did to one path.
type Action string

// The actions a batch records; each can be undone.
const (
	ActionTrash Action = "trash" // moved into the Trash
	ActionMove  Action = "move"  // moved inside the store
	ActionWrite Action = "write" // a new file written (a sidecar from the bytes)
)

// Role says what a path was to the store.
type Role string

// The roles of a path in a batch.
const (
	RoleBlob    Role = "blob"
	RoleSidecar Role = "sidecar"
	RoleOther   Role = "other" // temp litter, a folder in the way, a stray
)

// BatchItem is one change a batch made.
type BatchItem struct {
	Action Action `json:"action"`
	ID     ID     `json:"id,omitempty"`
	Role   Role   `json:"role"`
	// Path is the file's absolute path in the store: where it was (trash),
	// where it came from (move), where it was written (write).
	Path string `json:"path"`
	// To is where a move put it.
	To string `json:"to,omitempty"`
	// Trashed and Info are where a trashed file lies and its .trashinfo.
	Trashed string `json:"trashed,omitempty"`
	Info    string `json:"info,omitempty"`
	// SHA256 is the hash of the bytes a write wrote: undo removes (to the
	// Trash) only a file that still holds them.
	SHA256 string `json:"sha256,omitempty"`
	// Undone is set once restore has dealt with the item.
	Undone bool `json:"undone,omitempty"`
}

// Batch is one undoable operation (an rm, or a doctor --fix) on one store,
// as the journal records it.
type Batch struct {
	Serial string      `json:"serial"`
	Store  string      `json:"store"` // the store root, absolute
	Op     string      `json:"op"`    // "rm", "doctor --fix"
	Time   time.Time   `json:"time"`
	Items  []BatchItem `json:"items"`
}

// Pending reports whether some item of the batch is not undone yet.
func (b *Batch) Pending() bool {
	for _, it := range b.Items {
		if !it.Undone {
			return true
		}
	}
	return false
}

var batchSeq atomic.Uint64

func newBatch(root, op string) *Batch {
	now := time.Now()
	return &Batch{
		Serial: fmt.Sprintf("%s-%d-%d", now.UTC().Format("20060102T150405.000000000"), os.Getpid(), batchSeq.Add(1)),
		Store:  root, Op: op, Time: now,
	}
}

// absRoot is the store root as batches record it.
func (s *Store) absRoot() string {
	if r, err := filepath.Abs(s.root); err == nil {
		return r
	}
	return s.root
}

// TrashOptions tune Trash and Restore.
type TrashOptions struct {
	// Can is the Trash to use; nil means DefaultTrashCan().
	Can *TrashCan
	// Progress, when set, is called after each attachment with the count
	// done and the total.
	Progress func(done, total int)
}

func (o TrashOptions) can() *TrashCan {
	if o.Can != nil {
		return o.Can
	}
	return DefaultTrashCan()
}

// Trash moves each attachment's blob and sidecar together into the Trash of
// the store's mount and records the batch in the journal, so Restore with
// no ids undoes it. Nothing is deleted. The blob goes first: a crash
// between the two leaves a sidecar without a blob, which lash reads as not
// found, as meant. The returned batch lists what was moved, also when an
// error (joined, one per attachment that failed) is returned.
func (s *Store) Trash(ctx context.Context, ids []ID, opt TrashOptions) (*Batch, error) {
	can := opt.can()
	bw := s.newBatchWriter(can, "rm")
	var errs []error
	for i, id := range ids {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		if err := s.trashAttachment(bw, id); err != nil {
			errs = append(errs, err)
		}
		if opt.Progress != nil {
			opt.Progress(i+1, len(ids))
		}
	}
	if err := bw.commit(); err != nil {
		errs = append(errs, err)
	}
	return bw.batch, errors.Join(errs...)
}

// trashAttachment trashes whatever of the id's blob and sidecar exists.
func (s *Store) trashAttachment(bw *batchWriter, id ID) error {
	blob, side := s.layout.Blob(id), s.layout.Sidecar(id)
	// A linked sha256/ or prefix folder would lead the moves out of the
	// store; lashview never follows a link.
	for _, d := range []string{s.layout.Dir(), s.layout.PrefixDir(id)} {
		fi, err := os.Lstat(d)
		if errors.Is(err, fs.ErrNotExist) {
			return &Error{Kind: ErrNotFound, ID: id, Path: blob}
		}
		if err != nil {
			return &Error{Kind: ErrIo, ID: id, Path: d, Err: cause(err)}
		}
		if !fi.IsDir() {
			return &Error{Kind: ErrIo, ID: id, Path: d, Err: errors.New("is not a folder (a symbolic link?); lashview does not follow links")}
		}
	}
	_, berr := os.Lstat(blob)
	_, serr := os.Lstat(side)
	if errors.Is(berr, fs.ErrNotExist) && errors.Is(serr, fs.ErrNotExist) {
		return &Error{Kind: ErrNotFound, ID: id, Path: blob}
	}
	if berr == nil {
		if err := bw.trash(blob, id, RoleBlob); err != nil {
			return err
		}
	}
	if serr == nil {
		if err := bw.trash(side, id, RoleSidecar); err != nil {
			return err
		}
	}
	return nil
}

// trashName is the name (stem and extension) a file gets in the Trash:
// "<label> <id[:12]>.png" and "<label> <id[:12]>.json" for an attachment's
// blob and sidecar, so a person recognises them in a file manager; a file
// that is not an attachment's keeps its own name.
func (s *Store) trashName(path string, role Role, id ID) (stem, ext string) {
	switch {
	case id == "" || role == RoleOther:
		return filepath.Base(path), ""
	case role == RoleSidecar:
		var label *string
		if m, err := decodeSidecarFile(path); err == nil && m.ID == string(id) {
			label = m.Label
		} else {
			label = s.readableLabel(id)
		}
		return trashStem(label, id), ".json"
	}
	if h, err := s.sniffFile(path); err == nil {
		ext = h.MediaType.Ext()
	}
	return trashStem(s.readableLabel(id), id), ext
}

// readableLabel is the label of the id's sidecar if any part of it can be
// read: a full decode, else the "label" of a JSON object that lash cannot
// decode for another reason (an unknown media type, a wrong field).
func (s *Store) readableLabel(id ID) *string {
	data, err := readNoFollow(s.layout.Sidecar(id), MaxSidecarSize)
	if err != nil {
		return nil
	}
	if m, err := DecodeSidecar(data); err == nil {
		return m.Label
	}
	var obj struct {
		Label *string `json:"label"`
	}
	if json.Unmarshal(data, &obj) == nil {
		return obj.Label
	}
	return nil
}

// batchWriter makes the changes of one batch and records each.
type batchWriter struct {
	s     *Store
	can   *TrashCan
	batch *Batch
}

func (s *Store) newBatchWriter(can *TrashCan, op string) *batchWriter {
	return &batchWriter{s: s, can: can, batch: newBatch(s.absRoot(), op)}
}

// trash moves path into the Trash and records it.
func (bw *batchWriter) trash(path string, id ID, role Role) error {
	stem, ext := bw.s.trashName(path, role, id)
	tf, err := bw.can.put(path, stem, ext)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	bw.batch.Items = append(bw.batch.Items, BatchItem{Action: ActionTrash, ID: id, Role: role, Path: abs, Trashed: tf.Trashed, Info: tf.Info})
	return nil
}

// move renames from to to inside the store, never over an existing file.
func (bw *batchWriter) move(from, to string, id ID, role Role) error {
	if err := mkdirSynced(filepath.Dir(to)); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(to), cause(err))
	}
	if err := renameNoReplace(from, to); err != nil {
		return fmt.Errorf("move %s to %s: %w", from, to, cause(err))
	}
	syncDir(filepath.Dir(to))
	syncDir(filepath.Dir(from))
	af, _ := filepath.Abs(from)
	at, _ := filepath.Abs(to)
	bw.batch.Items = append(bw.batch.Items, BatchItem{Action: ActionMove, ID: id, Role: role, Path: af, To: at})
	return nil
}

// writeSidecar writes a new sidecar (where none is now) and records it.
func (bw *batchWriter) writeSidecar(id ID, meta Sidecar) error {
	data := meta.Encode()
	if err := bw.s.writeSidecar(id, meta); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	abs, _ := filepath.Abs(bw.s.layout.Sidecar(id))
	bw.batch.Items = append(bw.batch.Items, BatchItem{Action: ActionWrite, ID: id, Role: RoleSidecar, Path: abs, SHA256: hex.EncodeToString(sum[:])})
	return nil
}

// commit appends the batch to the journal, unless it changed nothing.
func (bw *batchWriter) commit() error {
	if len(bw.batch.Items) == 0 {
		return nil
	}
	return bw.can.appendJournal(bw.batch)
}

// maxJournal is the size past which the journal is compacted to the newest
// state of its last keepBatches batches (variables for the tests).
var (
	maxJournal  int64 = 4 << 20
	keepBatches       = 200
)

// lockJournal opens the journal for appending with an exclusive lock, so
// two lashview processes never interleave or lose a batch.
func (c *TrashCan) lockJournal() (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(c.Journal), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(c.Journal), cause(err))
	}
	for {
		f, err := os.OpenFile(c.Journal, os.O_RDWR|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open the trash journal %s: %w", c.Journal, cause(err))
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock the trash journal %s: %w", c.Journal, err)
		}
		// A compaction by another process may have replaced the file while
		// we waited for the lock: the lock must be on the file at the name.
		held, err1 := f.Stat()
		now, err2 := os.Lstat(c.Journal)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return f, nil
		}
		f.Close()
	}
}

// appendJournal records the batch's current state as one line; the newest
// line of a serial wins when the journal is read.
func (c *TrashCan) appendJournal(b *Batch) error {
	f, err := c.lockJournal()
	if err != nil {
		return err
	}
	defer f.Close()
	line, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("record batch %s: %w", b.Serial, err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write the trash journal %s: %w", c.Journal, cause(err))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write the trash journal %s: %w", c.Journal, cause(err))
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > maxJournal {
		return c.compactJournal(f)
	}
	return nil
}

// compactJournal rewrites the journal (held locked as f) with the newest
// state of the most recent batches only.
func (c *TrashCan) compactJournal(f *os.File) error {
	batches, err := readJournal(f)
	if err != nil {
		return err
	}
	if len(batches) > keepBatches {
		batches = batches[len(batches)-keepBatches:]
	}
	var buf bytes.Buffer
	for _, b := range batches {
		line, _ := json.Marshal(b)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return writeAtomic(c.Journal, buf.Bytes())
}

// Batches returns the journal's batches, oldest first, each in its newest
// state. A missing journal has none.
func (c *TrashCan) Batches() ([]*Batch, error) {
	f, err := os.Open(c.Journal)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open the trash journal %s: %w", c.Journal, cause(err))
	}
	defer f.Close()
	return readJournal(f)
}

func readJournal(f *os.File) ([]*Batch, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read the trash journal %s: %w", f.Name(), cause(err))
	}
	var order []string
	latest := map[string]*Batch{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var b Batch
		// A torn last line (a crash mid-write) or a foreign line is skipped:
		// the rest of the journal is still good.
		if json.Unmarshal(sc.Bytes(), &b) != nil || b.Serial == "" {
			continue
		}
		if _, seen := latest[b.Serial]; !seen {
			order = append(order, b.Serial)
		}
		latest[b.Serial] = &b
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the trash journal %s: %w", f.Name(), err)
	}
	out := make([]*Batch, len(order))
	for i, s := range order {
		out[i] = latest[s]
	}
	return out, nil
}

// ErrNothingToRestore is returned when the journal holds nothing of this
// store (or of the ids named) that is still in the Trash.
var ErrNothingToRestore = errors.New("nothing to restore")

// RestoreOutcome says what restore did with one item.
type RestoreOutcome string

// The outcomes of restoring one item.
const (
	OutcomeRestored     RestoreOutcome = "restored"      // put back where it was
	OutcomeAlreadyThere RestoreOutcome = "already_there" // the same bytes are in place; the Trash copy stays
	OutcomeKept         RestoreOutcome = "kept_present"  // a healthy different file is in place and was kept; the Trash copy stays
	OutcomeGone         RestoreOutcome = "gone"          // no longer in the Trash (restored or emptied elsewhere)
	OutcomeUndone       RestoreOutcome = "undone"        // a move or write of a doctor --fix was reversed
	OutcomeFailed       RestoreOutcome = "failed"
)

// RestoredItem is the outcome for one item of a batch.
type RestoredItem struct {
	BatchItem
	Outcome RestoreOutcome
	// Detail says more in words, e.g. where a file that stood in the way went.
	Detail string
	Err    error
}

// RestoreReport lists what Restore did, batch by batch.
type RestoreReport struct {
	Batches []*Batch // the batches touched, in their new state
	Items   []RestoredItem
}

// Failed reports whether any item could not be dealt with.
func (r *RestoreReport) Failed() bool {
	for _, it := range r.Items {
		if it.Outcome == OutcomeFailed {
			return true
		}
	}
	return false
}

// Restore brings files back from the Trash into the store. With no ids it
// undoes the newest batch of this store that is not undone yet (the last rm
// or doctor --fix): trashed files come back, moves are reversed, written
// sidecars go to the Trash. With ids it brings back each id's most recently
// trashed blob and sidecar. A restored file is the very file that was
// trashed (renamed, not copied). Nothing in the way is destroyed: the same
// bytes already in place are left; a healthy different file is kept (the
// Trash copy stays there); anything else in the way goes to the Trash first.
func (s *Store) Restore(ctx context.Context, ids []ID, opt TrashOptions) (*RestoreReport, error) {
	can := opt.can()
	f, err := can.lockJournal()
	if err != nil {
		return nil, err
	}
	// The lock is held through the restore so a concurrent rm or restore
	// cannot record a batch state that this one then overwrites.
	defer f.Close()
	all, err := readJournal(f)
	if err != nil {
		return nil, err
	}
	root := s.absRoot()
	type job struct {
		b   *Batch
		idx []int // items to undo, in order
	}
	var jobs []job
	if len(ids) == 0 {
		for i := len(all) - 1; i >= 0; i-- {
			if b := all[i]; b.Store == root && b.Pending() {
				var idx []int
				for k := len(b.Items) - 1; k >= 0; k-- { // reverse: undo the last change first
					if !b.Items[k].Undone {
						idx = append(idx, k)
					}
				}
				jobs = append(jobs, job{b, idx})
				break
			}
		}
		if len(jobs) == 0 {
			return nil, fmt.Errorf("%w: the journal %s records no rm or doctor --fix of %s that is not undone", ErrNothingToRestore, can.Journal, root)
		}
	} else {
		var missing []string
		byBatch := map[*Batch][]int{}
		var order []*Batch
		for _, id := range ids {
			found := false
			for i := len(all) - 1; i >= 0 && !found; i-- {
				b := all[i]
				if b.Store != root {
					continue
				}
				// Sidecar first: the blob then appears with its sidecar there.
				for _, role := range []Role{RoleSidecar, RoleBlob, RoleOther} {
					for k, it := range b.Items {
						if it.ID == id && it.Action == ActionTrash && it.Role == role && !it.Undone {
							if byBatch[b] == nil {
								order = append(order, b)
							}
							byBatch[b] = append(byBatch[b], k)
							found = true
						}
					}
				}
			}
			if !found {
				missing = append(missing, id.Short())
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%w: the journal %s records no trashed file of %s in %s", ErrNothingToRestore, can.Journal, strings.Join(missing, ", "), root)
		}
		for _, b := range order {
			jobs = append(jobs, job{b, byBatch[b]})
		}
	}
	rep := &RestoreReport{}
	total := 0
	for _, j := range jobs {
		total += len(j.idx)
	}
	done := 0
	var errs []error
	for _, j := range jobs {
		for _, k := range j.idx {
			if err := ctx.Err(); err != nil {
				errs = append(errs, err)
				break
			}
			it := s.undoItem(can, j.b.Items[k])
			if it.Outcome != OutcomeFailed {
				j.b.Items[k].Undone = true
			}
			rep.Items = append(rep.Items, it)
			done++
			if opt.Progress != nil {
				opt.Progress(done, total)
			}
		}
		rep.Batches = append(rep.Batches, j.b)
		line, _ := json.Marshal(j.b)
		if _, err := f.Write(append(line, '\n')); err != nil {
			errs = append(errs, fmt.Errorf("write the trash journal %s: %w", can.Journal, cause(err)))
		}
	}
	if err := f.Sync(); err != nil {
		errs = append(errs, fmt.Errorf("write the trash journal %s: %w", can.Journal, cause(err)))
	}
	return rep, errors.Join(errs...)
}

// undoItem reverses one change.
func (s *Store) undoItem(can *TrashCan, it BatchItem) RestoredItem {
	r := RestoredItem{BatchItem: it}
	fail := func(err error) RestoredItem {
		r.Outcome, r.Err = OutcomeFailed, err
		return r
	}
	switch it.Action {
	case ActionMove:
		if _, err := os.Lstat(it.To); err != nil {
			r.Outcome, r.Detail = OutcomeGone, "no longer at "+it.To
			return r
		}
		if _, err := os.Lstat(it.Path); err == nil {
			r.Outcome, r.Detail = OutcomeKept, it.Path+" is taken; the file stays at "+it.To
			return r
		}
		if err := renameNoReplace(it.To, it.Path); err != nil {
			return fail(fmt.Errorf("move %s back to %s: %w", it.To, it.Path, cause(err)))
		}
		syncDir(filepath.Dir(it.Path))
		r.Outcome, r.Detail = OutcomeUndone, "moved back from "+it.To
		return r
	case ActionWrite:
		data, err := readNoFollow(it.Path, MaxSidecarSize)
		if err != nil {
			r.Outcome, r.Detail = OutcomeGone, "the written file is no longer there"
			return r
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != it.SHA256 {
			r.Outcome, r.Detail = OutcomeKept, "the file was changed since it was written; it is kept"
			return r
		}
		stem, ext := s.trashName(it.Path, it.Role, it.ID)
		tf, err := can.put(it.Path, stem+" (written by doctor)", ext)
		if err != nil {
			return fail(err)
		}
		r.Outcome, r.Detail = OutcomeUndone, "the written sidecar went to the Trash as "+tf.Trashed
		return r
	}
	if _, err := os.Lstat(it.Trashed); err != nil {
		r.Outcome, r.Detail = OutcomeGone, "no longer in the Trash at "+it.Trashed+" (restored by hand, or the Trash was emptied)"
		return r
	}
	if _, err := os.Lstat(it.Path); err == nil {
		if same, _ := sameContent(it.Path, it.Trashed); same {
			r.Outcome, r.Detail = OutcomeAlreadyThere, "the same bytes are already in place; the copy stays in the Trash at "+it.Trashed
			return r
		}
		if s.healthyAt(it) {
			r.Outcome, r.Detail = OutcomeKept, "a healthy "+string(it.Role)+" is in place and was kept; the trashed one stays at "+it.Trashed
			return r
		}
		stem, ext := s.trashName(it.Path, it.Role, it.ID)
		tf, err := can.put(it.Path, stem+" (in the way of a restore)", ext)
		if err != nil {
			return fail(err)
		}
		r.Detail = "what stood there went to the Trash as " + tf.Trashed
	}
	if err := mkdirSynced(filepath.Dir(it.Path)); err != nil {
		return fail(fmt.Errorf("create %s: %w", filepath.Dir(it.Path), cause(err)))
	}
	if err := renameNoReplace(it.Trashed, it.Path); err != nil {
		return fail(fmt.Errorf("restore %s from %s: %w", it.Path, it.Trashed, cause(err)))
	}
	// The info file only describes the trashed file, which is back now.
	os.Remove(it.Info)
	syncDir(filepath.Dir(it.Path))
	r.Outcome = OutcomeRestored
	return r
}

// healthyAt reports whether the file now at an item's path is one to keep
// over the trashed one: a blob that hashes to its id, or a sidecar lash
// reads that agrees with its blob.
func (s *Store) healthyAt(it BatchItem) bool {
	if it.ID == "" {
		return true // not an attachment file: keep what is there, never guess
	}
	switch it.Role {
	case RoleBlob:
		fi, err := os.Lstat(it.Path)
		return err == nil && fi.Mode().IsRegular() && s.healthyBlob(it.Path, it.ID, fi.Size())
	case RoleSidecar:
		m, err := decodeSidecarFile(it.Path)
		if err != nil || m.ID != string(it.ID) {
			return false
		}
		fi, err := os.Lstat(strings.TrimSuffix(it.Path, ".json"))
		return err != nil || uint64(fi.Size()) == m.ByteLen
	}
	return true
}

// decodeSidecarFile reads and decodes a sidecar file (never through a link).
func decodeSidecarFile(path string) (Sidecar, error) {
	data, err := readNoFollow(path, MaxSidecarSize)
	if err != nil {
		return Sidecar{}, err
	}
	return DecodeSidecar(data)
}

// sameContent reports whether two regular files hold the same bytes.
func sameContent(a, b string) (bool, error) {
	fa, err := openNoFollow(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := openNoFollow(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	ia, _ := fa.Stat()
	ib, _ := fb.Stat()
	if ia.Size() != ib.Size() {
		return false, nil
	}
	ba, bb := make([]byte, 256<<10), make([]byte, 256<<10)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF {
			return eb == ea, nil
		}
		if ea != nil {
			return false, ea
		}
		if eb != nil {
			return false, eb
		}
	}
}

// renameCheckFirst renames from to to after checking that to is free.
func renameCheckFirst(from, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
	}
	return os.Rename(from, to)
}
