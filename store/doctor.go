package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// FixKind names the repair doctor proposes for a problem.
type FixKind string

// The repairs doctor knows. Every one that changes the store is recoverable:
// what it removes or replaces goes to the Trash, and the batch can be undone.
const (
	FixNone           FixKind = "none"            // report only: a person decides
	FixLeaveYoung     FixKind = "leave_young"     // a temp younger than MinTempAge: a writer may still be at work
	FixTrash          FixKind = "trash"           // move it to the Trash
	FixTrashCorrupt   FixKind = "trash_corrupt"   // the blob does not hash to its name: blob and sidecar to the Trash
	FixMove           FixKind = "move"            // move it into its prefix folder
	FixWriteSidecar   FixKind = "write_sidecar"   // write the missing sidecar from the bytes
	FixReplaceSidecar FixKind = "replace_sidecar" // trash the sidecar, write one from the bytes, keeping a readable label
	FixAbortUpload    FixKind = "abort_upload"    // a bucket's unfinished multipart upload: abort it (its parts were never an object)
)

// Changes reports whether the fix changes the store.
func (f FixKind) Changes() bool { return f != FixNone && f != FixLeaveYoung }

// Problem is one thing doctor found, with the fix it proposes and, after a
// --fix, what was done.
type Problem struct {
	// ID is the attachment the problem is about, when it is about one.
	ID ID
	// Path is the file or folder, relative to the store root (sha256/...).
	Path string
	// Kind is a FindingKind (for a stray path) or a Status (for an
	// attachment).
	Kind string
	// Detail says what is wrong, in words.
	Detail string
	// Fix and FixDetail are the proposed repair.
	Fix       FixKind
	FixDetail string
	// Fixed, Outcome and Err say what applying the fix did.
	Fixed   bool
	Outcome string
	Err     error

	// upload is the unfinished multipart upload a bucket's problem is.
	upload *Upload
}

// DoctorOptions tune Doctor.
type DoctorOptions struct {
	// Fix applies the proposed fixes; without it Doctor only reports.
	Fix bool
	// Only, when not empty, limits the fixes applied to the problems at
	// these paths (Problem.Path); the others are still reported. The window's
	// "Fix selected" uses it.
	Only []string
	// Can is the Trash fixes move files to; nil means DefaultTrashCan().
	Can *TrashCan
	// MinTempAge is how old a temp file must be before doctor trashes it
	// (default one minute): a younger one may belong to a write in progress.
	MinTempAge time.Duration
	// Progress, when set, is called after each fix with the count done and
	// the total.
	Progress func(done, total int)
}

// DoctorReport is what Doctor found and did.
type DoctorReport struct {
	Problems []Problem
	// Batch is the undoable record of the changes a --fix made (nil when
	// nothing was changed). Restore with no ids undoes it.
	Batch *Batch
}

// NeedsCare reports whether any problem was found.
func (r *DoctorReport) NeedsCare() bool { return len(r.Problems) > 0 }

// Failed reports whether a fix that was tried went wrong.
func (r *DoctorReport) Failed() bool {
	for _, p := range r.Problems {
		if p.Err != nil {
			return true
		}
	}
	return false
}

// Doctor lists what needs care in the store (the scan's stray paths and the
// attachments whose status is not ok), each with the fix it proposes, and
// with opt.Fix applies them. Fixes never delete: removed and replaced files
// go to the Trash, and the whole run is one batch that Restore can undo.
// Symbolic links and foreign files are reported only. A sidecar in a newer
// form that lash reads is healthy and left alone. Doctor works from the
// listing: a blob that hashes wrong but has an agreeing sidecar is verify's
// to report, except that no sidecar is ever written for such a blob.
func (s *Store) Doctor(ctx context.Context, opt DoctorOptions) (*DoctorReport, error) {
	if opt.MinTempAge <= 0 {
		opt.MinTempAge = time.Minute
	}
	res, err := s.Scan(ctx, ScanOptions{})
	if err != nil {
		return nil, err
	}
	d := &doctor{s: s, opt: opt, now: time.Now()}
	d.rep.Problems, err = planProblems(ctx, res, d.planFinding, d.planAttachment)
	if err != nil {
		return nil, err
	}
	sortProblems(d.rep.Problems)
	if !opt.Fix {
		return &d.rep, nil
	}
	can := opt.Can
	if can == nil {
		can = DefaultTrashCan()
	}
	d.bw = s.newBatchWriter(can, "doctor --fix")
	err = applyPlan(ctx, &d.rep, opt, d)
	if cerr := d.bw.commit(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if len(d.bw.batch.Items) > 0 {
		d.rep.Batch = d.bw.batch
	}
	return &d.rep, err
}

// planProblems is a doctor's plan for what a scan found, folder or
// Backend: a problem for each stray path, and one for each attachment whose
// status is not ok.
func planProblems(ctx context.Context, res *ScanResult, planFinding func(Finding) Problem, planAttachment func(Attachment) Problem) ([]Problem, error) {
	var probs []Problem
	for _, f := range res.Findings {
		probs = append(probs, planFinding(f))
	}
	for _, a := range res.Attachments {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if a.Status == StatusOK || a.Status == StatusSymlink {
			// A symbolic link is reported once, as the stray path it is.
			continue
		}
		probs = append(probs, planAttachment(a))
	}
	return probs, nil
}

// isFinding reports whether a problem is about a stray path rather than an
// attachment.
func isFinding(p Problem) bool {
	switch FindingKind(p.Kind) {
	case FindingTempLitter, FindingMisplaced, FindingSymlink, FindingForeign, FindingSessionTree:
		return true
	}
	return false
}

// sortProblems orders stray paths by path (as the scan lists them), then
// attachments by id.
func sortProblems(p []Problem) {
	sort.SliceStable(p, func(i, j int) bool {
		fi, fj := isFinding(p[i]), isFinding(p[j])
		switch {
		case fi != fj:
			return fi
		case fi:
			return p[i].Path < p[j].Path
		}
		return p[i].ID < p[j].ID
	})
}

// blobOnlySidecar is the fix for a sidecar name in a store that newer lash
// writes without sidecars.
const blobOnlySidecar = "newer lash writes this store without sidecars and deletes this file as an unreferenced blob: move it to the Trash (the blob stays)"

// doctor holds one run's state.
type doctor struct {
	s   *Store
	opt DoctorOptions
	now time.Time
	rep DoctorReport
	bw  *batchWriter
}

func (d *doctor) abs(rel string) string { return filepath.Join(d.s.root, filepath.FromSlash(rel)) }

func (d *doctor) rel(abs string) string {
	r, err := filepath.Rel(d.s.root, abs)
	if err != nil {
		return abs
	}
	return filepath.ToSlash(r)
}

// blockerID returns the id whose blob or sidecar name a non-file occupies
// (a folder or a special file), or "".
func blockerID(f Finding) ID {
	if f.Kind != FindingForeign {
		return ""
	}
	parts := strings.Split(f.Path, "/")
	if len(parts) != 3 {
		return ""
	}
	if n := ParseName(parts[2], parts[1]); n.Kind == NameBlob || n.Kind == NameSidecar {
		return n.ID
	}
	return ""
}

// misplacedTarget returns the id of a misplaced file, whether it is a
// sidecar, and where it belongs.
func (d *doctor) misplacedTarget(rel string) (ID, bool, string) {
	n := ParseName(filepath.Base(rel), "")
	id, isSide := n.ID, n.Sidecar
	if isSide {
		return id, true, d.s.layout.Sidecar(id)
	}
	return id, false, d.s.layout.Blob(id)
}

// planFinding proposes the fix for a stray path.
func (d *doctor) planFinding(f Finding) Problem {
	if f.Kind != FindingMisplaced {
		return planStray(f, d.now, d.opt.MinTempAge)
	}
	p := Problem{Path: f.Path, Kind: string(f.Kind), Detail: f.Detail, Fix: FixNone}
	id, isSide, target := d.misplacedTarget(f.Path)
	p.ID = id
	p.Fix, p.FixDetail = d.planMove(d.abs(f.Path), id, isSide, target)
	return p
}

// planStray proposes the fix for a stray path that is not a misplaced
// attachment file, whatever holds the store: old temp litter, a thing in
// the place of an attachment's file and a per-session tree go to the
// Trash; other foreign paths and links are a person's to decide.
func planStray(f Finding, now time.Time, minTempAge time.Duration) Problem {
	p := Problem{Path: f.Path, Kind: string(f.Kind), Detail: f.Detail, Fix: FixNone}
	switch f.Kind {
	case FindingTempLitter:
		if age := now.Sub(f.ModTime); age < minTempAge {
			p.Fix, p.FixDetail = FixLeaveYoung, fmt.Sprintf("too young, left alone: %s old, a writer may still be at work", age.Round(time.Second))
		} else {
			p.Fix, p.FixDetail = FixTrash, "move it to the Trash"
		}
	case FindingForeign:
		if id := blockerID(f); id != "" {
			p.ID = id
			p.Fix, p.FixDetail = FixTrash, "move it to the Trash, then repair the attachment"
		} else {
			p.FixDetail = "report only: not lash's; a person decides"
		}
	case FindingSymlink:
		p.FixDetail = "report only: lashview never follows a link; a person decides"
	case FindingSessionTree:
		p.Fix, p.FixDetail = FixTrash, "no lash reads it: move the whole tree to the Trash"
	}
	return p
}

// misplacedFacts is what was found of a misplaced attachment file and of
// the place it belongs.
type misplacedFacts struct {
	isSide, blobOnly bool
	// sideBad: a sidecar lash does not read for the id.
	sideBad bool
	// readErr: the blob could not be read; corrupt: it hashes to another id.
	readErr error
	corrupt bool
	// what is in the file's own place
	targetExists, targetLink, targetHealthy bool
}

// planMisplaced decides what to do with a misplaced file from the facts,
// whatever holds the store; where is its own prefix folder.
func planMisplaced(where string, f misplacedFacts) (FixKind, string) {
	switch {
	case f.isSide && f.blobOnly:
		return FixTrash, blobOnlySidecar
	case f.isSide && f.sideBad:
		return FixTrash, "not a sidecar lash reads for this id: move it to the Trash"
	case !f.isSide && f.readErr != nil:
		return FixNone, "cannot be read: " + f.readErr.Error()
	case !f.isSide && f.corrupt:
		return FixTrashCorrupt, "the bytes do not hash to the name (corrupt): move it to the Trash"
	case !f.targetExists:
		return FixMove, "move it into " + where
	case f.targetLink:
		return FixNone, "its place in " + where + " is a symbolic link: a person decides"
	case f.targetHealthy:
		return FixTrash, "a healthy copy is already in " + where + ": move this one to the Trash"
	}
	return FixMove, "move what is in its place in " + where + " to the Trash, and move it there"
}

// planMove decides what to do with a misplaced file at path.
func (d *doctor) planMove(path string, id ID, isSide bool, target string) (FixKind, string) {
	f := misplacedFacts{isSide: isSide, blobOnly: d.s.Writes() == GenBlobOnly}
	switch {
	case isSide && !f.blobOnly:
		m, err := decodeSidecarFile(path)
		f.sideBad = err != nil || m.ID != string(id)
	case !isSide:
		got, _, err := HashFile(path)
		if err != nil {
			f.readErr = cause(err)
		}
		f.corrupt = err == nil && got != id
	}
	if fi, err := os.Lstat(target); err == nil {
		f.targetExists = true
		f.targetLink = fi.Mode()&fs.ModeSymlink != 0
		f.targetHealthy = !f.targetLink && d.healthyTarget(target, id, isSide)
	}
	return planMisplaced(d.rel(filepath.Dir(target))+"/", f)
}

// healthyTarget reports whether the file at an attachment's own path is
// healthy: a blob that hashes to its id, or a sidecar lash reads for it.
func (d *doctor) healthyTarget(path string, id ID, isSide bool) bool {
	role := RoleBlob
	if isSide {
		role = RoleSidecar
	}
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return d.s.healthyAt(BatchItem{ID: id, Role: role, Path: path})
}

// planAttachment proposes the fix for an attachment whose status is not
// ok. Blobs are hashed here: a sidecar is only ever written for bytes that
// hash to their name.
func (d *doctor) planAttachment(a Attachment) Problem {
	p := Problem{ID: a.ID, Path: d.rel(d.s.layout.Blob(a.ID)), Kind: string(a.Status), Detail: a.Detail, Fix: FixNone}
	if a.Status != StatusMissingMeta {
		// The sidecar is what is wrong (or all that is there).
		p.Path = d.rel(d.s.layout.Sidecar(a.ID))
	}
	if a.Status == StatusOrphanMeta {
		p.Fix, p.FixDetail = FixTrash, "move the sidecar to the Trash"
		return p
	}
	if a.Status != StatusMissingMeta && d.s.Writes() == GenBlobOnly {
		p.Fix, p.FixDetail = FixTrash, blobOnlySidecar
		return p
	}
	p.Fix, p.FixDetail = d.planFromBytes(a.ID, a.Status)
	return p
}

// planFromBytes proposes the repair for a blob whose sidecar is missing,
// unreadable or disagrees.
func (d *doctor) planFromBytes(id ID, st Status) (FixKind, string) {
	_, err := d.s.MetaFromBlob(id)
	return fixFromBytes(err, st, func() *string { return d.s.readableLabel(id) })
}

// fixFromBytes is the repair of a blob whose sidecar is missing (st
// StatusMissingMeta), unreadable or disagrees, from what describing its
// bytes (MetaFromBlob) gave; label reads the label to keep.
func fixFromBytes(err error, st Status, label func() *string) (FixKind, string) {
	switch {
	case errors.Is(err, ErrCorrupt):
		return FixTrashCorrupt, "the bytes do not hash to the name (corrupt, not repairable): move blob and sidecar to the Trash"
	case errors.Is(err, ErrNotImage):
		return FixNone, "the bytes are not " + AcceptedTypes + ", so no sidecar can be written: a person decides"
	case err != nil:
		return FixNone, "cannot repair: " + err.Error()
	case st == StatusMissingMeta:
		return FixWriteSidecar, "write the sidecar from the bytes"
	}
	if l := label(); l != nil {
		return FixReplaceSidecar, fmt.Sprintf("move the sidecar to the Trash and write one from the bytes, keeping the label %q", *l)
	}
	return FixReplaceSidecar, "move the sidecar to the Trash and write one from the bytes (no label could be read)"
}

// doctorRun is what applying a doctor's plan needs of one run, over a
// folder (doctor) or a Backend (objDoctor): the fix of one stray path, the
// repair of one attachment from its state now, and a fresh look at an
// attachment a stray fix touched (the problem it has now, if any).
type doctorRun interface {
	applyFinding(ctx context.Context, p *Problem)
	repair(ctx context.Context, p *Problem)
	recheck(ctx context.Context, id ID) (Problem, bool, error)
}

// applyPlan carries out the plan in rep in an order where each step finds
// the state it expects: stray paths first (temps, things in the way,
// misplaced files), then each attachment, looked at afresh, then the
// attachments the stray fixes touched. opt.Only and opt.Progress are
// honoured.
func applyPlan(ctx context.Context, rep *DoctorReport, opt DoctorOptions, run doctorRun) error {
	total := 0
	for i := range rep.Problems {
		if p := &rep.Problems[i]; p.Fix.Changes() && opt.chosen(p) {
			total++
		}
	}
	done := 0
	step := func() {
		done++
		if opt.Progress != nil {
			opt.Progress(done, max(done, total))
		}
	}
	touched := map[ID]bool{}
	var attachments []int
	for i := range rep.Problems {
		p := &rep.Problems[i]
		if err := ctx.Err(); err != nil {
			return err
		}
		if !p.Fix.Changes() || !opt.chosen(p) {
			continue
		}
		if isFinding(*p) {
			run.applyFinding(ctx, p)
			if p.ID != "" {
				touched[p.ID] = true
			}
			step()
			continue
		}
		attachments = append(attachments, i)
	}
	for _, i := range attachments {
		p := &rep.Problems[i]
		if err := ctx.Err(); err != nil {
			return err
		}
		delete(touched, p.ID)
		run.repair(ctx, p)
		step()
	}
	// Moving or clearing a path can leave an attachment that still needs a
	// sidecar (a blob moved in without one): look at each once more.
	ids := make([]ID, 0, len(touched))
	for id := range touched {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		p, ok, err := run.recheck(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if p.Fix.Changes() {
			run.repair(ctx, &p)
		}
		rep.Problems = append(rep.Problems, p)
	}
	return ctx.Err()
}

// chosen reports whether o.Only lets p be fixed.
func (o DoctorOptions) chosen(p *Problem) bool {
	return len(o.Only) == 0 || slices.Contains(o.Only, p.Path)
}

// recheck looks afresh at an attachment a stray fix touched.
func (d *doctor) recheck(_ context.Context, id ID) (Problem, bool, error) {
	a, ok := d.s.Examine(id)
	if !ok || a.Status == StatusOK || a.Status == StatusSymlink {
		return Problem{}, false, nil
	}
	p := d.planAttachment(a)
	p.Detail += " (after the stray files were dealt with)"
	return p, true, nil
}

// applyFinding fixes one stray path as planned, re-checking it first.
func (d *doctor) applyFinding(_ context.Context, p *Problem) {
	path := d.abs(p.Path)
	fi, err := os.Lstat(path)
	if err != nil {
		p.Outcome = "gone already: nothing to do"
		return
	}
	switch p.Kind {
	case string(FindingTempLitter):
		if age := time.Since(fi.ModTime()); age < d.opt.MinTempAge {
			p.Outcome = "written to since the scan: left alone"
			return
		}
		d.trash(p, path, "", RoleOther)
	case string(FindingForeign), string(FindingSessionTree):
		d.trash(p, path, "", RoleOther)
	case string(FindingMisplaced):
		id, isSide, target := d.misplacedTarget(p.Path)
		role := RoleBlob
		if isSide {
			role = RoleSidecar
		}
		fix, detail := d.planMove(path, id, isSide, target)
		switch fix {
		case FixTrash, FixTrashCorrupt:
			d.trash(p, path, id, role)
		case FixMove:
			if _, err := os.Lstat(target); err == nil {
				if err := d.bw.trash(target, id, role); err != nil {
					p.Err = err
					return
				}
			}
			if err := d.bw.move(path, target, id, role); err != nil {
				p.Err = err
				return
			}
			p.Fixed, p.Outcome = true, "moved to "+d.rel(target)
		default:
			p.Outcome = detail
		}
	}
}

func (d *doctor) trash(p *Problem, path string, id ID, role Role) {
	if err := d.bw.trash(path, id, role); err != nil {
		p.Err = err
		return
	}
	it := d.bw.batch.Items[len(d.bw.batch.Items)-1]
	p.Fixed, p.Outcome = true, "moved to the Trash as "+it.Trashed
}

// repair fixes one attachment from its state now (the plan was made from
// the scan; a stray-path fix or another process may have changed it).
func (d *doctor) repair(ctx context.Context, p *Problem) { repairAttachment(ctx, d, p) }

// The parts of repairAttachment over a folder.
func (d *doctor) examine(_ context.Context, id ID) (Attachment, bool, error) {
	a, ok := d.s.Examine(id)
	return a, ok, nil
}
func (d *doctor) blobOnly() bool { return d.s.Writes() == GenBlobOnly }
func (d *doctor) metaFromBlob(_ context.Context, id ID) (Sidecar, error) {
	return d.s.MetaFromBlob(id)
}
func (d *doctor) keptLabel(_ context.Context, id ID) *string { return d.s.readableLabel(id) }
func (d *doctor) trashPart(_ context.Context, id ID, role Role) (string, error) {
	path := d.s.layout.Blob(id)
	if role == RoleSidecar {
		path = d.s.layout.Sidecar(id)
	}
	if err := d.bw.trash(path, id, role); err != nil {
		return "", err
	}
	return d.bw.batch.Items[len(d.bw.batch.Items)-1].Trashed, nil
}
func (d *doctor) writeMeta(_ context.Context, id ID, meta Sidecar) error {
	return d.bw.writeSidecar(id, meta)
}
func (d *doctor) trashName() string { return "the Trash" }

// attachmentRepairer is what repairing one attachment needs of a doctor's
// run, over a folder or a Backend: its state now, the store's generation,
// the sidecar its bytes describe, the label to keep, the trashing of its
// blob or sidecar (saying where it went), the writing of a sidecar, and
// the trash's name in words.
type attachmentRepairer interface {
	examine(ctx context.Context, id ID) (Attachment, bool, error)
	blobOnly() bool
	metaFromBlob(ctx context.Context, id ID) (Sidecar, error)
	keptLabel(ctx context.Context, id ID) *string
	trashPart(ctx context.Context, id ID, role Role) (string, error)
	writeMeta(ctx context.Context, id ID, meta Sidecar) error
	trashName() string
}

// repairAttachment fixes one attachment from its state now: an orphan
// sidecar, or one where the store is written without sidecars, goes to the
// trash; a corrupt blob goes with its sidecar; else a sidecar is written
// from the bytes, the old one (its readable label kept) trashed first.
func repairAttachment(ctx context.Context, r attachmentRepairer, p *Problem) {
	id := p.ID
	a, ok, err := r.examine(ctx, id)
	if err != nil {
		p.Err = err
		return
	}
	if !ok {
		p.Outcome = "gone already: nothing to do"
		return
	}
	trash := r.trashName()
	trashSidecar := func() {
		where, err := r.trashPart(ctx, id, RoleSidecar)
		if err != nil {
			p.Err = err
			return
		}
		p.Fixed, p.Outcome = true, "moved to "+trash+" as "+where
	}
	switch a.Status {
	case StatusOK:
		p.Outcome = "healthy now: nothing to do"
		return
	case StatusSymlink:
		p.Outcome = "a symbolic link now: left for a person to decide"
		return
	case StatusOrphanMeta:
		trashSidecar()
		return
	}
	if r.blobOnly() {
		// Never a sidecar where newer lash writes: one in the way goes.
		if a.HasSidecar {
			trashSidecar()
		} else {
			p.Outcome = "the store is written without sidecars: nothing to write"
		}
		return
	}
	meta, err := r.metaFromBlob(ctx, id)
	switch {
	case errors.Is(err, ErrCorrupt):
		if _, err := r.trashPart(ctx, id, RoleBlob); err != nil {
			p.Err = err
			return
		}
		if a.HasSidecar {
			if _, err := r.trashPart(ctx, id, RoleSidecar); err != nil {
				p.Err = err
				return
			}
		}
		p.Fixed, p.Outcome = true, "corrupt: moved to "+trash
		return
	case err != nil:
		p.Outcome = "not repaired: " + err.Error()
		return
	}
	if a.Status != StatusMissingMeta {
		meta.Label = r.keptLabel(ctx, id)
		if _, err := r.trashPart(ctx, id, RoleSidecar); err != nil {
			p.Err = err
			return
		}
	}
	if err := r.writeMeta(ctx, id, meta); err != nil {
		p.Err = err
		return
	}
	p.Fixed = true
	if a.Status == StatusMissingMeta {
		p.Outcome = "wrote the sidecar from the bytes"
	} else {
		p.Outcome = "the old sidecar is in " + trash + "; wrote one from the bytes"
	}
}
