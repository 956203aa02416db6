package store

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"
)

// Doctor lists what needs care in the store, with the fix it proposes, as
// Store.Doctor does for a folder: the scan's stray keys (foreign keys under
// sha256/, misplaced ids, temp litter, per-session trees) and the
// attachments whose status is not ok, plus, on a backend with multipart
// uploads (Uploads), every upload under the store never completed nor
// aborted, as litter. With opt.Fix it applies the fixes as one batch that
// Restore undoes: what is removed or replaced goes to the store's trash
// area (see Trash), misplaced objects are moved (copied, then deleted),
// sidecars are written only where lashview writes sidecars, and
// unfinished uploads older than opt.MinTempAge are aborted (their parts
// were never an object, so this alone is not undone). opt.Can is not used.
func (s *Objects) Doctor(ctx context.Context, opt DoctorOptions) (*DoctorReport, error) {
	if opt.MinTempAge <= 0 {
		opt.MinTempAge = time.Minute
	}
	res, err := s.Scan(ctx, ScanOptions{})
	if err != nil {
		return nil, err
	}
	gen, err := s.Writes(ctx)
	if err != nil {
		return nil, err
	}
	d := &objDoctor{s: s, opt: opt, now: time.Now(), gen: gen}
	d.rep.Problems, err = planProblems(ctx, res,
		func(f Finding) Problem { return d.planFinding(ctx, f) },
		func(a Attachment) Problem { return d.planAttachment(ctx, a) })
	if err != nil {
		return nil, err
	}
	if up, ok := s.b.(Uploads); ok {
		ups, err := up.Unfinished(ctx, "")
		if err != nil {
			return nil, err
		}
		for _, u := range ups {
			d.rep.Problems = append(d.rep.Problems, d.planUpload(u))
		}
	}
	sortProblems(d.rep.Problems)
	if !opt.Fix {
		return &d.rep, nil
	}
	d.w = s.newObjBatch("doctor --fix")
	err = applyPlan(ctx, &d.rep, opt, d)
	if len(d.w.batch.Items) > 0 {
		if ferr := d.w.finish(ctx); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	if len(d.w.batch.Items) > 0 {
		d.rep.Batch = d.w.batch
	}
	return &d.rep, err
}

// objDoctor holds one run's state.
type objDoctor struct {
	s   *Objects
	opt DoctorOptions
	now time.Time
	gen Generation // what lashview writes here
	rep DoctorReport
	w   *objBatch
}

// planUpload proposes the fix for an unfinished multipart upload.
func (d *objDoctor) planUpload(u Upload) Problem {
	p := Problem{Path: u.Key, Kind: string(FindingTempLitter), Fix: FixAbortUpload, upload: &u,
		Detail: fmt.Sprintf("an unfinished multipart upload (begun %s, %d bytes in parts): it was never completed nor aborted, holds storage, and no listing shows it",
			u.Initiated.UTC().Format(time.RFC3339), u.Size)}
	if age := d.now.Sub(u.Initiated); age < d.opt.MinTempAge {
		p.Fix, p.FixDetail = FixLeaveYoung, fmt.Sprintf("too young, left alone: %s old, a writer may still be at work", age.Round(time.Second))
	} else {
		p.FixDetail = "abort the upload (its parts were never an object)"
	}
	return p
}

// planFinding proposes the fix for a stray key (or folder of keys).
func (d *objDoctor) planFinding(ctx context.Context, f Finding) Problem {
	if f.Kind != FindingMisplaced {
		return planStray(f, d.now, d.opt.MinTempAge)
	}
	p := Problem{Path: f.Path, Kind: string(f.Kind), Detail: f.Detail, Fix: FixNone}
	id, isSide, target := misplacedKey(f.Path)
	p.ID = id
	p.Fix, p.FixDetail = d.planMove(ctx, f.Path, id, isSide, target)
	return p
}

// misplacedKey is the id of a misplaced key, whether it is a sidecar, and
// the key it belongs at.
func misplacedKey(key string) (ID, bool, string) {
	n := ParseName(path.Base(key), "")
	if n.Sidecar {
		return n.ID, true, sidecarKey(n.ID)
	}
	return n.ID, false, blobKey(n.ID)
}

// planMove decides what to do with a misplaced object.
func (d *objDoctor) planMove(ctx context.Context, key string, id ID, isSide bool, target string) (FixKind, string) {
	f := misplacedFacts{isSide: isSide, blobOnly: d.gen == GenBlobOnly}
	switch {
	case isSide && !f.blobOnly:
		data, err := d.s.readKey(ctx, key, MaxSidecarSize)
		m, derr := DecodeSidecar(data)
		f.sideBad = err != nil || derr != nil || m.ID != string(id)
	case !isSide:
		got, err := d.s.hashKey(ctx, key)
		f.readErr = err
		f.corrupt = err == nil && got != id
	}
	_, ok, err := d.s.stat(ctx, target)
	if err != nil {
		return FixNone, "cannot look at its place: " + err.Error()
	}
	if ok {
		f.targetExists = true
		role := RoleBlob
		if isSide {
			role = RoleSidecar
		}
		f.targetHealthy = d.s.healthyObject(ctx, BatchItem{ID: id, Role: role, Path: target})
	}
	return planMisplaced(path.Dir(target)+"/", f)
}

// hashKey hashes an object as a stream.
func (s *Objects) hashKey(ctx context.Context, key string) (ID, error) {
	r, _, err := s.b.Open(ctx, key, 0, -1)
	if err != nil {
		return "", err
	}
	defer r.Close()
	return hashReader(ctx, r)
}

// planAttachment proposes the fix for an attachment whose status is not
// ok (the folder's rules): an orphan sidecar goes, a sidecar where
// lashview writes none goes, else a sidecar is written from bytes that
// hash to their name.
func (d *objDoctor) planAttachment(ctx context.Context, a Attachment) Problem {
	p := Problem{ID: a.ID, Path: blobKey(a.ID), Kind: string(a.Status), Detail: a.Detail, Fix: FixNone}
	if a.Status != StatusMissingMeta {
		p.Path = sidecarKey(a.ID)
	}
	switch {
	case a.Status == StatusOrphanMeta:
		p.Fix, p.FixDetail = FixTrash, "move the sidecar to the Trash"
	case a.Status != StatusMissingMeta && d.gen == GenBlobOnly:
		p.Fix, p.FixDetail = FixTrash, blobOnlySidecar
	default:
		_, err := d.s.MetaFromBlob(ctx, a.ID)
		p.Fix, p.FixDetail = fixFromBytes(err, a.Status, func() *string { return d.s.readableLabel(ctx, a.ID) })
	}
	return p
}

// readableLabel is the label of the id's sidecar if any part of it can be
// read (Store.readableLabel for a folder).
func (s *Objects) readableLabel(ctx context.Context, id ID) *string {
	data, err := s.readKey(ctx, sidecarKey(id), MaxSidecarSize)
	if err != nil {
		return nil
	}
	return labelOf(data)
}

// recheck looks afresh at an attachment a stray fix touched.
func (d *objDoctor) recheck(ctx context.Context, id ID) (Problem, bool, error) {
	a, ok, err := d.s.Examine(ctx, id)
	if err != nil || !ok || a.Status == StatusOK {
		return Problem{}, false, err
	}
	p := d.planAttachment(ctx, a)
	p.Detail += " (after the stray keys were dealt with)"
	return p, true, nil
}

// keysAt lists the keys a finding covers: the key itself, or every key
// under a folder's path.
func (d *objDoctor) keysAt(ctx context.Context, p *Problem, dir bool) ([]Object, error) {
	if !dir {
		o, ok, err := d.s.stat(ctx, p.Path)
		if err != nil || !ok {
			return nil, err
		}
		return []Object{o}, nil
	}
	var objs []Object
	err := d.s.b.List(ctx, p.Path+"/", func(o Object) error {
		objs = append(objs, o)
		return nil
	})
	return objs, err
}

// applyFinding fixes one stray key (or folder of keys) as planned,
// re-checking it first.
func (d *objDoctor) applyFinding(ctx context.Context, p *Problem) {
	if u := p.upload; u != nil {
		if time.Since(u.Initiated) < d.opt.MinTempAge {
			p.Outcome = "begun too recently: left alone"
			return
		}
		if err := d.s.b.(Uploads).Abort(ctx, *u); err != nil {
			p.Err = err
			return
		}
		p.Fixed, p.Outcome = true, "aborted the unfinished upload"
		return
	}
	dir := p.Kind == string(FindingSessionTree) || (p.Kind == string(FindingForeign) && !d.isKey(ctx, p.Path))
	objs, err := d.keysAt(ctx, p, dir)
	if err != nil {
		p.Err = err
		return
	}
	if len(objs) == 0 {
		p.Outcome = "gone already: nothing to do"
		return
	}
	switch p.Kind {
	case string(FindingTempLitter):
		if age := time.Since(objs[0].ModTime); age < d.opt.MinTempAge {
			p.Outcome = "written to since the scan: left alone"
			return
		}
		d.trash(ctx, p, objs, "", RoleOther)
	case string(FindingForeign), string(FindingSessionTree):
		d.trash(ctx, p, objs, "", RoleOther)
	case string(FindingMisplaced):
		id, isSide, target := misplacedKey(p.Path)
		role := RoleBlob
		if isSide {
			role = RoleSidecar
		}
		fix, detail := d.planMove(ctx, p.Path, id, isSide, target)
		switch fix {
		case FixTrash, FixTrashCorrupt:
			d.trash(ctx, p, objs, id, role)
		case FixMove:
			if _, ok, err := d.s.stat(ctx, target); err != nil {
				p.Err = err
				return
			} else if ok {
				if err := d.w.trash(ctx, target, id, role); err != nil {
					p.Err = err
					return
				}
			}
			if err := d.w.move(ctx, p.Path, target, id, role); err != nil {
				p.Err = err
				return
			}
			p.Fixed, p.Outcome = true, "moved to "+target
		default:
			p.Outcome = detail
		}
	}
}

// isKey reports whether path is an object's key (else it names a folder).
func (d *objDoctor) isKey(ctx context.Context, key string) bool {
	_, ok, err := d.s.stat(ctx, key)
	return err == nil && ok
}

// trash moves the objects into the trash area as part of the batch.
func (d *objDoctor) trash(ctx context.Context, p *Problem, objs []Object, id ID, role Role) {
	items := make([]BatchItem, len(objs))
	for i, o := range objs {
		items[i] = BatchItem{Action: ActionTrash, ID: id, Role: role, Path: o.Key, Trashed: trashKey(d.w.batch.Serial, o.Key)}
	}
	first, err := d.w.plan(ctx, items...)
	if err != nil {
		p.Err = err
		return
	}
	var errs []error
	for i := range items {
		if _, err := d.w.trashItem(ctx, first+i); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		p.Err = err
		return
	}
	where := d.w.batch.Items[first].Trashed
	if len(objs) > 1 {
		where = d.s.b.Where(trashKey(d.w.batch.Serial, p.Path))
	}
	p.Fixed, p.Outcome = true, "moved to the trash area as "+where
}

// repair fixes one attachment from its state now.
func (d *objDoctor) repair(ctx context.Context, p *Problem) { repairAttachment(ctx, d, p) }

// The parts of repairAttachment over a Backend.
func (d *objDoctor) examine(ctx context.Context, id ID) (Attachment, bool, error) {
	return d.s.Examine(ctx, id)
}
func (d *objDoctor) blobOnly() bool { return d.gen == GenBlobOnly }
func (d *objDoctor) metaFromBlob(ctx context.Context, id ID) (Sidecar, error) {
	return d.s.MetaFromBlob(ctx, id)
}
func (d *objDoctor) keptLabel(ctx context.Context, id ID) *string { return d.s.readableLabel(ctx, id) }
func (d *objDoctor) trashPart(ctx context.Context, id ID, role Role) (string, error) {
	key := blobKey(id)
	if role == RoleSidecar {
		key = sidecarKey(id)
	}
	if err := d.w.trash(ctx, key, id, role); err != nil {
		return "", err
	}
	return trashKey(d.w.batch.Serial, key), nil
}
func (d *objDoctor) writeMeta(ctx context.Context, id ID, meta Sidecar) error {
	return d.w.writeSidecar(ctx, id, meta)
}
func (d *objDoctor) trashName() string { return "the trash area" }
