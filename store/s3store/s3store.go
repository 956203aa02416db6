package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"lashview/store"
)

// Store is a lash attachment store in a bucket under a key prefix. Like
// store.Store it holds nothing open: every method asks the server.
type Store struct {
	client    *minio.Client
	bucket    string
	prefix    string // "" or "a/b", no slashes at either end
	newerLash bool

	seenMu    sync.Mutex
	seenKnown bool // hasSide was looked at
	hasSide   bool // the store holds a sidecar (a key under a sidecar's name)
}

// Open returns the store at url (s3://BUCKET/PREFIX) on the server the
// standard AWS environment names (EnvConfig). It checks that the bucket
// exists and may be read.
func Open(ctx context.Context, url string, opt store.Options) (*Store, error) {
	bucket, prefix, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	return OpenWith(ctx, bucket, prefix, EnvConfig(), opt)
}

// OpenWith is Open with an explicit configuration.
func OpenWith(ctx context.Context, bucket, prefix string, cfg Config, opt store.Options) (*Store, error) {
	cl, err := cfg.client()
	if err != nil {
		return nil, err
	}
	s := &Store{client: cl, bucket: bucket, prefix: strings.Trim(prefix, "/"), newerLash: opt.NewerLash}
	ok, err := cl.BucketExists(ctx, bucket)
	if err != nil {
		return nil, s.explain(err, "")
	}
	if !ok {
		return nil, fmt.Errorf("s3://%s: %w", bucket, ErrNoSuchBucket)
	}
	return s, nil
}

// URL is s3://BUCKET[/PREFIX].
func (s *Store) URL() string {
	if s.prefix == "" {
		return "s3://" + s.bucket
	}
	return "s3://" + s.bucket + "/" + s.prefix
}

// Bucket is the bucket's name, Prefix the store's key prefix ("" or
// "a/b").
func (s *Store) Bucket() string { return s.bucket }

// Prefix is the key prefix the store lies under, without slashes at its
// ends; "" for the bucket's top.
func (s *Store) Prefix() string { return s.prefix }

// key is the object key of rel (a path relative to the store's root).
func (s *Store) key(rel string) string {
	if s.prefix == "" {
		return rel
	}
	return s.prefix + "/" + rel
}

// rel is the store-relative path of an object key.
func (s *Store) rel(key string) string {
	if s.prefix == "" {
		return key
	}
	return strings.TrimPrefix(key, s.prefix+"/")
}

func blobRel(id store.ID) string    { return "sha256/" + id.Prefix() + "/" + string(id) }
func sidecarRel(id store.ID) string { return blobRel(id) + ".json" }

// where names an object for a person: s3://bucket/key.
func (s *Store) where(rel string) string { return "s3://" + s.bucket + "/" + s.key(rel) }

// explain turns a client error into one that says what went wrong in
// words and wraps the matching Err*; rel is the object's path ("" for the
// bucket).
func (s *Store) explain(err error, rel string) error {
	if err == nil {
		return nil
	}
	what := "s3://" + s.bucket
	if rel != "" {
		what = s.where(rel)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	resp := minio.ToErrorResponse(err)
	var kind error
	switch resp.Code {
	case "NoSuchBucket":
		kind = ErrNoSuchBucket
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AllAccessDisabled":
		kind = ErrAccessDenied
	case "RequestTimeTooSkewed":
		kind = ErrClockSkew
	case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests":
		kind = ErrThrottled
	}
	if kind == nil && resp.StatusCode == 403 {
		kind = ErrAccessDenied
	}
	if kind != nil {
		msg := resp.Message
		if msg == "" {
			msg = resp.Code
		}
		return fmt.Errorf("%s: %w (the server says %s)", what, kind, msg)
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return fmt.Errorf("%s: %w: %v", what, ErrUnreachable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func isNoSuchKey(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == "NoSuchKey" || code == "NotFound"
}

// object is one listed key, relative to the store's root.
type object struct {
	rel  string
	size int64
	mod  time.Time
}

// list lists every object under the store-relative folder dir ("sha256/").
func (s *Store) list(ctx context.Context, dir string, each func(object) error) error {
	for o := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.key(dir), Recursive: true}) {
		if o.Err != nil {
			return s.explain(o.Err, "")
		}
		if err := each(object{rel: s.rel(o.Key), size: o.Size, mod: o.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// errStop ends a listing early.
var errStop = errors.New("stop")

// contents looks (stopping at the first sidecar name) whether the store
// holds a sidecar, as store.Store does for a folder; once known, lashview's
// own sightings keep it up to date and a whole Scan corrects it. A look
// that failed is tried again next time.
func (s *Store) contents(ctx context.Context) (bool, error) {
	s.seenMu.Lock()
	if s.seenKnown {
		side := s.hasSide
		s.seenMu.Unlock()
		return side, nil
	}
	s.seenMu.Unlock()
	side := false
	err := s.list(ctx, "sha256/", func(o object) error {
		if parseKey(o.rel).sidecarName {
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
func (s *Store) setContents(side bool) {
	s.seenMu.Lock()
	s.hasSide, s.seenKnown = side, true
	s.seenMu.Unlock()
}

// Sidecarless is the generation of a blob without a sidecar in this store
// (store.SidecarlessGeneration), from a look at the bucket's names.
func (s *Store) Sidecarless(ctx context.Context) (store.Generation, error) {
	side, err := s.contents(ctx)
	if err != nil {
		return "", err
	}
	return store.SidecarlessGeneration(s.newerLash, side), nil
}

// keyName is what one key under sha256/ is to lash.
type keyName struct {
	// folder is set for a key below a folder lash does not write (a
	// folder that is not a prefix folder, or a folder inside one): the
	// folder's store-relative path; dirDetail says what it is.
	folder, dirDetail string
	// prefix and name are a key's folder and name in sha256/<prefix>/<name>
	// (prefix "" for a key right in sha256/).
	prefix, name string
	// sidecarName says the key (or its folder) has a sidecar's name.
	sidecarName bool
	// marker is a key that ends in "/" (a folder marker some tools write).
	marker bool
}

// parseKey reads a store-relative key under sha256/ as a folder store's
// Scan would read the same path: S3 has no folders, so a key with more
// parts stands for the folders a copy to disk would make.
func parseKey(rel string) keyName {
	rest := strings.TrimPrefix(rel, "sha256/")
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 1:
		return keyName{name: parts[0]}
	case len(parts[0]) != 2:
		return keyName{folder: "sha256/" + parts[0], dirDetail: "a folder that is not a prefix folder"}
	case len(parts) == 2 && parts[1] == "":
		return keyName{prefix: parts[0], marker: true}
	case len(parts) == 2:
		n := store.ParseName(parts[1], parts[0])
		return keyName{prefix: parts[0], name: parts[1], sidecarName: n.Kind == store.NameSidecar}
	}
	k := keyName{folder: "sha256/" + parts[0] + "/" + parts[1], dirDetail: "a folder inside a prefix folder"}
	switch store.ParseName(parts[1], parts[0]).Kind {
	case store.NameSidecar:
		k.sidecarName, k.dirDetail = true, "a folder stands where a sidecar belongs"
	case store.NameBlob:
		k.dirDetail = "a folder stands where a blob belongs"
	}
	return k
}

// pair is what the listing found of one id.
type pair struct {
	blob, side *object
}

// Scan lists every attachment and every stray key of the store, and says
// of each what store.Store.Scan says of the same store in a folder. It
// reads each sidecar, and the first bytes of each blob whose sidecar does
// not say what it is, with opt.Workers requests at once (default 8). It
// changes nothing. A prefix under which nothing lies is an empty store.
func (s *Store) Scan(ctx context.Context, opt store.ScanOptions) (*store.ScanResult, error) {
	pairs := map[store.ID]*pair{}
	var ids []store.ID
	get := func(id store.ID) *pair {
		p := pairs[id]
		if p == nil {
			p = &pair{}
			pairs[id] = p
			ids = append(ids, id)
		}
		return p
	}
	res := &store.ScanResult{}
	folders := map[string]int{} // folder path -> index in res.Findings
	side := false
	err := s.list(ctx, "sha256/", func(o object) error {
		k := parseKey(o.rel)
		side = side || k.sidecarName
		switch {
		case k.folder != "":
			if i, ok := folders[k.folder]; ok {
				if o.mod.After(res.Findings[i].ModTime) {
					res.Findings[i].ModTime = o.mod
				}
				return nil
			}
			folders[k.folder] = len(res.Findings)
			res.Findings = append(res.Findings, store.Finding{Path: k.folder, Kind: store.FindingForeign, Detail: k.dirDetail, Dir: true, ModTime: o.mod})
			return nil
		case k.marker:
			res.Findings = append(res.Findings, store.Finding{Path: o.rel, Kind: store.FindingForeign,
				Detail: "a folder marker object, which lash lists as a blob", ModTime: o.mod})
			return nil
		}
		n := store.ParseName(k.name, k.prefix)
		switch n.Kind {
		case store.NameBlob:
			obj := o
			get(n.ID).blob = &obj
		case store.NameSidecar:
			obj := o
			get(n.ID).side = &obj
		default:
			kind, detail := store.Stray(k.name, k.prefix)
			res.Findings = append(res.Findings, store.Finding{Path: o.rel, Kind: kind, Detail: detail, ModTime: o.mod})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	trees, err := s.sessionTrees(ctx)
	if err != nil {
		return nil, err
	}
	res.Findings = append(res.Findings, trees...)
	s.setContents(side)
	gen := store.SidecarlessGeneration(s.newerLash, side)

	res.Attachments = make([]store.Attachment, len(ids))
	keep := make([]bool, len(ids))
	workers := opt.Workers
	if workers <= 0 {
		workers = 8
	}
	workers = max(1, min(workers, len(ids)))
	var (
		mu       sync.Mutex
		next     int
		done     int
		firstErr error
		wg       sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if i >= len(ids) || stop || ctx.Err() != nil {
					return
				}
				a, ok, err := s.judge(ctx, ids[i], pairs[ids[i]], gen)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				res.Attachments[i], keep[i] = a, ok
				done++
				d := done
				mu.Unlock()
				if opt.Progress != nil {
					opt.Progress(d, len(ids))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	atts := res.Attachments[:0]
	for i, a := range res.Attachments {
		if keep[i] {
			atts = append(atts, a)
		}
	}
	res.Attachments = atts
	store.SortNewest(res.Attachments)
	sortFindings(res.Findings)
	return res, nil
}

func sortFindings(f []store.Finding) {
	slices.SortFunc(f, func(a, b store.Finding) int { return strings.Compare(a.Path, b.Path) })
}

// judge reads what a listing cannot tell of one id (its sidecar, and the
// first bytes of a blob whose sidecar does not say what it is) and lets
// store.Judge decide. false: the id's objects were all gone when read.
func (s *Store) judge(ctx context.Context, id store.ID, p *pair, gen store.Generation) (store.Attachment, bool, error) {
	f := store.Facts{ID: id}
	if p.blob != nil {
		f.HasBlob, f.BlobSize, f.BlobModified = true, p.blob.size, p.blob.mod
	}
	if p.side != nil {
		f.HasSidecar, f.SidecarModified = true, p.side.mod
		f.Sidecar, f.SidecarErr = s.readSidecar(ctx, id, p.side.size)
		if f.SidecarErr != nil && !isFileProblem(f.SidecarErr) {
			return store.Attachment{}, false, f.SidecarErr
		}
	}
	var sniffErr error
	a := store.Judge(f, gen, func() (store.Header, string, error) {
		h, mime, err := s.sniff(ctx, id, f.BlobSize)
		sniffErr = err
		return h, mime, err
	})
	switch {
	case sniffErr == nil:
	case errors.Is(sniffErr, ErrVanished):
		// The blob was deleted since the listing: judge what is left.
		f.HasBlob = false
		if !f.HasSidecar || errors.Is(f.SidecarErr, fs.ErrNotExist) {
			return store.Attachment{}, false, nil
		}
		a = store.Judge(f, gen, nil)
	case !isFileProblem(sniffErr):
		return store.Attachment{}, false, sniffErr
	}
	return a, true, nil
}

// isFileProblem tells an error of one object (it vanished, it may not be
// read, it is too large), which the attachment's status reports as a
// folder's unreadable file is, from one of the whole bucket (unreachable,
// no such bucket), which fails the listing.
func isFileProblem(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrVanished) ||
		errors.Is(err, ErrAccessDenied) || errors.Is(err, store.ErrSidecarTooLarge)
}

// readSidecar reads a sidecar of listed size whole (at most
// store.MaxSidecarSize). A sidecar deleted since the listing is
// fs.ErrNotExist, as a folder's would be.
func (s *Store) readSidecar(ctx context.Context, id store.ID, size int64) ([]byte, error) {
	if size > store.MaxSidecarSize {
		return nil, store.ErrSidecarTooLarge
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.key(sidecarRel(id)), minio.GetObjectOptions{})
	if err != nil {
		return nil, s.readErr(err, sidecarRel(id))
	}
	defer obj.Close()
	data, err := io.ReadAll(io.LimitReader(obj, store.MaxSidecarSize+1))
	if err != nil {
		return nil, s.readErr(err, sidecarRel(id))
	}
	if len(data) > store.MaxSidecarSize {
		return nil, store.ErrSidecarTooLarge
	}
	return data, nil
}

func (s *Store) readErr(err error, rel string) error {
	if isNoSuchKey(err) {
		return fmt.Errorf("%s: %w: %w", s.where(rel), ErrVanished, fs.ErrNotExist)
	}
	return s.explain(err, rel)
}

// headerLimit is what store.SniffHeader reads at most of a blob.
const headerLimit = 4 << 20

// sniff reads what the blob's first bytes say (store.SniffAny), fetching
// at most the header's limit.
func (s *Store) sniff(ctx context.Context, id store.ID, size int64) (store.Header, string, error) {
	if size == 0 {
		return store.SniffAny(bytes.NewReader(nil))
	}
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(0, min(size, headerLimit)-1); err != nil {
		return store.Header{}, "", err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.key(blobRel(id)), opts)
	if err != nil {
		return store.Header{}, "", s.readErr(err, blobRel(id))
	}
	defer obj.Close()
	h, mime, err := store.SniffAny(obj)
	if err != nil {
		return h, mime, s.readErr(err, blobRel(id))
	}
	return h, mime, nil
}

// sessionTrees reports the per-session trees (sessions/<64 hex>/sha256/…)
// of the unreleased lash between alpha.86 and alpha.87, one finding each
// with the bytes it holds, as a folder store's Scan does.
func (s *Store) sessionTrees(ctx context.Context) ([]store.Finding, error) {
	type tree struct {
		files, size int64
		mod         time.Time
		isTree      bool
	}
	trees := map[string]*tree{}
	var order []string
	err := s.list(ctx, "sessions/", func(o object) error {
		parts := strings.SplitN(strings.TrimPrefix(o.rel, "sessions/"), "/", 3)
		if len(parts) < 2 {
			return nil
		}
		if _, err := store.ParseID(parts[0]); err != nil {
			return nil
		}
		t := trees[parts[0]]
		if t == nil {
			t = &tree{}
			trees[parts[0]] = t
			order = append(order, parts[0])
		}
		if !strings.HasSuffix(o.rel, "/") {
			t.files++
			t.size += o.size
		}
		if o.mod.After(t.mod) {
			t.mod = o.mod
		}
		t.isTree = t.isTree || (len(parts) == 3 && parts[1] == "sha256")
		return nil
	})
	if err != nil {
		return nil, err
	}
	var finds []store.Finding
	for _, name := range order {
		t := trees[name]
		if !t.isTree {
			continue
		}
		finds = append(finds, store.Finding{Path: "sessions/" + name, Kind: store.FindingSessionTree, Dir: true, ModTime: t.mod, Size: t.size,
			Detail: fmt.Sprintf("a per-session tree (%d objects, %d bytes) written by an unreleased lash between alpha.86 and alpha.87; no released lash reads it", t.files, t.size)})
	}
	return finds, nil
}

// stat asks for one object: false when it does not exist.
func (s *Store) stat(ctx context.Context, rel string) (object, bool, error) {
	info, err := s.client.StatObject(ctx, s.bucket, s.key(rel), minio.StatObjectOptions{})
	if err != nil {
		if isNoSuchKey(err) {
			return object{}, false, nil
		}
		return object{}, false, s.explain(err, rel)
	}
	return object{rel: rel, size: info.Size, mod: info.LastModified}, true, nil
}

// Examine looks at one id as Scan would and returns its attachment, or
// false when neither its blob nor its sidecar is in the bucket.
func (s *Store) Examine(ctx context.Context, id store.ID) (store.Attachment, bool, error) {
	var p pair
	for _, isSide := range []bool{false, true} {
		rel := blobRel(id)
		if isSide {
			rel = sidecarRel(id)
		}
		o, ok, err := s.stat(ctx, rel)
		if err != nil {
			return store.Attachment{}, false, err
		}
		if ok && isSide {
			p.side = &o
		} else if ok {
			p.blob = &o
		}
	}
	if p.blob == nil && p.side == nil {
		return store.Attachment{}, false, nil
	}
	if p.side != nil {
		s.noteSidecar()
	}
	gen, err := s.Sidecarless(ctx)
	if err != nil {
		return store.Attachment{}, false, err
	}
	return s.judge(ctx, id, &p, gen)
}

// noteSidecar records that the store holds a sidecar.
func (s *Store) noteSidecar() {
	s.seenMu.Lock()
	defer s.seenMu.Unlock()
	s.hasSide = true
}

// Meta reads and decodes the id's sidecar with lash's error semantics:
// MissingMeta without one, MetadataDecode when it cannot be read as one,
// Io for any other failure.
func (s *Store) Meta(ctx context.Context, id store.ID) (store.Sidecar, error) {
	rel := sidecarRel(id)
	data, err := s.readSidecar(ctx, id, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return store.Sidecar{}, &store.Error{Kind: store.ErrMissingMeta, ID: id, Path: s.where(rel)}
	case errors.Is(err, store.ErrSidecarTooLarge):
		return store.Sidecar{}, &store.Error{Kind: store.ErrMetadataDecode, ID: id, Path: s.where(rel), Err: err}
	case err != nil:
		return store.Sidecar{}, &store.Error{Kind: store.ErrIo, ID: id, Path: s.where(rel), Err: err}
	}
	m, err := store.DecodeSidecar(data)
	if err != nil {
		return store.Sidecar{}, &store.Error{Kind: store.ErrMetadataDecode, ID: id, Path: s.where(rel), Err: err}
	}
	return m, nil
}

// OpenBlob streams the id's blob without its sidecar, with its length; a
// blob that is not there is NotFound. The caller closes the reader.
func (s *Store) OpenBlob(ctx context.Context, id store.ID) (io.ReadCloser, int64, error) {
	rel := blobRel(id)
	obj, err := s.client.GetObject(ctx, s.bucket, s.key(rel), minio.GetObjectOptions{})
	if err == nil {
		var info minio.ObjectInfo
		if info, err = obj.Stat(); err == nil {
			return obj, info.Size, nil
		}
		obj.Close()
	}
	if isNoSuchKey(err) {
		return nil, 0, &store.Error{Kind: store.ErrNotFound, ID: id, Path: s.where(rel)}
	}
	return nil, 0, &store.Error{Kind: store.ErrIo, ID: id, Path: s.where(rel), Err: s.explain(err, rel)}
}

// Open streams an attachment's bytes with its metadata, failing as lash's
// get does: NotFound, MissingMeta (in a store of the sidecar generation),
// MetadataDecode or Io. A blob-only blob's metadata is what its first bytes
// say, with no label. The caller closes the reader.
func (s *Store) Open(ctx context.Context, id store.ID) (io.ReadCloser, store.Sidecar, error) {
	r, size, err := s.OpenBlob(ctx, id)
	if err != nil {
		return nil, store.Sidecar{}, err
	}
	m, err := s.Meta(ctx, id)
	if errors.Is(err, store.ErrMissingMeta) {
		gen, gerr := s.Sidecarless(ctx)
		switch {
		case gerr != nil:
			err = &store.Error{Kind: store.ErrIo, ID: id, Path: s.where(blobRel(id)), Err: gerr}
		case gen == store.GenBlobOnly:
			m, err = s.describe(ctx, id, size)
		}
	}
	if err != nil {
		r.Close()
		return nil, store.Sidecar{}, err
	}
	return r, m, nil
}

// describe is what a blob-only blob's bytes say of it, in the shape of a
// sidecar with no label.
func (s *Store) describe(ctx context.Context, id store.ID, size int64) (store.Sidecar, error) {
	h, _, err := s.sniff(ctx, id, size)
	if err != nil {
		kind := store.ErrIo
		if errors.Is(err, ErrVanished) {
			kind = store.ErrNotFound
		}
		return store.Sidecar{}, &store.Error{Kind: kind, ID: id, Path: s.where(blobRel(id)), Err: err}
	}
	m := store.Sidecar{ID: string(id), MediaType: h.MediaType, ByteLen: uint64(size)}
	if h.Width > 0 && h.Height > 0 {
		w, hh := uint32(h.Width), uint32(h.Height)
		m.Width, m.Height = &w, &hh
	}
	return m, nil
}

// Get reads an attachment whole, as lash's get does. Prefer Open for large
// attachments.
func (s *Store) Get(ctx context.Context, id store.ID) ([]byte, store.Sidecar, error) {
	r, m, err := s.Open(ctx, id)
	if err != nil {
		return nil, m, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		rel := blobRel(id)
		if isNoSuchKey(err) {
			return nil, m, &store.Error{Kind: store.ErrNotFound, ID: id, Path: s.where(rel), Err: ErrVanished}
		}
		return nil, m, &store.Error{Kind: store.ErrIo, ID: id, Path: s.where(rel), Err: s.explain(err, rel)}
	}
	return data, m, nil
}
