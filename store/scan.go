package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// Status is what a listing (no hashing) says of an attachment.
type Status string

// The attachment statuses of the fixture README.
const (
	StatusOK           Status = "ok"            // blob and a sidecar lash can read, which agree; or a blob-only blob
	StatusMissingMeta  Status = "missing_meta"  // blob, no sidecar, in a store of the sidecar generation
	StatusOrphanMeta   Status = "orphan_meta"   // sidecar, no blob
	StatusBadMeta      Status = "bad_meta"      // a sidecar lash cannot decode
	StatusMetaMismatch Status = "meta_mismatch" // sidecar decodes but its id or byte_len disagrees
	StatusSymlink      Status = "symlink"       // the blob (or sidecar) is a symbolic link
)

// Explain is a sentence for a person about what the status means.
func (s Status) Explain() string {
	switch s {
	case StatusOK:
		return "Healthy: lash can read it (the blob, and its sidecar where the store keeps sidecars)."
	case StatusMissingMeta:
		return "The blob has no sidecar in a store of the sidecar generation (lash alpha.43–86): a crash between the two writes; lash's get fails with MissingMeta."
	case StatusOrphanMeta:
		return "The sidecar has no blob (the blob was deleted); lash's get fails with NotFound."
	case StatusBadMeta:
		return "The sidecar cannot be read by lash (not JSON, wrong shape or an unknown media type); lash's get fails with MetadataDecode."
	case StatusMetaMismatch:
		return "The sidecar's id or byte length disagrees with the blob it sits beside."
	case StatusSymlink:
		return "The blob is a symbolic link; lashview neither follows nor serves it."
	}
	return string(s)
}

// FindingKind classifies a stray path: something in sha256/ that is not a
// healthy blob or sidecar in its prefix folder.
type FindingKind string

// The finding kinds of the fixture README.
const (
	FindingTempLitter FindingKind = "temp_litter" // *.tmp, *.staging.*
	FindingMisplaced  FindingKind = "misplaced"   // a valid id outside its prefix folder
	FindingSymlink    FindingKind = "symlink"     // a symbolic link
	FindingForeign    FindingKind = "foreign"     // anything else
)

// Finding is a stray path. Path is relative to the store root, with forward
// slashes (sha256/ab/...). A finding on a folder covers everything inside.
type Finding struct {
	Path    string
	Kind    FindingKind
	Detail  string
	Dir     bool      // the path is a folder
	ModTime time.Time // of the path itself (not followed)
	Size    int64     // bytes held, for a folder lash no longer reads (0 otherwise)
}

// Attachment is one id found in the store with what a listing knows of it.
type Attachment struct {
	ID     ID
	Status Status
	// Detail says why the status is not ok, in words.
	Detail string
	// Meta is the decoded sidecar, nil when there is none or it is bad.
	Meta *Sidecar
	// HasBlob and HasSidecar say which of the two files exist (as files).
	HasBlob, HasSidecar bool
	// Size is the blob's length in bytes (the sidecar's byte_len without one).
	Size int64
	// Modified is the blob's mtime (the sidecar's when there is no blob).
	Modified time.Time
	// MediaType, Width, Height and Label are what a person should be shown:
	// from the sidecar, or sniffed from the blob's header when the sidecar is
	// missing or unreadable. Width and Height are 0 when unknown.
	MediaType     MediaType
	Width, Height int
	Label         *string
	// MIME is the media type as a MIME name: the image type's, or for a
	// blob-only attachment of another kind (lash alpha.111 stores any
	// file) what its bytes are sniffed as; "" when nothing could be read.
	MIME string
	// Generation is the format the attachment is stored in: the sidecar
	// generation when it has (or, in a sidecar store, lacks) a sidecar,
	// blob-only for a blob that newer lash wrote without one.
	Generation Generation
}

// Reference is the string lash's sessions record for the attachment, in
// the form of its generation.
func (a *Attachment) Reference() string { return a.Generation.Reference(a.ID) }

// DisplayLabel is the label, or the id's first 12 characters without one.
func (a *Attachment) DisplayLabel() string {
	if a.Label != nil && strings.TrimSpace(*a.Label) != "" {
		return *a.Label
	}
	return a.ID.Short()
}

// Same reports whether two examinations of an id say the same thing, the
// decoded sidecar aside: everything a sidecar says that can change shows in
// the other fields too (label, type and pixels, or the status and its
// detail when it disagrees with the blob). Labels compare by value and
// times by instant; DeepEqual keeps it right when Attachment gains fields.
func (a Attachment) Same(b Attachment) bool {
	a.Meta, b.Meta = nil, nil
	a.Modified, b.Modified = a.Modified.Round(0).UTC(), b.Modified.Round(0).UTC()
	return reflect.DeepEqual(a, b)
}

// ScanResult is a whole listing of a store.
type ScanResult struct {
	Attachments []Attachment // sorted newest first, then by id
	Findings    []Finding    // sorted by path
}

// ScanOptions tune Scan.
type ScanOptions struct {
	// Workers is how many prefix folders are read at once (default 8: the
	// work is I/O and syscalls, not CPU).
	Workers int
	// Progress, when set, is called after each prefix folder with the count
	// of folders done and their total.
	Progress func(done, total int)
}

// Scan lists every attachment and every stray path in the store. It only
// reads: nothing on disk changes. It never follows a symbolic link. A store
// root without sha256/ is an empty store; a root that does not exist is an
// error.
func (s *Store) Scan(ctx context.Context, opt ScanOptions) (*ScanResult, error) {
	dir := s.layout.Dir()
	if err := s.checkRoot(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &ScanResult{}, nil
	}
	if err != nil {
		return nil, &Error{Kind: ErrIo, Path: dir, Err: cause(err)}
	}
	res := &ScanResult{}
	var prefixes []string
	for _, e := range entries {
		name := e.Name()
		rel := "sha256/" + name
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			res.Findings = append(res.Findings, s.finding(rel, FindingSymlink, "a symbolic link; lashview does not follow it", false))
		case e.IsDir() && len(name) == 2:
			prefixes = append(prefixes, name)
		case e.IsDir():
			res.Findings = append(res.Findings, s.finding(rel, FindingForeign, "a folder that is not a prefix folder", true))
		default:
			res.Findings = append(res.Findings, s.finding(rel, classifyStray(name, ""), strayDetail(name, ""), false))
		}
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = 8
	}
	workers = min(workers, max(1, len(prefixes)), 4*runtime.GOMAXPROCS(0))
	type part struct {
		atts  []Attachment
		finds []Finding
		err   error
	}
	parts := make([]part, len(prefixes))
	// Every prefix folder is read; the first error in their order is the one
	// returned.
	err = forEach(ctx, len(prefixes), workers, func(i int) error {
		a, f, err := s.scanPrefix(prefixes[i])
		parts[i] = part{a, f, err}
		return nil
	}, opt.Progress)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, p := range parts {
		if p.err != nil {
			return nil, p.err
		}
		n += len(p.atts)
	}
	res.Attachments = make([]Attachment, 0, n)
	for _, p := range parts {
		res.Attachments = append(res.Attachments, p.atts...)
		res.Findings = append(res.Findings, p.finds...)
	}
	s.rejudge(res.Attachments, res.Findings)
	res.Findings = append(res.Findings, s.sessionTrees()...)
	SortNewest(res.Attachments)
	sort.Slice(res.Findings, func(i, j int) bool { return res.Findings[i].Path < res.Findings[j].Path })
	return res, nil
}

// rejudge corrects what is known of the store's sidecars from a whole
// listing, and with it the generation of every blob without a sidecar (the
// prefix folders were judged on what was known before).
func (s *Store) rejudge(atts []Attachment, finds []Finding) {
	var side, blob bool
	for i := range atts {
		side = side || atts[i].HasSidecar || atts[i].Meta != nil
		blob = blob || atts[i].HasBlob
	}
	for _, f := range finds {
		// A link or a folder under a sidecar's name counts, as it does for
		// lookForSidecar, which reads names only.
		dir, name := path.Split(f.Path)
		prefix, _ := strings.CutPrefix(strings.TrimSuffix(dir, "/"), "sha256/")
		side = side || ParseName(name, prefix).Kind == NameSidecar
	}
	s.setContents(side, blob)
	g := s.Sidecarless()
	for i := range atts {
		a := &atts[i]
		if a.HasBlob && !a.HasSidecar && a.Status != StatusSymlink && a.Generation != g {
			a.judgeSidecarless(g)
		}
	}
}

// SortNewest orders attachments newest first, ties by id.
func SortNewest(a []Attachment) {
	sort.Slice(a, func(i, j int) bool {
		if !a[i].Modified.Equal(a[j].Modified) {
			return a[i].Modified.After(a[j].Modified)
		}
		return a[i].ID < a[j].ID
	})
}

func (s *Store) finding(rel string, k FindingKind, detail string, dir bool) Finding {
	f := Finding{Path: rel, Kind: k, Detail: detail, Dir: dir}
	if fi, err := os.Lstat(filepath.Join(s.root, filepath.FromSlash(rel))); err == nil {
		f.ModTime = fi.ModTime()
	}
	return f
}

// Stray says what a name that is not a blob or sidecar of its prefix
// folder is, and why, in words: prefix is the folder it lies in ("" for
// sha256/ itself). A bucket's listing reports its keys with it.
func Stray(name, prefix string) (FindingKind, string) {
	return classifyStray(name, prefix), strayDetail(name, prefix)
}

// classifyStray names what a file that is not a blob or sidecar of its
// folder is. prefix is the folder it lies in ("" for sha256/ itself).
func classifyStray(name, prefix string) FindingKind {
	switch ParseName(name, prefix).Kind {
	case NameTemp:
		return FindingTempLitter
	case NameMisplaced:
		return FindingMisplaced
	}
	return FindingForeign
}

func strayDetail(name, prefix string) string {
	switch classifyStray(name, prefix) {
	case FindingTempLitter:
		return "a temporary file left by an interrupted write"
	case FindingMisplaced:
		return "a valid attachment file outside its prefix folder " + name[:2] + "/"
	}
	return "not a file of the lash store"
}

// scanPrefix lists one prefix folder.
func (s *Store) scanPrefix(prefix string) ([]Attachment, []Finding, error) {
	dirPath := filepath.Join(s.layout.Dir(), prefix)
	dir, err := os.Open(dirPath)
	var entries []fs.DirEntry
	if err == nil {
		defer dir.Close()
		entries, err = dir.ReadDir(-1)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Removed while we listed: it holds nothing now.
			return nil, nil, nil
		}
		return nil, []Finding{s.finding("sha256/"+prefix, FindingForeign, "a folder lashview may not read: "+cause(err).Error(), true)}, nil
	}
	type pair struct {
		blob, side       fs.DirEntry
		blobBad, sideBad string // why a name that belongs to the id is not usable
	}
	pairs := map[ID]*pair{}
	get := func(id ID) *pair {
		p := pairs[id]
		if p == nil {
			p = &pair{}
			pairs[id] = p
		}
		return p
	}
	var finds []Finding
	for _, e := range entries {
		name := e.Name()
		rel := "sha256/" + prefix + "/" + name
		isLink := e.Type()&fs.ModeSymlink != 0
		if n := ParseName(name, prefix); n.Kind == NameBlob || n.Kind == NameSidecar {
			id, isSide := n.ID, n.Kind == NameSidecar
			p := get(id)
			switch {
			case isLink:
				finds = append(finds, s.finding(rel, FindingSymlink, "a symbolic link; lashview does not follow it", false))
				if isSide {
					p.sideBad = "its sidecar is a symbolic link"
				} else {
					p.blobBad = "its blob is a symbolic link"
				}
				continue
			case !e.Type().IsRegular():
				what := "a folder"
				if !e.IsDir() {
					what = "a special file"
				}
				finds = append(finds, s.finding(rel, FindingForeign, what+" stands where a "+map[bool]string{true: "sidecar", false: "blob"}[isSide]+" belongs", e.IsDir()))
				continue
			}
			if isSide {
				p.side = e
			} else {
				p.blob = e
			}
			continue
		}
		switch {
		case isLink:
			finds = append(finds, s.finding(rel, FindingSymlink, "a symbolic link; lashview does not follow it", false))
		case e.IsDir():
			finds = append(finds, s.finding(rel, FindingForeign, "a folder inside a prefix folder", true))
		default:
			finds = append(finds, s.finding(rel, classifyStray(name, prefix), strayDetail(name, prefix), false))
		}
	}
	atts := make([]Attachment, 0, len(pairs))
	for id, p := range pairs {
		if p.blob == nil && p.side == nil && p.blobBad == "" {
			// Only a symlinked sidecar: the link finding says it all.
			continue
		}
		atts = append(atts, s.examine(int(dir.Fd()), id, p.blob != nil, p.side != nil, p.blobBad, p.sideBad))
	}
	return atts, finds, nil
}

// examine works out an attachment's status from what its prefix folder
// (open as dirfd) holds: whether blob and sidecar are there as files, and
// why a name that belongs to the id is not usable.
func (s *Store) examine(dirfd int, id ID, blob, side bool, blobBad, sideBad string) Attachment {
	f := Facts{ID: id, HasBlob: blob, HasSidecar: side, BlobBad: blobBad, SidecarBad: sideBad}
	if blob {
		size, mtime, regular, err := lstatAt(dirfd, string(id))
		if err == nil && regular {
			f.BlobSize, f.BlobModified = size, mtime
		} else {
			f.HasBlob = false
		}
	}
	if side {
		f.Sidecar, f.SidecarModified, f.SidecarErr = readSmallFileAt(dirfd, string(id)+".json", s.layout.Sidecar(id), MaxSidecarSize)
	}
	return Judge(f, s.Sidecarless(), func() (Header, string, error) { return sniffAny(s.layout.Blob(id)) })
}

// Facts is what a backend found of one id by listing its names and
// reading its sidecar: the input of Judge. A folder and a bucket give the
// same Facts for the same store, so they say the same of it.
type Facts struct {
	ID ID
	// HasBlob says the blob is there as a file (an object); BlobSize and
	// BlobModified are its length and time.
	HasBlob      bool
	BlobSize     int64
	BlobModified time.Time
	// BlobBad and SidecarBad say why a name that belongs to the id is not
	// usable (it is a symbolic link); "" when it is.
	BlobBad, SidecarBad string
	// HasSidecar says the sidecar was listed as a file. Sidecar is its
	// bytes, SidecarErr why they could not be read (fs.ErrNotExist when it
	// vanished after the listing, ErrSidecarTooLarge over MaxSidecarSize),
	// SidecarModified its time.
	HasSidecar      bool
	Sidecar         []byte
	SidecarErr      error
	SidecarModified time.Time
}

// Judge says of one attachment what Scan says: its status, generation,
// label, media type and size, from the facts a backend read. sidecarless
// is the generation of a blob without a sidecar in this store
// (SidecarlessGeneration); sniff reads the blob's first bytes, called only
// when the sidecar cannot say what the blob is.
func Judge(f Facts, sidecarless Generation, sniff func() (Header, string, error)) Attachment {
	a := Attachment{ID: f.ID, HasBlob: f.HasBlob, HasSidecar: f.HasSidecar}
	if a.HasBlob {
		a.Size, a.Modified = f.BlobSize, f.BlobModified
	}
	if f.BlobBad != "" {
		a.Status, a.Detail = StatusSymlink, f.BlobBad
	}
	var sideErr error
	if f.HasSidecar {
		if !a.HasBlob {
			a.Modified = f.SidecarModified
		}
		sideErr = f.SidecarErr
		if sideErr == nil {
			var m Sidecar
			m, sideErr = DecodeSidecar(f.Sidecar)
			if sideErr == nil {
				a.Meta = &m
			}
		}
		if sideErr != nil {
			a.HasSidecar = !errors.Is(sideErr, fs.ErrNotExist)
		}
	}
	if a.Status == "" {
		switch {
		case f.SidecarBad != "":
			a.Status, a.Detail = StatusSymlink, f.SidecarBad
		case !a.HasBlob && !a.HasSidecar:
			// Both vanished while we listed.
			a.Status, a.Detail = StatusOrphanMeta, "the sidecar was removed while the store was listed"
		case !a.HasBlob:
			a.Status, a.Detail = StatusOrphanMeta, "the sidecar has no blob"
		case !a.HasSidecar:
			a.judgeSidecarless(sidecarless)
		case sideErr != nil:
			a.Status, a.Detail = StatusBadMeta, cause(sideErr).Error()
		case a.Meta.ID != string(f.ID):
			a.Status, a.Detail = StatusMetaMismatch, fmt.Sprintf("the sidecar says id %s", short(a.Meta.ID))
		case a.Meta.ByteLen != uint64(a.Size):
			a.Status, a.Detail = StatusMetaMismatch, fmt.Sprintf("the sidecar says %d bytes, the blob has %d", a.Meta.ByteLen, a.Size)
		default:
			a.Status = StatusOK
		}
	}
	if a.Generation == "" {
		a.Generation = GenSidecar
	}
	if a.Meta != nil {
		a.MediaType, a.Label = a.Meta.MediaType, a.Meta.Label
		a.MIME = a.MediaType.MIME()
		if a.Meta.Width != nil {
			a.Width = int(*a.Meta.Width)
		}
		if a.Meta.Height != nil {
			a.Height = int(*a.Meta.Height)
		}
		if !a.HasBlob {
			a.Size = int64(a.Meta.ByteLen)
		}
	}
	if a.HasBlob && a.Status != StatusSymlink && (a.Meta == nil || a.Status == StatusMetaMismatch) {
		if h, mime, err := sniff(); err == nil {
			a.MediaType, a.Width, a.Height, a.MIME = h.MediaType, h.Width, h.Height, mime
		}
	}
	return a
}

// judgeSidecarless sets the status of a blob without a sidecar from the
// generation the store's evidence gives it.
func (a *Attachment) judgeSidecarless(g Generation) {
	a.Generation = g
	if g == GenBlobOnly {
		a.Status, a.Detail = StatusOK, ""
		return
	}
	a.Status, a.Detail = StatusMissingMeta, "the blob has no sidecar"
}

// checkRoot makes sure the root exists and is a folder.
func (s *Store) checkRoot() error {
	fi, err := os.Stat(s.root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &Error{Kind: ErrIo, Path: s.root, Err: ErrNoStore}
		}
		return &Error{Kind: ErrIo, Path: s.root, Err: cause(err)}
	}
	if !fi.IsDir() {
		return &Error{Kind: ErrIo, Path: s.root, Err: ErrNotAFolder}
	}
	return nil
}

// Why a store cannot be opened, usable with errors.Is on Open's error.
var (
	ErrNoStore    = errors.New("the store folder does not exist")
	ErrNotAFolder = errors.New("not a folder")
)

// cause strips the *PathError wrapper: our errors name the path once.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// Examine looks at one id as Scan would and returns its attachment, or
// false when neither its blob nor its sidecar exists (as a file or link) in
// its prefix folder. The watcher calls it for ids an event names.
func (s *Store) Examine(id ID) (Attachment, bool) {
	var blob, side bool
	var blobBad, sideBad string
	look := func(path string, isSide bool) {
		fi, err := os.Lstat(path)
		if err != nil {
			return
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if isSide {
				sideBad = "its sidecar is a symbolic link"
			} else {
				blobBad = "its blob is a symbolic link"
			}
		case fi.Mode().IsRegular():
			if isSide {
				side = true
			} else {
				blob = true
			}
		}
	}
	look(s.layout.Blob(id), false)
	look(s.layout.Sidecar(id), true)
	s.noteContents(side || sideBad != "", blob)
	if !blob && !side && blobBad == "" {
		return Attachment{}, false
	}
	dir, err := os.Open(s.layout.PrefixDir(id))
	if err != nil {
		return Attachment{}, false
	}
	defer dir.Close()
	return s.examine(int(dir.Fd()), id, blob, side, blobBad, sideBad), true
}

// Hint is what a folder listing and one stat tell of an id, without
// reading its sidecar: enough to order a store newest first (or by size)
// before it is read, so a window can read first what it shows first.
type Hint struct {
	ID ID
	// Size is the blob's length, 0 without a blob.
	Size int64
	// Modified is the blob's mtime, else the sidecar's: what Scan's
	// Attachment.Modified says of the id when nothing changed between.
	Modified time.Time
}

// Prefixes lists the store's prefix folders (the two-character folders of
// sha256/), sorted. A store without sha256/ has none.
func (s *Store) Prefixes() ([]string, error) {
	if err := s.checkRoot(); err != nil {
		return nil, err
	}
	dir := s.layout.Dir()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Kind: ErrIo, Path: dir, Err: cause(err)}
	}
	var prefixes []string
	for _, e := range entries {
		if e.IsDir() && IsPrefix(e.Name()) {
			prefixes = append(prefixes, e.Name())
		}
	}
	return prefixes, nil
}

// ScanPrefix lists one prefix folder as Scan does (unsorted): a window
// shows a large store folder by folder while it is read.
func (s *Store) ScanPrefix(prefix string) ([]Attachment, []Finding, error) {
	if !IsPrefix(prefix) {
		return nil, nil, &Error{Kind: ErrIo, Path: filepath.Join(s.layout.Dir(), prefix), Err: errors.New("not a prefix folder name")}
	}
	return s.scanPrefix(prefix)
}

// HintPrefix lists the ids of one prefix folder with their hints, reading
// no file: one getdents and one fstatat per id. Names that are not the
// folder's ids, and symbolic links, are left out; Scan reports them.
func (s *Store) HintPrefix(prefix string) ([]Hint, error) {
	dirPath := filepath.Join(s.layout.Dir(), prefix)
	if !IsPrefix(prefix) {
		return nil, &Error{Kind: ErrIo, Path: dirPath, Err: errors.New("not a prefix folder name")}
	}
	dir, err := os.Open(dirPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // removed while we listed
		}
		return nil, &Error{Kind: ErrIo, Path: dirPath, Err: cause(err)}
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, &Error{Kind: ErrIo, Path: dirPath, Err: cause(err)}
	}
	// Sorted, a blob's name comes right before its sidecar's unless a
	// stray name sorts between them ("<id>.a…"); lone sidecars are told
	// apart from those by a stat of the blob's name.
	slices.Sort(names)
	fd := int(dir.Fd())
	hints := make([]Hint, 0, len(names)/2+1)
	for i, name := range names {
		n := ParseName(name, prefix)
		if n.Kind != NameBlob && n.Kind != NameSidecar {
			continue
		}
		base, isSide := string(n.ID), n.Kind == NameSidecar
		if isSide {
			if i > 0 && names[i-1] == base {
				continue // the blob's stat said it
			}
			if _, _, _, err := lstatAt(fd, base); err == nil {
				continue // a blob not named just before: it was stat'ed already
			}
		}
		size, mtime, regular, err := lstatAt(fd, name)
		if err != nil || !regular {
			continue // gone since the listing, or a link or a folder
		}
		if isSide {
			size = 0
		}
		hints = append(hints, Hint{ID: ID(base), Size: size, Modified: mtime})
	}
	return hints, nil
}
