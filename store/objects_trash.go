package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A bucket has no desktop Trash, so Objects keeps its own trash area in the
// store, outside sha256/ (lash lists only sha256/, so it never sees it):
//
//	.lashview-trash/<batch serial>/journal.json     the batch (a Batch)
//	.lashview-trash/<batch serial>/<original key>   each trashed object
//
// A batch's journal is written before its first change, with every change
// it is about to make marked Planned, and rewritten as changes are made
// and undone; each object is copied (on the server) into the trash area
// before the original is deleted. So whatever point a dropped connection
// or a crash stops a batch at, Restore finds it and can finish it: an
// object copied but not deleted is in both places, one deleted only in the
// trash area. EmptyTrash deletes batches older than an age.

// TrashDir is the store-relative folder of a bucket store's trash area.
const TrashDir = ".lashview-trash/"

func trashKey(serial, key string) string { return TrashDir + serial + "/" + key }
func journalKey(serial string) string    { return TrashDir + serial + "/journal.json" }

// objBatch makes the changes of one batch on a Backend and records each.
type objBatch struct {
	s     *Objects
	batch *Batch
}

func (s *Objects) newObjBatch(op string) *objBatch {
	return &objBatch{s: s, batch: newBatch(s.Where(), op)}
}

// save writes the batch's journal. It is not cancelled with ctx: a batch
// that stopped must still record how far it came.
func (w *objBatch) save(ctx context.Context) error {
	data, err := json.MarshalIndent(w.batch, "", "  ")
	if err != nil {
		return fmt.Errorf("record batch %s: %w", w.batch.Serial, err)
	}
	key := journalKey(w.batch.Serial)
	if _, err := w.s.b.Put(context.WithoutCancel(ctx), key, bytes.NewReader(data), int64(len(data))); err != nil {
		return fmt.Errorf("write the trash journal %s: %w", w.s.b.Where(key), err)
	}
	return nil
}

// plan records items as planned (the journal is written before any of
// them is made) and returns the index of the first.
func (w *objBatch) plan(ctx context.Context, items ...BatchItem) (int, error) {
	first := len(w.batch.Items)
	for _, it := range items {
		it.Planned = true
		w.batch.Items = append(w.batch.Items, it)
	}
	if err := w.save(ctx); err != nil {
		w.batch.Items = w.batch.Items[:first]
		return 0, err
	}
	return first, nil
}

// trashItem makes planned trash item i: copy into the trash area, then
// delete the original. A copy that failed changed nothing: the item is
// marked done and undone (dropped by drop), and false returned.
func (w *objBatch) trashItem(ctx context.Context, i int) (bool, error) {
	it := &w.batch.Items[i]
	if err := w.s.b.Copy(ctx, it.Path, it.Trashed); err != nil {
		it.Planned, it.Undone = false, true
		return false, fmt.Errorf("copy %s into the trash area: %w", w.s.b.Where(it.Path), err)
	}
	it.Planned = false
	if err := w.s.b.Delete(ctx, it.Path); err != nil {
		return true, fmt.Errorf("delete %s after copying it into the trash area (restore puts it back as it was): %w", w.s.b.Where(it.Path), err)
	}
	return true, nil
}

// trash plans and makes the trashing of one object.
func (w *objBatch) trash(ctx context.Context, key string, id ID, role Role) error {
	i, err := w.plan(ctx, BatchItem{Action: ActionTrash, ID: id, Role: role, Path: key, Trashed: trashKey(w.batch.Serial, key)})
	if err != nil {
		return err
	}
	_, err = w.trashItem(ctx, i)
	return err
}

// move plans and makes a move inside the store: copy, then delete.
func (w *objBatch) move(ctx context.Context, from, to string, id ID, role Role) error {
	i, err := w.plan(ctx, BatchItem{Action: ActionMove, ID: id, Role: role, Path: from, To: to})
	if err != nil {
		return err
	}
	it := &w.batch.Items[i]
	if err := w.s.b.Copy(ctx, from, to); err != nil {
		it.Planned, it.Undone = false, true
		return fmt.Errorf("copy %s to %s: %w", w.s.b.Where(from), to, err)
	}
	it.Planned = false
	if err := w.s.b.Delete(ctx, from); err != nil {
		return fmt.Errorf("delete %s after copying it to %s: %w", w.s.b.Where(from), to, err)
	}
	return nil
}

// writeSidecar plans and writes a new sidecar (where none is now).
func (w *objBatch) writeSidecar(ctx context.Context, id ID, meta Sidecar) error {
	i, err := w.plan(ctx, BatchItem{Action: ActionWrite, ID: id, Role: RoleSidecar, Path: sidecarKey(id), SHA256: sha256Hex(meta.Encode())})
	if err != nil {
		return err
	}
	if err := w.s.writeSidecar(ctx, id, meta); err != nil {
		w.batch.Items[i].Planned, w.batch.Items[i].Undone = false, true
		return err
	}
	w.batch.Items[i].Planned = false
	return nil
}

// finish drops the items that changed nothing and records the batch's
// final state; a batch with no change left has its journal deleted.
func (w *objBatch) finish(ctx context.Context) error {
	w.batch.Items = slices.DeleteFunc(w.batch.Items, func(it BatchItem) bool { return it.Undone && !it.Planned })
	if len(w.batch.Items) == 0 {
		return w.s.b.Delete(context.WithoutCancel(ctx), journalKey(w.batch.Serial))
	}
	return w.save(ctx)
}

// Trash moves each attachment's blob and sidecar into the store's trash
// area (TrashDir, outside sha256/) as one batch that Restore undoes:
// each object is copied there on the server, then the original is deleted,
// blob first, as Store.Trash does. The batch's journal is written before
// the first copy. TrashOptions.Can is not used: a bucket has no desktop
// Trash. The returned batch lists what was moved, also when an error
// (joined, one per attachment that failed) is returned.
func (s *Objects) Trash(ctx context.Context, ids []ID, opt TrashOptions) (*Batch, error) {
	w := s.newObjBatch("rm")
	var errs []error
	var items []BatchItem
	owner := map[int]int{} // item index -> ids index
	for k, id := range ids {
		found := false
		for _, role := range []Role{RoleBlob, RoleSidecar} {
			key := blobKey(id)
			if role == RoleSidecar {
				key = sidecarKey(id)
			}
			_, ok, err := s.stat(ctx, key)
			if err != nil {
				errs = append(errs, s.ioErr(ctx, id, key, err))
				found = true // reported
				break
			}
			if ok {
				owner[len(items)] = k
				items = append(items, BatchItem{Action: ActionTrash, ID: id, Role: role, Path: key, Trashed: trashKey(w.batch.Serial, key)})
				found = true
			}
		}
		if !found {
			errs = append(errs, &Error{Kind: ErrNotFound, ID: id, Path: s.b.Where(blobKey(id))})
		}
	}
	if len(items) == 0 {
		return w.batch, errors.Join(errs...)
	}
	if _, err := w.plan(ctx, items...); err != nil {
		return &Batch{Serial: w.batch.Serial, Store: w.batch.Store, Op: w.batch.Op, Time: w.batch.Time}, errors.Join(append(errs, err)...)
	}
	done := 0
	failed := map[int]bool{}
	for i := range w.batch.Items {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		if failed[owner[i]] {
			// The blob could not be moved: its sidecar stays with it.
			w.batch.Items[i].Planned, w.batch.Items[i].Undone = false, true
		} else if copied, err := w.trashItem(ctx, i); err != nil {
			errs = append(errs, err)
			failed[owner[i]] = !copied
		}
		last := i+1 == len(w.batch.Items) || owner[i+1] != owner[i]
		if !last {
			continue
		}
		// One attachment done: record it.
		if err := w.save(ctx); err != nil {
			errs = append(errs, err)
		}
		done++
		if opt.Progress != nil {
			opt.Progress(done, len(ids))
		}
	}
	// Items a cancel stopped before changed nothing.
	for i := range w.batch.Items {
		if w.batch.Items[i].Planned {
			w.batch.Items[i].Planned, w.batch.Items[i].Undone = false, true
		}
	}
	if err := w.finish(ctx); err != nil {
		errs = append(errs, err)
	}
	return w.batch, errors.Join(errs...)
}

// TrashBatches reads the journals of the store's trash area: every batch,
// oldest first, each in its newest state. A journal that cannot be read as
// a batch is skipped (it is reported by none; EmptyTrash still ages it).
func (s *Objects) TrashBatches(ctx context.Context) ([]*Batch, error) {
	var serials []string
	err := s.b.List(ctx, TrashDir, func(o Object) error {
		rest := strings.TrimPrefix(o.Key, TrashDir)
		if serial, name, ok := strings.Cut(rest, "/"); ok && name == "journal.json" {
			serials = append(serials, serial)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []*Batch
	for _, serial := range serials {
		b, err := s.readBatch(ctx, serial)
		if errors.Is(err, fs.ErrNotExist) {
			continue // emptied meanwhile
		}
		if err != nil {
			return nil, err
		}
		if b != nil {
			out = append(out, b)
		}
	}
	slices.SortStableFunc(out, func(a, b *Batch) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Serial, b.Serial)
	})
	return out, nil
}

// readBatch reads one journal; nil when it is not a batch of this serial.
func (s *Objects) readBatch(ctx context.Context, serial string) (*Batch, error) {
	r, _, err := s.b.Open(ctx, journalKey(serial), 0, -1)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	var b Batch
	if json.Unmarshal(data, &b) != nil || b.Serial != serial {
		return nil, nil
	}
	return &b, nil
}

// Restore puts trashed objects back from the store's trash area, as
// Store.Restore does from the desktop Trash: with no ids it undoes the
// newest batch that is not undone yet (an rm or a doctor --fix: trashed
// objects come back, moves are reversed, written sidecars go to the trash
// area); with ids it brings back each id's most recently trashed blob and
// sidecar. It finishes a batch that a dropped connection stopped at any
// point. Nothing in the way is destroyed: the same bytes in place are
// left (already_there), a healthy different object is kept (kept_present),
// anything else is first moved into the trash area. A name that the newer
// lash writing this store would delete is left in the trash area
// (left_in_trash). TrashOptions.Can is not used.
func (s *Objects) Restore(ctx context.Context, ids []ID, opt TrashOptions) (*RestoreReport, error) {
	all, err := s.TrashBatches(ctx)
	if err != nil {
		return nil, err
	}
	where := s.b.Where(TrashDir)
	jobs, missing := restoreJobs(all, ids)
	switch {
	case len(missing) > 0:
		return nil, fmt.Errorf("%w: the trash area %s holds no trashed object of %s", ErrNothingToRestore, where, strings.Join(missing, ", "))
	case len(jobs) == 0:
		return nil, fmt.Errorf("%w: the trash area %s holds no rm or doctor --fix of %s that is not undone", ErrNothingToRestore, where, s.Where())
	}
	gen, err := s.Writes(ctx)
	if err != nil {
		return nil, err
	}
	rep, errs := undoJobs(ctx, jobs, opt.Progress, func(b *Batch, it BatchItem) RestoredItem {
		return s.undoItem(ctx, &objBatch{s: s, batch: b}, gen, it)
	}, func(b *Batch) error {
		return (&objBatch{s: s, batch: b}).save(ctx)
	})
	return rep, errors.Join(errs...)
}

// lashDeletesKey reports whether newer lash, writing this store, would
// take an object at key for a blob nobody references and delete it: any
// name under sha256/ that is not a blob's own, in a blob-only store.
func lashDeletesKey(gen Generation, key string) bool {
	if gen != GenBlobOnly || !strings.HasPrefix(key, "sha256/") {
		return false
	}
	k := ParseKey(key)
	return k.Folder != "" || k.Marker || ParseName(k.Name, k.Prefix).Kind != NameBlob
}

// undoItem reverses one change of a batch, from the state it finds.
func (s *Objects) undoItem(ctx context.Context, w *objBatch, gen Generation, it BatchItem) RestoredItem {
	r := RestoredItem{BatchItem: it}
	fail := func(err error) RestoredItem {
		r.Outcome, r.Err = OutcomeFailed, err
		return r
	}
	exists := func(key string) (bool, error) {
		_, ok, err := s.stat(ctx, key)
		return ok, err
	}
	// moveBack copies from to it.Path and deletes from.
	moveBack := func(from string) error {
		if err := s.b.Copy(ctx, from, it.Path); err != nil {
			return fmt.Errorf("copy %s back to %s: %w", s.b.Where(from), it.Path, err)
		}
		if err := s.b.Delete(ctx, from); err != nil {
			return fmt.Errorf("delete %s after restoring it: %w", s.b.Where(from), err)
		}
		return nil
	}
	switch it.Action {
	case ActionMove:
		to, err := exists(it.To)
		if err != nil {
			return fail(err)
		}
		from, err := exists(it.Path)
		if err != nil {
			return fail(err)
		}
		switch {
		case !to && from:
			r.Outcome, r.Detail = OutcomeAlreadyThere, "the move had not been made; "+it.Path+" is in place"
		case !to:
			r.Outcome, r.Detail = OutcomeGone, "no longer at "+it.To
		case from:
			// Copied but not yet deleted: the copy at To is the move's own.
			same, err := s.sameObjects(ctx, it.Path, it.To)
			if err != nil {
				return fail(err)
			}
			if !same {
				r.Outcome, r.Detail = OutcomeKept, it.Path+" is taken; the object stays at "+it.To
				return r
			}
			if err := s.b.Delete(ctx, it.To); err != nil {
				return fail(err)
			}
			r.Outcome, r.Detail = OutcomeUndone, "the same bytes are at "+it.Path+": the copy at "+it.To+" was removed"
		case lashDeletesKey(gen, it.Path):
			r.Outcome, r.Detail = OutcomeLeftInTrash, leftInTrashDetail(it.Path, it.To)
		default:
			if err := moveBack(it.To); err != nil {
				return fail(err)
			}
			r.Outcome, r.Detail = OutcomeUndone, "moved back from "+it.To
		}
		return r
	case ActionWrite:
		data, err := s.readKey(ctx, it.Path, MaxSidecarSize)
		if errors.Is(err, fs.ErrNotExist) {
			r.Outcome, r.Detail = OutcomeGone, "the written object is no longer there"
			return r
		}
		if err != nil {
			return fail(err)
		}
		if sha256Hex(data) != it.SHA256 {
			r.Outcome, r.Detail = OutcomeKept, "the object was changed since it was written; it is kept"
			return r
		}
		dst := trashKey(w.batch.Serial, "written/"+it.Path)
		if err := s.b.Copy(ctx, it.Path, dst); err != nil {
			return fail(err)
		}
		if err := s.b.Delete(ctx, it.Path); err != nil {
			return fail(err)
		}
		r.Outcome, r.Detail = OutcomeUndone, "the written sidecar went to the trash area as "+dst
		return r
	}
	trashed, err := exists(it.Trashed)
	if err != nil {
		return fail(err)
	}
	orig, err := exists(it.Path)
	if err != nil {
		return fail(err)
	}
	r, done := decideRestore(it, trashWords{"the trash area", "the trash"}, restoreSight{
		trashed:     trashed,
		present:     orig,
		same:        func() (bool, error) { return s.sameObjects(ctx, it.Path, it.Trashed) },
		healthy:     func() bool { return s.healthyObject(ctx, it) },
		leftInTrash: lashDeletesKey(gen, it.Path),
	})
	if done {
		return r
	}
	if orig {
		aside := trashKey(w.batch.Serial, "in-the-way/"+strconv.FormatInt(time.Now().UnixNano(), 10)+"/"+it.Path)
		if err := s.b.Copy(ctx, it.Path, aside); err != nil {
			return fail(fmt.Errorf("move %s out of the way: %w", it.Path, err))
		}
		r.Detail = "what stood there went to the trash area as " + aside
	}
	if err := moveBack(it.Trashed); err != nil {
		return fail(err)
	}
	r.Outcome = OutcomeRestored
	return r
}

// readKey reads a small object whole (at most limit bytes).
func (s *Objects) readKey(ctx context.Context, key string, limit int64) ([]byte, error) {
	return s.readKeyOr(ctx, key, limit, fmt.Errorf("%s: larger than %d bytes", s.b.Where(key), limit))
}

// readKeyOr reads a small object whole, or returns tooLarge when it holds
// more than limit bytes.
func (s *Objects) readKeyOr(ctx context.Context, key string, limit int64, tooLarge error) ([]byte, error) {
	r, _, err := s.b.Open(ctx, key, 0, -1)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readUpTo(r, limit, tooLarge)
}

// sameObjects reports whether two objects hold the same bytes, read as
// streams side by side.
func (s *Objects) sameObjects(ctx context.Context, a, b string) (bool, error) {
	ra, oa, err := s.b.Open(ctx, a, 0, -1)
	if err != nil {
		return false, err
	}
	defer ra.Close()
	rb, ob, err := s.b.Open(ctx, b, 0, -1)
	if err != nil {
		return false, err
	}
	defer rb.Close()
	if oa.Size != ob.Size {
		return false, nil
	}
	return sameStreams(ra, rb)
}

// healthyObject reports whether the object now at an item's key is one to
// keep over the trashed one: a blob that hashes to its id, or a sidecar
// lash reads that agrees with its blob (Store.healthyAt for a folder).
func (s *Objects) healthyObject(ctx context.Context, it BatchItem) bool {
	if it.ID == "" {
		return true // not an attachment's object: keep what is there
	}
	switch it.Role {
	case RoleBlob:
		if it.Path != blobKey(it.ID) {
			return true
		}
		got, _, err := s.hashBlob(ctx, it.ID)
		return err == nil && got == it.ID
	case RoleSidecar:
		data, err := s.readKey(ctx, it.Path, MaxSidecarSize)
		if err != nil {
			return false
		}
		m, err := DecodeSidecar(data)
		if err != nil || m.ID != string(it.ID) {
			return false
		}
		o, ok, err := s.stat(ctx, blobKey(it.ID))
		return err == nil && (!ok || uint64(o.Size) == m.ByteLen)
	}
	return true
}

// EmptyTrash deletes for good the batches of the store's trash area that
// are at least olderThan old (by the time their journal records, else by
// their newest object), with everything they hold: once emptied, they
// cannot be restored. olderThan 0 empties the whole trash area. It returns
// how many batches were removed and the bytes their objects held. lash
// never sees the trash area, so nothing empties it but this (the command
// line's `lashview empty-trash`).
func (s *Objects) EmptyTrash(ctx context.Context, olderThan time.Duration) (removed int, bytes int64, err error) {
	type group struct {
		keys   []string
		size   int64
		newest time.Time
	}
	groups := map[string]*group{}
	var order []string
	err = s.b.List(ctx, TrashDir, func(o Object) error {
		serial, _, _ := strings.Cut(strings.TrimPrefix(o.Key, TrashDir), "/")
		g := groups[serial]
		if g == nil {
			g = &group{}
			groups[serial] = g
			order = append(order, serial)
		}
		g.keys = append(g.keys, o.Key)
		g.size += o.Size
		if o.ModTime.After(g.newest) {
			g.newest = o.ModTime
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	now := time.Now()
	for _, serial := range order {
		g := groups[serial]
		when := g.newest
		if b, err := s.readBatch(ctx, serial); err == nil && b != nil && !b.Time.IsZero() {
			when = b.Time
		}
		if now.Sub(when) < olderThan {
			continue
		}
		// The journal last: a batch stopped half-way is still found.
		jk := journalKey(serial)
		for _, k := range g.keys {
			if k == jk {
				continue
			}
			if err := s.b.Delete(ctx, k); err != nil {
				return removed, bytes, err
			}
		}
		if err := s.b.Delete(ctx, jk); err != nil {
			return removed, bytes, err
		}
		removed++
		bytes += g.size
	}
	return removed, bytes, nil
}

// TrashedIDs lists the ids whose blob lies in the store's trash area (a
// reference to one of them dangles, but restore can bring it back).
func (s *Objects) TrashedIDs(ctx context.Context) (map[ID]bool, error) {
	ids := map[ID]bool{}
	err := s.b.List(ctx, TrashDir, func(o Object) error {
		_, rest, _ := strings.Cut(strings.TrimPrefix(o.Key, TrashDir), "/")
		parts := strings.Split(rest, "/")
		if len(parts) == 3 && parts[0] == "sha256" {
			if n := ParseName(parts[2], parts[1]); n.Kind == NameBlob {
				ids[n.ID] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}
