package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"
)

// Objects is a lash attachment store kept as the objects of a Backend (an
// S3 bucket; a folder read the same way in tests). It says of every
// attachment and every stray object what Store says of the same store in a
// folder (Judge decides for both), and fails with lash's error kinds. Like
// Store it holds nothing open: every method asks the backend.
type Objects struct {
	b         Backend
	newerLash bool

	seenMu    sync.Mutex
	seenKnown bool // hasSide was looked at
	hasSide   bool // the store holds a sidecar (an object under a sidecar's name)
}

// NewObjects is the store whose objects b holds; opt says what is known of
// the lash that writes it.
func NewObjects(b Backend, opt Options) *Objects {
	return &Objects{b: b, newerLash: opt.NewerLash}
}

// Backend is what holds the store's objects.
func (s *Objects) Backend() Backend { return s.b }

// Where names the store for a person (its URL or path).
func (s *Objects) Where() string { return s.b.Where("") }

func blobKey(id ID) string    { return "sha256/" + id.Prefix() + "/" + string(id) }
func sidecarKey(id ID) string { return blobKey(id) + ".json" }

// BlobKey and SidecarKey are the store-relative keys of an id's blob and
// sidecar.
func BlobKey(id ID) string    { return blobKey(id) }
func SidecarKey(id ID) string { return sidecarKey(id) }

// errStop ends a listing early.
var errStop = errors.New("stop")

// contents looks (stopping at the first sidecar name) whether the store
// holds a sidecar, as Store does for a folder; once known, lashview's own
// sightings keep it up to date and a whole Scan corrects it. A look that
// failed is tried again next time.
func (s *Objects) contents(ctx context.Context) (bool, error) {
	s.seenMu.Lock()
	if s.seenKnown {
		side := s.hasSide
		s.seenMu.Unlock()
		return side, nil
	}
	s.seenMu.Unlock()
	side := false
	err := s.b.List(ctx, "sha256/", func(o Object) error {
		if ParseKey(o.Key).SidecarName {
			side = true
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return false, err
	}
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	s.hasSide = s.hasSide || side
	s.seenKnown = true
	return s.hasSide, nil
}

// setContents replaces what is known with what a whole listing saw.
func (s *Objects) setContents(side bool) {
	s.seenMu.Lock()
	s.hasSide, s.seenKnown = side, true
	s.seenMu.Unlock()
}

// noteSidecar records that the store holds a sidecar.
func (s *Objects) noteSidecar() {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	s.hasSide = true
}

// Sidecarless is the generation of a blob without a sidecar in this store
// (SidecarlessGeneration), from a look at the store's names.
func (s *Objects) Sidecarless(ctx context.Context) (Generation, error) {
	side, err := s.contents(ctx)
	if err != nil {
		return "", err
	}
	return SidecarlessGeneration(s.newerLash, side), nil
}

// Writes is the generation lashview writes into this store, as Store's
// Writes says for a folder: sidecars unless newer lash writes it or it is
// a blob-only store already.
func (s *Objects) Writes(ctx context.Context) (Generation, error) {
	if s.newerLash {
		return GenBlobOnly, nil
	}
	side, err := s.contents(ctx)
	if err != nil {
		return "", err
	}
	if side {
		return GenSidecar, nil
	}
	// No sidecar: blob-only when it holds a blob, else a new store of the
	// sidecar generation, as for a folder.
	blob := false
	err = s.b.List(ctx, "sha256/", func(o Object) error {
		k := ParseKey(o.Key)
		if k.Folder == "" && !k.Marker && ParseName(k.Name, k.Prefix).Kind == NameBlob {
			blob = true
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return "", err
	}
	if blob {
		return GenBlobOnly, nil
	}
	return GenSidecar, nil
}

// KeyName is what one key under sha256/ is to lash.
type KeyName struct {
	// Folder is set for a key below a folder lash does not write (a
	// folder that is not a prefix folder, or a folder inside one): the
	// folder's store-relative path; DirDetail says what it is.
	Folder, DirDetail string
	// Prefix and Name are a key's folder and name in sha256/<prefix>/<name>
	// (Prefix "" for a key right in sha256/).
	Prefix, Name string
	// SidecarName says the key (or its folder) has a sidecar's name.
	SidecarName bool
	// Marker is a key that ends in "/" (a folder marker some tools write).
	Marker bool
}

// ParseKey reads a store-relative key under sha256/ as a folder store's
// Scan would read the same path: objects have no folders, so a key with
// more parts stands for the folders a copy to disk would make.
func ParseKey(key string) KeyName {
	rest := strings.TrimPrefix(key, "sha256/")
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 1:
		return KeyName{Name: parts[0]}
	case len(parts[0]) != 2:
		return KeyName{Folder: "sha256/" + parts[0], DirDetail: "a folder that is not a prefix folder"}
	case len(parts) == 2 && parts[1] == "":
		return KeyName{Prefix: parts[0], Marker: true}
	case len(parts) == 2:
		n := ParseName(parts[1], parts[0])
		return KeyName{Prefix: parts[0], Name: parts[1], SidecarName: n.Kind == NameSidecar}
	}
	k := KeyName{Folder: "sha256/" + parts[0] + "/" + parts[1], DirDetail: "a folder inside a prefix folder"}
	switch ParseName(parts[1], parts[0]).Kind {
	case NameSidecar:
		k.SidecarName, k.DirDetail = true, "a folder stands where a sidecar belongs"
	case NameBlob:
		k.DirDetail = "a folder stands where a blob belongs"
	}
	return k
}

// objPair is what the listing found of one id.
type objPair struct {
	blob, side *Object
}

// Listing is one whole listing of a store's sha256/ objects, paired by id,
// with the stray objects as findings.
type Listing struct {
	IDs      []ID // in the order first listed
	pairs    map[ID]*objPair
	Findings []Finding
	HasSide  bool
}

// list lists sha256/ and pairs what it finds.
func (s *Objects) list(ctx context.Context) (*Listing, error) {
	l := &Listing{pairs: map[ID]*objPair{}}
	get := func(id ID) *objPair {
		p := l.pairs[id]
		if p == nil {
			p = &objPair{}
			l.pairs[id] = p
			l.IDs = append(l.IDs, id)
		}
		return p
	}
	folders := map[string]int{} // folder path -> index in Findings
	err := s.b.List(ctx, "sha256/", func(o Object) error {
		k := ParseKey(o.Key)
		l.HasSide = l.HasSide || k.SidecarName
		switch {
		case k.Folder != "":
			if i, ok := folders[k.Folder]; ok {
				if o.ModTime.After(l.Findings[i].ModTime) {
					l.Findings[i].ModTime = o.ModTime
				}
				return nil
			}
			folders[k.Folder] = len(l.Findings)
			l.Findings = append(l.Findings, Finding{Path: k.Folder, Kind: FindingForeign, Detail: k.DirDetail, Dir: true, ModTime: o.ModTime})
			return nil
		case k.Marker:
			l.Findings = append(l.Findings, Finding{Path: o.Key, Kind: FindingForeign,
				Detail: "a folder marker object, which lash lists as a blob", ModTime: o.ModTime})
			return nil
		}
		n := ParseName(k.Name, k.Prefix)
		switch n.Kind {
		case NameBlob:
			obj := o
			get(n.ID).blob = &obj
		case NameSidecar:
			obj := o
			get(n.ID).side = &obj
		default:
			kind, detail := Stray(k.Name, k.Prefix)
			l.Findings = append(l.Findings, Finding{Path: o.Key, Kind: kind, Detail: detail, ModTime: o.ModTime})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Scan lists every attachment and every stray object of the store, and
// says of each what Store.Scan says of the same store in a folder. It reads
// each sidecar, and the first bytes of each blob whose sidecar does not say
// what it is, with opt.Workers requests at once (default 8). It changes
// nothing. A prefix under which nothing lies is an empty store.
func (s *Objects) Scan(ctx context.Context, opt ScanOptions) (*ScanResult, error) {
	l, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	res := &ScanResult{Findings: l.Findings}
	trees, err := s.sessionTrees(ctx)
	if err != nil {
		return nil, err
	}
	res.Findings = append(res.Findings, trees...)
	s.setContents(l.HasSide)
	gen := SidecarlessGeneration(s.newerLash, l.HasSide)

	ids := l.IDs
	res.Attachments = make([]Attachment, len(ids))
	keep := make([]bool, len(ids))
	err = forEach(ctx, len(ids), opt.Workers, func(i int) error {
		a, ok, err := s.judge(ctx, ids[i], l.pairs[ids[i]], gen)
		res.Attachments[i], keep[i] = a, ok
		return err
	}, opt.Progress)
	if err != nil {
		return nil, err
	}
	atts := res.Attachments[:0]
	for i, a := range res.Attachments {
		if keep[i] {
			atts = append(atts, a)
		}
	}
	res.Attachments = atts
	SortNewest(res.Attachments)
	slices.SortFunc(res.Findings, func(a, b Finding) int { return strings.Compare(a.Path, b.Path) })
	return res, nil
}

// forEach runs do(i) for i in [0,n) with workers goroutines at once
// (default 8), stopping at the first error or when ctx is done; progress,
// when set, is told how many are done.
func forEach(ctx context.Context, n, workers int, do func(i int) error, progress func(done, total int)) error {
	if workers <= 0 {
		workers = 8
	}
	workers = max(1, min(workers, n))
	var (
		mu       sync.Mutex
		next     int
		done     int
		firstErr error
		wg       sync.WaitGroup
	)
	for w := 0; w < workers && n > 0; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if i >= n || stop || ctx.Err() != nil {
					return
				}
				err := do(i)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				done++
				d := done
				mu.Unlock()
				if progress != nil {
					progress(d, n)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}

// judge reads what a listing cannot tell of one id (its sidecar, and the
// first bytes of a blob whose sidecar does not say what it is) and lets
// Judge decide. false: the id's objects were all gone when read.
func (s *Objects) judge(ctx context.Context, id ID, p *objPair, gen Generation) (Attachment, bool, error) {
	f := Facts{ID: id}
	if p.blob != nil {
		f.HasBlob, f.BlobSize, f.BlobModified = true, p.blob.Size, p.blob.ModTime
	}
	if p.side != nil {
		f.HasSidecar, f.SidecarModified = true, p.side.ModTime
		f.Sidecar, f.SidecarErr = s.readSidecar(ctx, id, p.side.Size)
		if f.SidecarErr != nil && !isObjectProblem(f.SidecarErr) {
			return Attachment{}, false, f.SidecarErr
		}
	}
	var sniffErr error
	a := Judge(f, gen, func() (Header, string, error) {
		h, mime, err := s.sniff(ctx, id, f.BlobSize)
		sniffErr = err
		return h, mime, err
	})
	switch {
	case sniffErr == nil:
	case errors.Is(sniffErr, fs.ErrNotExist):
		// The blob was deleted since the listing: judge what is left.
		f.HasBlob = false
		if !f.HasSidecar || errors.Is(f.SidecarErr, fs.ErrNotExist) {
			return Attachment{}, false, nil
		}
		a = Judge(f, gen, nil)
	case !isObjectProblem(sniffErr):
		return Attachment{}, false, sniffErr
	}
	return a, true, nil
}

// readSidecar reads a sidecar of listed size whole (at most
// MaxSidecarSize). A sidecar deleted since the listing is fs.ErrNotExist,
// as a folder's would be.
func (s *Objects) readSidecar(ctx context.Context, id ID, size int64) ([]byte, error) {
	if size > MaxSidecarSize {
		return nil, ErrSidecarTooLarge
	}
	return s.readKeyOr(ctx, sidecarKey(id), MaxSidecarSize, ErrSidecarTooLarge)
}

// sniff reads what the blob's first bytes say (SniffAny), fetching at most
// the header's limit.
func (s *Objects) sniff(ctx context.Context, id ID, size int64) (Header, string, error) {
	if size == 0 {
		return SniffAny(bytes.NewReader(nil))
	}
	r, _, err := s.b.Open(ctx, blobKey(id), 0, min(size, headerLimit))
	if err != nil {
		return Header{}, "", err
	}
	defer r.Close()
	return SniffAny(r)
}

// sessionTrees reports the per-session trees (sessions/<64 hex>/sha256/…)
// of the unreleased lash between alpha.86 and alpha.87, one finding each
// with the bytes it holds, as a folder store's Scan does.
func (s *Objects) sessionTrees(ctx context.Context) ([]Finding, error) {
	type tree struct {
		files, size int64
		mod         time.Time
		isTree      bool
	}
	trees := map[string]*tree{}
	var order []string
	err := s.b.List(ctx, "sessions/", func(o Object) error {
		parts := strings.SplitN(strings.TrimPrefix(o.Key, "sessions/"), "/", 3)
		if len(parts) < 2 {
			return nil
		}
		if _, err := ParseID(parts[0]); err != nil {
			return nil
		}
		t := trees[parts[0]]
		if t == nil {
			t = &tree{}
			trees[parts[0]] = t
			order = append(order, parts[0])
		}
		if !strings.HasSuffix(o.Key, "/") {
			t.files++
			t.size += o.Size
		}
		if o.ModTime.After(t.mod) {
			t.mod = o.ModTime
		}
		t.isTree = t.isTree || (len(parts) == 3 && parts[1] == "sha256")
		return nil
	})
	if err != nil {
		return nil, err
	}
	var finds []Finding
	for _, name := range order {
		t := trees[name]
		if !t.isTree {
			continue
		}
		finds = append(finds, Finding{Path: "sessions/" + name, Kind: FindingSessionTree, Dir: true, ModTime: t.mod, Size: t.size,
			Detail: fmt.Sprintf("a per-session tree (%d objects, %d bytes) written by an unreleased lash between alpha.86 and alpha.87; no released lash reads it", t.files, t.size)})
	}
	return finds, nil
}

// stat asks for one object: false when it does not exist.
func (s *Objects) stat(ctx context.Context, key string) (Object, bool, error) {
	o, err := s.b.Stat(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return Object{}, false, nil
	}
	if err != nil {
		return Object{}, false, err
	}
	return o, true, nil
}

// Examine looks at one id as Scan would and returns its attachment, or
// false when neither its blob nor its sidecar is in the store.
func (s *Objects) Examine(ctx context.Context, id ID) (Attachment, bool, error) {
	var p objPair
	for _, isSide := range []bool{false, true} {
		key := blobKey(id)
		if isSide {
			key = sidecarKey(id)
		}
		o, ok, err := s.stat(ctx, key)
		if err != nil {
			return Attachment{}, false, err
		}
		if ok && isSide {
			p.side = &o
		} else if ok {
			p.blob = &o
		}
	}
	if p.blob == nil && p.side == nil {
		return Attachment{}, false, nil
	}
	if p.side != nil {
		s.noteSidecar()
	}
	gen, err := s.Sidecarless(ctx)
	if err != nil {
		return Attachment{}, false, err
	}
	return s.judge(ctx, id, &p, gen)
}

// Meta reads and decodes the id's sidecar with lash's error semantics:
// MissingMeta without one, MetadataDecode when it cannot be read as one,
// Io for any other failure.
func (s *Objects) Meta(ctx context.Context, id ID) (Sidecar, error) {
	data, err := s.readSidecar(ctx, id, 0)
	return decodeMeta(id, s.b.Where(sidecarKey(id)), data, err)
}

// OpenBlob streams the id's blob without its sidecar, with its length; a
// blob that is not there is NotFound. The caller closes the reader.
func (s *Objects) OpenBlob(ctx context.Context, id ID) (io.ReadCloser, int64, error) {
	key := blobKey(id)
	r, o, err := s.b.Open(ctx, key, 0, -1)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, &Error{Kind: ErrNotFound, ID: id, Path: s.b.Where(key)}
	}
	if err != nil {
		return nil, 0, &Error{Kind: ErrIo, ID: id, Path: s.b.Where(key), Err: err}
	}
	return r, o.Size, nil
}

// Open streams an attachment's bytes with its metadata, failing as lash's
// get does: NotFound, MissingMeta (in a store of the sidecar generation),
// MetadataDecode or Io. A blob-only blob's metadata is what its first bytes
// say, with no label. The caller closes the reader.
func (s *Objects) Open(ctx context.Context, id ID) (io.ReadCloser, Sidecar, error) {
	r, size, err := s.OpenBlob(ctx, id)
	if err != nil {
		return nil, Sidecar{}, err
	}
	m, err := s.Meta(ctx, id)
	if errors.Is(err, ErrMissingMeta) {
		gen, gerr := s.Sidecarless(ctx)
		switch {
		case gerr != nil:
			err = &Error{Kind: ErrIo, ID: id, Path: s.b.Where(blobKey(id)), Err: gerr}
		case gen == GenBlobOnly:
			m, err = s.describe(ctx, id, size)
		}
	}
	if err != nil {
		r.Close()
		return nil, Sidecar{}, err
	}
	return r, m, nil
}

// describe is what a blob-only blob's bytes say of it, in the shape of a
// sidecar with no label.
func (s *Objects) describe(ctx context.Context, id ID, size int64) (Sidecar, error) {
	h, _, err := s.sniff(ctx, id, size)
	if err != nil {
		kind := ErrIo
		if errors.Is(err, fs.ErrNotExist) {
			kind = ErrNotFound
		}
		return Sidecar{}, &Error{Kind: kind, ID: id, Path: s.b.Where(blobKey(id)), Err: err}
	}
	return headerSidecar(id, size, h), nil
}

// Get reads an attachment whole, as lash's get does. Prefer Open for large
// attachments.
func (s *Objects) Get(ctx context.Context, id ID) ([]byte, Sidecar, error) {
	r, m, err := s.Open(ctx, id)
	if err != nil {
		return nil, m, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		where := s.b.Where(blobKey(id))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, m, &Error{Kind: ErrNotFound, ID: id, Path: where, Err: err}
		}
		return nil, m, &Error{Kind: ErrIo, ID: id, Path: where, Err: err}
	}
	return data, m, nil
}

var _ Face = (*Objects)(nil)
