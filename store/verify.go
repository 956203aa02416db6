package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/image/webp"
)

// VerifyStatus is what a full check (hash and decode) says of a blob.
type VerifyStatus string

// The verify outcomes. The first four are the fixture README's words.
const (
	VerifyOK           VerifyStatus = "ok"            // hashes to its name and decodes as its sidecar says
	VerifyCorrupt      VerifyStatus = "corrupt"       // the bytes do not hash to the name
	VerifyUndecodable  VerifyStatus = "undecodable"   // not a decodable image
	VerifyTypeMismatch VerifyStatus = "type_mismatch" // decodes, but as another type than the sidecar says
	VerifyTooLarge     VerifyStatus = "too_large"     // the header claims more pixels than the cap: not decoded
	VerifyUnreadable   VerifyStatus = "unreadable"    // the blob could not be read
	VerifySymlink      VerifyStatus = "symlink"       // the blob is a symbolic link: never followed, not checked
)

// DefaultMaxPixels is the decode cap: 100 megapixels.
const DefaultMaxPixels = 100_000_000

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
// the type its sidecar names. Blobs are hashed in parallel, streaming;
// images are decoded only under the pixel cap. Attachments without a blob
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
	v := newVerifier(s, opt)
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
	v := newVerifier(s, VerifyOptions{MaxPixels: maxPixels, Workers: 1})
	return v.check(ctx, a, make([]byte, hashChunk))
}

// hashChunk is the read size: large reads keep syscalls off the profile.
const hashChunk = 1 << 20

// verifier holds one Verify's shared state.
type verifier struct {
	s          *Store
	workers    int
	maxPixels  int64
	progress   func(VerifyProgress)
	totalFiles int
	totalBytes int64
	files      atomic.Int64
	bytes      atomic.Int64
	pixels     *pixelBudget
}

func newVerifier(s *Store, opt VerifyOptions) *verifier {
	v := &verifier{s: s, workers: opt.Workers, maxPixels: opt.MaxPixels, progress: opt.Progress}
	if v.workers <= 0 {
		v.workers = runtime.GOMAXPROCS(0)
	}
	if v.maxPixels <= 0 {
		v.maxPixels = DefaultMaxPixels
	}
	v.pixels = &pixelBudget{limit: v.maxPixels}
	v.pixels.cond.L = &v.pixels.mu
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

// check hashes one blob and, when it is intact, decodes it.
func (v *verifier) check(ctx context.Context, a Attachment, buf []byte) VerifyResult {
	r := VerifyResult{ID: a.ID, Size: a.Size}
	if a.Status == StatusOK && a.Meta != nil {
		r.Declared = a.Meta.MediaType
	}
	path := v.s.layout.Blob(a.ID)
	f, err := openNoFollow(path)
	if err != nil {
		r.Status, r.Detail = VerifyUnreadable, fmt.Sprintf("open %s: %v", path, cause(err))
		return r
	}
	defer f.Close()
	h := sha256.New()
	var n int64
	for {
		if ctx.Err() != nil {
			r.Status, r.Detail = VerifyUnreadable, "cancelled"
			return r
		}
		k, err := f.Read(buf)
		if k > 0 {
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
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		r.Status, r.Detail = VerifyUnreadable, fmt.Sprintf("read %s: %v", path, cause(err))
		return r
	}
	d := decodeImage(f, n, v.maxPixels, v.pixels)
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
// pixel count from its header against maxPixels.
func decodeImage(r io.ReadSeeker, size, maxPixels int64, budget *pixelBudget) decoded {
	if size == 0 {
		return decoded{status: VerifyUndecodable, detail: "empty: zero bytes are no image"}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(16)
	if Sniff(head) == "" {
		return decoded{status: VerifyUndecodable, detail: "the bytes are not " + AcceptedTypes}
	}
	cfg, format, err := image.DecodeConfig(br)
	if err != nil {
		return decoded{status: VerifyUndecodable, detail: "the header does not decode: " + err.Error()}
	}
	d := decoded{format: MediaType(format), width: cfg.Width, height: cfg.Height}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 {
		d.status, d.detail = VerifyUndecodable, fmt.Sprintf("the header claims %d×%d pixels", cfg.Width, cfg.Height)
		return d
	}
	if pixels > maxPixels {
		d.status, d.detail = VerifyTooLarge, fmt.Sprintf("%d×%d is %.1f megapixels, over the %.0f-megapixel cap; not decoded", cfg.Width, cfg.Height, float64(pixels)/1e6, float64(maxPixels)/1e6)
		return d
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		d.status, d.detail = VerifyUndecodable, "seek: "+err.Error()
		return d
	}
	budget.acquire(pixels)
	defer budget.release(pixels)
	if d.format == WebP {
		err = decodeWebP(r, size)
	} else {
		_, _, err = image.Decode(bufio.NewReaderSize(r, 64<<10))
	}
	if err != nil {
		d.status, d.detail = VerifyUndecodable, fmt.Sprintf("the %s does not decode: %v", d.format.MIME(), err)
		return d
	}
	d.status = VerifyOK
	return d
}

// maxWebPBytes bounds the WebP files read whole to find an animation's
// first frame; lossless 100-megapixel frames stay well below it.
const maxWebPBytes = 512 << 20

// decodeWebP decodes a WebP. x/image/webp decodes still images only, so an
// animated one (VP8X with the animation flag) is checked by decoding its
// first frame, re-wrapped as a still WebP.
func decodeWebP(r io.Reader, size int64) error {
	if size > maxWebPBytes {
		return fmt.Errorf("%d bytes is more than lashview decodes as WebP", size)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxWebPBytes))
	if err != nil {
		return err
	}
	if still, ok, err := firstWebPFrame(data); ok {
		if err != nil {
			return err
		}
		data = still
	}
	_, err = webp.Decode(bytes.NewReader(data))
	return err
}

// firstWebPFrame returns the first frame of an animated WebP as a still
// WebP. ok is false when data is not an animated WebP.
func firstWebPFrame(data []byte) (still []byte, ok bool, err error) {
	chunks, err := riffChunks(data)
	if err != nil || len(chunks) == 0 || chunks[0].id != "VP8X" {
		return nil, false, nil
	}
	if vp8x := chunks[0].data; len(vp8x) < 10 || vp8x[0]&0x02 == 0 {
		return nil, false, nil
	}
	for _, c := range chunks[1:] {
		if c.id != "ANMF" {
			continue
		}
		if len(c.data) < 16 {
			return nil, true, errors.New("animated WebP: the first frame's header is cut short")
		}
		frame := c.data
		w := int(frame[6]) | int(frame[7])<<8 | int(frame[8])<<16
		h := int(frame[9]) | int(frame[10])<<8 | int(frame[11])<<16
		sub, err := chunkList(frame[16:])
		if err != nil {
			return nil, true, fmt.Errorf("animated WebP: the first frame: %w", err)
		}
		var alph, bits *riffChunk
		for i := range sub {
			switch sub[i].id {
			case "ALPH":
				if alph == nil {
					alph = &sub[i]
				}
			case "VP8 ", "VP8L":
				if bits == nil {
					bits = &sub[i]
				}
			}
		}
		if bits == nil {
			return nil, true, errors.New("animated WebP: the first frame has no image data")
		}
		var body bytes.Buffer
		body.WriteString("WEBP")
		if alph != nil && bits.id == "VP8 " {
			// A lossy frame with alpha needs a VP8X header saying so.
			hdr := make([]byte, 10)
			hdr[0] = 0x10
			put24(hdr[4:], w)
			put24(hdr[7:], h)
			writeChunk(&body, "VP8X", hdr)
			writeChunk(&body, "ALPH", alph.data)
		}
		writeChunk(&body, bits.id, bits.data)
		var out bytes.Buffer
		out.WriteString("RIFF")
		binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
		out.Write(body.Bytes())
		return out.Bytes(), true, nil
	}
	return nil, true, errors.New("animated WebP without any frame")
}

type riffChunk struct {
	id   string
	data []byte
}

// riffChunks lists the chunks of a RIFF WEBP file (anything after the
// RIFF's stated size is ignored, as decoders do).
func riffChunks(data []byte) ([]riffChunk, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, errors.New("not a RIFF WEBP file")
	}
	end := 8 + int64(binary.LittleEndian.Uint32(data[4:8]))
	if end > int64(len(data)) {
		return nil, errors.New("the RIFF size is larger than the file")
	}
	return chunkList(data[12:end])
}

func chunkList(b []byte) ([]riffChunk, error) {
	var out []riffChunk
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, errors.New("a chunk header is cut short")
		}
		n := int64(binary.LittleEndian.Uint32(b[4:8]))
		if n > int64(len(b)-8) {
			return nil, fmt.Errorf("chunk %q claims %d bytes, only %d follow", b[:4], n, len(b)-8)
		}
		out = append(out, riffChunk{id: string(b[:4]), data: b[8 : 8+n]})
		b = b[8+n:]
		if n%2 == 1 && len(b) > 0 {
			b = b[1:] // chunks are padded to an even length
		}
	}
	return out, nil
}

func writeChunk(w *bytes.Buffer, id string, data []byte) {
	w.WriteString(id)
	binary.Write(w, binary.LittleEndian, uint32(len(data)))
	w.Write(data)
	if len(data)%2 == 1 {
		w.WriteByte(0)
	}
}

func put24(b []byte, v int) {
	v-- // VP8X stores width-1 and height-1
	b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16)
}

// pixelBudget bounds the pixels being decoded at once, so several workers
// never hold more than one cap's worth of decoded images in memory.
type pixelBudget struct {
	mu    sync.Mutex
	cond  sync.Cond
	limit int64
	used  int64
}

func (p *pixelBudget) acquire(n int64) {
	p.mu.Lock()
	for p.used > 0 && p.used+n > p.limit {
		p.cond.Wait()
	}
	p.used += n
	p.mu.Unlock()
}

func (p *pixelBudget) release(n int64) {
	p.mu.Lock()
	p.used -= n
	p.cond.Broadcast()
	p.mu.Unlock()
}
