package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"lashview/internal/imgfmt"
)

// VerifyStatus is what a full check (hash and decode) says of a blob.
type VerifyStatus string

// The verify outcomes. The first four are the fixture README's words.
const (
	VerifyOK           VerifyStatus = "ok"            // hashes to its name and decodes as its sidecar says (a blob that is no image: hashes to its name)
	VerifyCorrupt      VerifyStatus = "corrupt"       // the bytes do not hash to the name
	VerifyUndecodable  VerifyStatus = "undecodable"   // not a decodable image
	VerifyTypeMismatch VerifyStatus = "type_mismatch" // decodes, but as another type than the sidecar says
	VerifyTooLarge     VerifyStatus = "too_large"     // the header claims more pixels than the cap: not decoded
	VerifyUnreadable   VerifyStatus = "unreadable"    // the blob could not be read
	VerifySymlink      VerifyStatus = "symlink"       // the blob is a symbolic link: never followed, not checked
)

// DefaultMaxPixels is the decode cap, imgfmt's: 100 megapixels.
const DefaultMaxPixels = imgfmt.DefaultMaxPixels

// VerifyResult is the full check of one attachment's blob.
type VerifyResult struct {
	ID     ID
	Status VerifyStatus
	// Detail says why the status is not ok, in words.
	Detail string
	Size   int64
	// Declared is the media type the sidecar names ("" without a readable,
	// agreeing sidecar); Decoded is what the bytes decode as.
	Declared, Decoded MediaType
	Width, Height     int
	// MIME is the media type sniffed from the bytes (imgfmt.SniffMIME):
	// image/png, application/pdf, …; "" when they could not be read or do
	// not hash to the name.
	MIME string
}

// VerifyProgress is how far a Verify has come.
type VerifyProgress struct {
	Files, TotalFiles int
	Bytes, TotalBytes int64
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Workers is how many blobs are checked at once (default: one per core;
	// hashing is CPU-bound once the bytes are cached).
	Workers int
	// MaxPixels caps the images decoded, checked from the header before any
	// pixel is decoded (default DefaultMaxPixels). It also bounds the pixels
	// being decoded at once across workers, and so the memory verify uses.
	MaxPixels int64
	// Progress, when set, is called from one goroutine at a time, about ten
	// times a second and once at the end.
	Progress func(VerifyProgress)
	// Scan reuses a listing; nil makes Verify scan the store itself.
	Scan *ScanResult
}

// VerifyReport is a whole store's check.
type VerifyReport struct {
	Results []VerifyResult // one per attachment with a blob, by id
	Bytes   int64          // bytes hashed
	Elapsed time.Duration
}

// Problems returns the results that are not ok.
func (r *VerifyReport) Problems() []VerifyResult {
	var p []VerifyResult
	for _, v := range r.Results {
		if v.Status != VerifyOK {
			p = append(p, v)
		}
	}
	return p
}

// Verify re-hashes every blob and decodes every image, reporting for each
// attachment with a blob whether its bytes hash to its name and decode as
// the type its sidecar names; a blob that only needs its hash checked
// (hashOnly: a blob-only attachment that is no image) is not decoded.
// Blobs are hashed in parallel, streaming; images are decoded only under
// the pixel cap. Attachments without a blob
// have nothing to check and are left out; a symbolic-link blob is reported,
// never read. It only reads: nothing on disk changes.
func (s *Store) Verify(ctx context.Context, opt VerifyOptions) (*VerifyReport, error) {
	start := time.Now()
	res := opt.Scan
	if res == nil {
		var err error
		if res, err = s.Scan(ctx, ScanOptions{}); err != nil {
			return nil, err
		}
	}
	return newVerifier(s.openBlobFile, opt).run(ctx, res, start)
}

// openBlobFile opens the id's blob file for a check, never through a link.
func (s *Store) openBlobFile(_ context.Context, id ID) (io.ReadSeekCloser, string, error) {
	path := s.layout.Blob(id)
	f, err := openNoFollow(path)
	if err != nil {
		return nil, path, cause(err)
	}
	return f, path, nil
}

// run checks the blob of every attachment of res that has one (Verify's
// body, whatever holds the store).
func (v *verifier) run(ctx context.Context, res *ScanResult, start time.Time) (*VerifyReport, error) {
	rep := &VerifyReport{}
	var jobs []Attachment
	for _, a := range res.Attachments {
		switch {
		case a.Status == StatusSymlink:
			rep.Results = append(rep.Results, VerifyResult{ID: a.ID, Status: VerifySymlink, Detail: a.Detail})
		case a.HasBlob:
			jobs = append(jobs, a)
			v.totalBytes += a.Size
		}
	}
	// Largest first, so no big blob is left for one core at the end.
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].Size > jobs[j].Size })
	v.totalFiles = len(jobs)

	stopTicker := v.startProgress()
	results := make([]VerifyResult, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(v.workers, max(1, len(jobs))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, hashChunk)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				results[i] = v.check(ctx, jobs[i], buf)
				v.files.Add(1)
			}
		}()
	}
	wg.Wait()
	stopTicker()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Results = append(rep.Results, results...)
	sort.Slice(rep.Results, func(i, j int) bool { return rep.Results[i].ID < rep.Results[j].ID })
	rep.Bytes = v.bytes.Load()
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// VerifyAttachment checks one attachment's blob as Verify does (for a
// details panel's "check now").
func (s *Store) VerifyAttachment(ctx context.Context, a Attachment, maxPixels int64) VerifyResult {
	if a.Status == StatusSymlink {
		return VerifyResult{ID: a.ID, Status: VerifySymlink, Detail: a.Detail}
	}
	v := newVerifier(s.openBlobFile, VerifyOptions{MaxPixels: maxPixels, Workers: 1})
	return v.check(ctx, a, make([]byte, hashChunk))
}

// hashChunk is the read size: large reads keep syscalls off the profile.
const hashChunk = 1 << 20

// verifier holds one Verify's shared state.
type verifier struct {
	// open opens an attachment's blob for reading from its start (Seek
	// to the start reads it again) and names it for a person.
	open       func(ctx context.Context, id ID) (io.ReadSeekCloser, string, error)
	workers    int
	maxPixels  int64
	progress   func(VerifyProgress)
	totalFiles int
	totalBytes int64
	files      atomic.Int64
	bytes      atomic.Int64
	pixels     *imgfmt.Budget // bounds the pixels being decoded at once, so workers never hold more than one cap's worth
}

func newVerifier(open func(ctx context.Context, id ID) (io.ReadSeekCloser, string, error), opt VerifyOptions) *verifier {
	v := &verifier{open: open, workers: opt.Workers, maxPixels: opt.MaxPixels, progress: opt.Progress}
	if v.workers <= 0 {
		v.workers = runtime.GOMAXPROCS(0)
	}
	if v.maxPixels <= 0 {
		v.maxPixels = DefaultMaxPixels
	}
	v.pixels = imgfmt.NewBudget(v.maxPixels)
	return v
}

// startProgress reports progress ten times a second until the returned
// stop is called, which makes the final report.
func (v *verifier) startProgress() (stop func()) {
	if v.progress == nil {
		return func() {}
	}
	report := func() {
		v.progress(VerifyProgress{Files: int(v.files.Load()), TotalFiles: v.totalFiles, Bytes: v.bytes.Load(), TotalBytes: v.totalBytes})
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				report()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		report()
	}
}

// hashOnly reports whether a blob whose bytes sniff as mime is checked for
// its hash only: a blob-only attachment (newer lash writes no sidecar, and
// from alpha.111 stores any media type) whose bytes are no image. A blob of
// the sidecar generation (with a sidecar file, even an unreadable one, or
// missing one in a sidecar store) was stored as an image by lash
// alpha.43–86, so it must decode. This is the one place that decides.
func hashOnly(a Attachment, mime string) bool {
	return a.HasBlob && a.Generation == GenBlobOnly && !a.HasSidecar && !imgfmt.IsImageMIME(mime)
}

// check hashes one blob and, when it is intact, decodes it unless hashOnly.
func (v *verifier) check(ctx context.Context, a Attachment, buf []byte) VerifyResult {
	r := VerifyResult{ID: a.ID, Size: a.Size}
	if a.Status == StatusOK && a.Meta != nil {
		r.Declared = a.Meta.MediaType
	}
	f, path, err := v.open(ctx, a.ID)
	if err != nil {
		r.Status, r.Detail = VerifyUnreadable, fmt.Sprintf("open %s: %v", path, err)
		return r
	}
	defer f.Close()
	h := sha256.New()
	var n int64
	head := make([]byte, 0, imgfmt.SniffLen)
	for {
		if ctx.Err() != nil {
			r.Status, r.Detail = VerifyUnreadable, "cancelled"
			return r
		}
		k, err := f.Read(buf)
		if k > 0 {
			head = append(head, buf[:min(k, cap(head)-len(head))]...)
			h.Write(buf[:k])
			n += int64(k)
			v.bytes.Add(int64(k))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			r.Status, r.Detail = VerifyUnreadable, fmt.Sprintf("read %s: %v", path, cause(err))
			return r
		}
	}
	r.Size = n
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if got := IDOf(sum); got != a.ID {
		r.Status, r.Detail = VerifyCorrupt, fmt.Sprintf("the bytes hash to %s, not to the name", got.Short())
		return r
	}
	r.MIME = imgfmt.SniffMIME(head)
	if hashOnly(a, r.MIME) {
		r.Status = VerifyOK
		return r
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		r.Status, r.Detail = VerifyUnreadable, fmt.Sprintf("read %s: %v", path, cause(err))
		return r
	}
	d := decodeImage(ctx, f, n, v.maxPixels, v.pixels)
	r.Status, r.Detail, r.Decoded, r.Width, r.Height = d.status, d.detail, d.format, d.width, d.height
	if r.Status == VerifyOK && r.Declared != "" && r.Declared != r.Decoded {
		r.Status, r.Detail = VerifyTypeMismatch, fmt.Sprintf("the sidecar says %s, the bytes are %s", r.Declared.MIME(), r.Decoded.MIME())
	}
	return r
}

// decoded is what decodeImage found.
type decoded struct {
	status        VerifyStatus
	detail        string
	format        MediaType
	width, height int
}

// decodeImage decodes the image in r (size bytes) fully, after checking the
// pixel count from its header against maxPixels, and within budget.
func decodeImage(ctx context.Context, r io.ReadSeeker, size, maxPixels int64, budget *imgfmt.Budget) decoded {
	if size == 0 {
		return decoded{status: VerifyUndecodable, detail: "empty: zero bytes are no image"}
	}
	h, err := imgfmt.ReadHeader(r)
	switch {
	case errors.Is(err, imgfmt.ErrNotImage):
		return decoded{status: VerifyUndecodable, detail: "the bytes are not " + AcceptedTypes}
	case err != nil && h.Format == "":
		return decoded{status: VerifyUnreadable, detail: "read: " + err.Error()}
	case err != nil:
		return decoded{status: VerifyUndecodable, format: h.Format, detail: "the header does not decode: " + err.Error()}
	}
	d := decoded{format: h.Format, width: h.Width, height: h.Height}
	if err := h.Check(maxPixels); err != nil {
		if errors.Is(err, imgfmt.ErrTooLarge) {
			d.status, d.detail = VerifyTooLarge, err.Error()+"; not decoded"
		} else {
			d.status, d.detail = VerifyUndecodable, err.Error()
		}
		return d
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		d.status, d.detail = VerifyUndecodable, "seek: "+err.Error()
		return d
	}
	got, err := budget.Acquire(ctx, h.Pixels())
	if err != nil {
		d.status, d.detail = VerifyUnreadable, "cancelled"
		return d
	}
	defer budget.Release(got)
	if _, err := imgfmt.Decode(bufio.NewReaderSize(r, 64<<10), h); err != nil {
		d.status, d.detail = VerifyUndecodable, fmt.Sprintf("the %s does not decode: %v", d.format.MIME(), err)
		return d
	}
	d.status = VerifyOK
	return d
}
