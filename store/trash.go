package store

import (
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
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/adrg/xdg"

	"lashview/internal/xdgtrash"
)

// TrashCan is the freedesktop.org Trash (Trash specification 1.0) as
// lashview uses it, and the journal of what lashview put there. Nothing is
// ever deleted: a file goes to the Trash of its own mount, where a file
// manager shows it and can put it back, and lashview can undo a whole batch.
// The Trash itself is package xdgtrash; this type adds the journal.
type TrashCan struct {
	// Home is the home trash, $XDG_DATA_HOME/Trash.
	Home string
	// Journal is the file recording lashview's batches, one JSON object a
	// line: $XDG_STATE_HOME/lashview/trash.jsonl.
	Journal string
	// UID names the per-user trash folders on other mounts (.Trash/$uid,
	// .Trash-$uid).
	UID int

	// device and mountTop are the filesystem look-ups (nil: the real
	// ones); tests replace them to put a store on "another mount" without
	// mounting one.
	device   func(path string) (uint64, error)
	mountTop func(path string) (string, error)
}

// NewTrashCan returns the Trash for the given XDG data and state homes.
func NewTrashCan(dataHome, stateHome string) *TrashCan {
	t := xdgtrash.New(dataHome)
	return &TrashCan{
		Home:    t.Home,
		Journal: filepath.Join(stateHome, "lashview", "trash.jsonl"),
		UID:     t.UID,
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

// ErrNoTrash is returned (wrapped) when a file lies on a mount that has no
// Trash lashview may use: it is then left where it is. It is
// xdgtrash.ErrNoTrash, so errors.Is matches either.
var ErrNoTrash = xdgtrash.ErrNoTrash

// ParseTrashInfo reads a .trashinfo: the original path and deletion time.
func ParseTrashInfo(data []byte) (path string, deleted time.Time, err error) {
	return xdgtrash.ParseInfo(data)
}

// trash is the freedesktop Trash this can moves files into.
func (c *TrashCan) trash() *xdgtrash.Trash {
	return &xdgtrash.Trash{Home: c.Home, UID: c.UID, Device: c.device, MountTop: c.mountTop}
}

// put moves the file (or folder) at path into its Trash under a name like
// stem+ext (see xdgtrash.Trash.Put).
func (c *TrashCan) put(path, stem, ext string) (xdgtrash.Trashed, error) {
	return c.trash().Put(path, stem, ext)
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
	return labelOf(data)
}

// labelOf is the label of a sidecar's bytes if any part of them can be
// read: a full decode, else the "label" of a JSON object.
func labelOf(data []byte) *string {
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
	bw.batch.Items = append(bw.batch.Items, BatchItem{Action: ActionTrash, ID: id, Role: role, Path: abs, Trashed: tf.File, Info: tf.Info})
	return nil
}

// move renames from to to inside the store, never over an existing file.
func (bw *batchWriter) move(from, to string, id ID, role Role) error {
	if err := mkdirSynced(filepath.Dir(to)); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(to), cause(err))
	}
	if err := xdgtrash.RenameNoReplace(from, to); err != nil {
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
	if err := bw.s.writeSidecar(id, meta); err != nil {
		return err
	}
	abs, _ := filepath.Abs(bw.s.layout.Sidecar(id))
	bw.batch.Items = append(bw.batch.Items, BatchItem{Action: ActionWrite, ID: id, Role: RoleSidecar, Path: abs, SHA256: sha256Hex(meta.Encode())})
	return nil
}

// commit appends the batch to the journal, unless it changed nothing.
func (bw *batchWriter) commit() error {
	if len(bw.batch.Items) == 0 {
		return nil
	}
	return bw.can.appendJournal(bw.batch)
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
	OutcomeLeftInTrash  RestoreOutcome = "left_in_trash" // a name newer lash would delete as garbage: not put back
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
	var mine []*Batch
	for _, b := range all {
		if b.Store == root {
			mine = append(mine, b)
		}
	}
	jobs, missing := restoreJobs(mine, ids)
	switch {
	case len(missing) > 0:
		return nil, fmt.Errorf("%w: the journal %s records no trashed file of %s in %s", ErrNothingToRestore, can.Journal, strings.Join(missing, ", "), root)
	case len(jobs) == 0:
		return nil, fmt.Errorf("%w: the journal %s records no rm or doctor --fix of %s that is not undone", ErrNothingToRestore, can.Journal, root)
	}
	rep, errs := undoJobs(ctx, jobs, opt.Progress, func(_ *Batch, it BatchItem) RestoredItem {
		return s.undoItem(can, it)
	}, func(b *Batch) error {
		line, _ := json.Marshal(b)
		if _, err := f.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("write the trash journal %s: %w", can.Journal, cause(err))
		}
		return nil
	})
	if err := f.Sync(); err != nil {
		errs = append(errs, fmt.Errorf("write the trash journal %s: %w", can.Journal, cause(err)))
	}
	return rep, errors.Join(errs...)
}

// sha256Hex is the hex SHA-256 of data, as a batch records a written file.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// restoreJob is one batch's items to undo, in order.
type restoreJob struct {
	b   *Batch
	idx []int
}

// restoreJobs picks what a restore undoes among a store's batches (oldest
// first): with no ids, every change of the newest batch not undone yet,
// the last change first (no job when there is none); with ids, each id's
// most recently trashed files, sidecar first so the blob then appears with
// its sidecar there. missing lists the ids of which nothing is found.
func restoreJobs(all []*Batch, ids []ID) (jobs []restoreJob, missing []string) {
	if len(ids) == 0 {
		for i := len(all) - 1; i >= 0; i-- {
			if b := all[i]; b.Pending() {
				var idx []int
				for k := len(b.Items) - 1; k >= 0; k-- { // reverse: undo the last change first
					if !b.Items[k].Undone {
						idx = append(idx, k)
					}
				}
				return []restoreJob{{b, idx}}, nil
			}
		}
		return nil, nil
	}
	byBatch := map[*Batch][]int{}
	var order []*Batch
	for _, id := range ids {
		found := false
		for i := len(all) - 1; i >= 0 && !found; i-- {
			b := all[i]
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
		return nil, missing
	}
	for _, b := range order {
		jobs = append(jobs, restoreJob{b, byBatch[b]})
	}
	return jobs, nil
}

// undoJobs undoes the jobs' items in order with undo, marks each one dealt
// with (not failed) undone, tells progress, and after each batch's items
// records its new state with save. A cancelled ctx stops it between items.
func undoJobs(ctx context.Context, jobs []restoreJob, progress func(done, total int), undo func(b *Batch, it BatchItem) RestoredItem, save func(b *Batch) error) (*RestoreReport, []error) {
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
			it := undo(j.b, j.b.Items[k])
			if it.Outcome != OutcomeFailed {
				j.b.Items[k].Undone, j.b.Items[k].Planned = true, false
			}
			rep.Items = append(rep.Items, it)
			done++
			if progress != nil {
				progress(done, total)
			}
		}
		rep.Batches = append(rep.Batches, j.b)
		if err := save(j.b); err != nil {
			errs = append(errs, err)
		}
	}
	return rep, errs
}

// restoreSight is what restoring one trashed file finds: whether its copy
// in the trash is still there and whether something is in its place; same
// (the two hold the same bytes) and healthy (what is in its place is one to
// keep) are asked only when something is. leftInTrash: newer lash would
// delete the file put back.
type restoreSight struct {
	trashed, present bool
	same             func() (bool, error)
	healthy          func() bool
	leftInTrash      bool
}

// trashWords name a trash in a restore's details: "the Trash" or "the
// trash area", and what is emptied ("the Trash", "the trash").
type trashWords struct{ area, emptied string }

// decideRestore is what restoring trashed item it comes to, folder or
// bucket: the same bytes in place are left (already_there, as is an item a
// stopped batch never moved), a healthy different file in place is kept
// (kept_present), a trash copy no longer there is gone, a name newer lash
// would delete stays in the trash (left_in_trash). done false: it is to be
// put back, what is in its place (st.present) moved aside first.
func decideRestore(it BatchItem, w trashWords, st restoreSight) (r RestoredItem, done bool) {
	r = RestoredItem{BatchItem: it}
	switch {
	case !st.trashed && st.present && it.Planned:
		r.Outcome, r.Detail = OutcomeAlreadyThere, "the batch stopped before this object was moved: it is in place"
		return r, true
	case !st.trashed:
		r.Outcome, r.Detail = OutcomeGone, "no longer in "+w.area+" at "+it.Trashed+" (restored by hand, or "+w.emptied+" was emptied)"
		return r, true
	case st.present:
		same, err := st.same()
		if err != nil {
			r.Outcome, r.Err = OutcomeFailed, err
			return r, true
		}
		if same {
			r.Outcome, r.Detail = OutcomeAlreadyThere, "the same bytes are already in place; the copy stays in "+w.area+" at "+it.Trashed
			return r, true
		}
		if st.healthy() {
			r.Outcome, r.Detail = OutcomeKept, "a healthy "+string(it.Role)+" is in place and was kept; the trashed one stays at "+it.Trashed
			return r, true
		}
	}
	if st.leftInTrash {
		r.Outcome, r.Detail = OutcomeLeftInTrash, leftInTrashDetail(it.Path, it.Trashed)
		return r, true
	}
	return r, false
}

// leftInTrashDetail says why the file name stays at where.
func leftInTrashDetail(name, where string) string {
	return "newer lash writes this store without sidecars and would delete " + name + " as an unreferenced blob, so it stays at " + where
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
		if s.lashDeletes(it.Path) {
			r.Outcome, r.Detail = OutcomeLeftInTrash, leftInTrashDetail(filepath.Base(it.Path), it.To)
			return r
		}
		if _, err := os.Lstat(it.Path); err == nil {
			r.Outcome, r.Detail = OutcomeKept, it.Path+" is taken; the file stays at "+it.To
			return r
		}
		if err := xdgtrash.RenameNoReplace(it.To, it.Path); err != nil {
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
		if sha256Hex(data) != it.SHA256 {
			r.Outcome, r.Detail = OutcomeKept, "the file was changed since it was written; it is kept"
			return r
		}
		stem, ext := s.trashName(it.Path, it.Role, it.ID)
		tf, err := can.put(it.Path, stem+" (written by doctor)", ext)
		if err != nil {
			return fail(err)
		}
		r.Outcome, r.Detail = OutcomeUndone, "the written sidecar went to the Trash as "+tf.File
		return r
	}
	_, terr := os.Lstat(it.Trashed)
	_, perr := os.Lstat(it.Path)
	r, done := decideRestore(it, trashWords{"the Trash", "the Trash"}, restoreSight{
		trashed: terr == nil,
		present: perr == nil,
		same: func() (bool, error) {
			same, _ := sameContent(it.Path, it.Trashed)
			return same, nil
		},
		healthy:     func() bool { return s.healthyAt(it) },
		leftInTrash: s.lashDeletes(it.Path),
	})
	if done {
		return r
	}
	if perr == nil {
		stem, ext := s.trashName(it.Path, it.Role, it.ID)
		tf, err := can.put(it.Path, stem+" (in the way of a restore)", ext)
		if err != nil {
			return fail(err)
		}
		r.Detail = "what stood there went to the Trash as " + tf.File
	}
	if err := mkdirSynced(filepath.Dir(it.Path)); err != nil {
		return fail(fmt.Errorf("create %s: %w", filepath.Dir(it.Path), cause(err)))
	}
	if err := xdgtrash.RenameNoReplace(it.Trashed, it.Path); err != nil {
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
	return sameStreams(fa, fb)
}

// sameStreams reports whether two readers of the same length hold the same
// bytes, read side by side to their end.
func sameStreams(a, b io.Reader) (bool, error) {
	ba, bb := make([]byte, 256<<10), make([]byte, 256<<10)
	for {
		na, ea := io.ReadFull(a, ba)
		nb, eb := io.ReadFull(b, bb)
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
