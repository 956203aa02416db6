package thumbs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math"
	"strings"

	"golang.org/x/image/bmp"

	"lashview/internal/imgfmt"
)

// DefaultMaxPixels is the default pixel cap, imgfmt's: 100 megapixels.
const DefaultMaxPixels = imgfmt.DefaultMaxPixels

// headLen is how much of a file the guard reads before deciding anything:
// enough for every format's fixed header (BMP v5 with masks is the longest).
const headLen = 160

// limits bound one thumbnail: the pixel cap, the shared decode budget, and
// whether decoding may use libjpeg and libwebp (tests turn them off to
// check the pure-Go fallbacks).
type limits struct {
	ctx       context.Context
	maxPixels int64
	budget    *imgfmt.Budget // nil: unbounded
	pureGo    bool
	wholePNG  bool // tests: image/png instead of the streaming decoder
}

// header is what the guard learned before decoding any pixel.
type header struct {
	format    imgfmt.Format
	w, h      int // as stored, before EXIF orientation
	jpeg      jpegInfo
	jpegGray  bool
	jpegCMYK  bool
	pngBits   int  // bits per pixel of a PNG
	pngStream bool // a PNG that pngStream reads
	animated  bool
	bmp       *bmpBitfields // set when x/image/bmp cannot read the file
}

// recorder passes reads through and keeps a copy of what it read while
// recording, so the header bytes can be replayed to the full decoder without
// seeking. It also remembers a read error that is not io.EOF: that is a
// problem with the blob (I/O), not with the image.
type recorder struct {
	r         io.Reader
	buf       []byte
	recording bool
	ioErr     error
}

func (rc *recorder) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	if rc.recording {
		rc.buf = append(rc.buf, p[:n]...)
	}
	if err != nil && err != io.EOF && rc.ioErr == nil {
		rc.ioErr = err
	}
	return n, err
}

// Thumbnail decodes the image in r and fits it into a px×px box, upright
// and never enlarged. It refuses, before decoding, images whose header
// claims more than maxPixels (0 means DefaultMaxPixels) or more pixels than
// the file's size can hold. Bytes that are no image are a *NotImage;
// problems with an image's bytes are *Failure errors; read errors are
// returned as they are.
func Thumbnail(r io.Reader, px int, maxPixels int64) (*image.NRGBA, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	return makeThumb(r, readerSize(r), px, limits{ctx: context.Background(), maxPixels: maxPixels})
}

// readerSize returns the size of r when it can tell without reading (an
// *os.File, a bytes.Reader), else -1.
func readerSize(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	case interface{ Size() int64 }:
		return v.Size()
	}
	return -1
}

// makeThumb is Thumbnail with a known size (-1 when unknown) and limits.
func makeThumb(r io.Reader, size int64, px int, lim limits) (img *image.NRGBA, err error) {
	if px <= 0 {
		return nil, fmt.Errorf("thumbnail box of %d pixels", px)
	}
	rec := &recorder{r: r, recording: true}
	defer func() {
		// Image decoders have a history of panicking on hostile input; one
		// bad file must not take the program down.
		if p := recover(); p != nil {
			img, err = nil, failf(nil, "decoder crashed: %v", p)
		}
		if err != nil && rec.ioErr != nil {
			// The bytes could not be read: say so, and do not let the
			// cache remember a failure the image is not to blame for.
			img, err = nil, fmt.Errorf("read: %w", rec.ioErr)
		}
	}()
	hd, err := readHeader(rec, size, lim.maxPixels)
	if err != nil {
		return nil, err
	}
	need := estimate(hd, size, px, lim)
	if lim.budget != nil {
		got, err := lim.budget.Acquire(lim.ctx, need)
		if err != nil {
			return nil, err
		}
		defer lim.budget.Release(got)
	}
	rec.recording = false
	stream := io.MultiReader(bytes.NewReader(rec.buf), rec)
	return decodeAndShrink(hd, stream, size, px, lim)
}

// readHeader reads the format and size, then applies the guard: a pixel
// cap, and for formats whose compression has a known bound, a minimum file
// size for the claimed pixel count.
func readHeader(rec *recorder, size int64, maxPixels int64) (header, error) {
	var hd header
	head := make([]byte, headLen)
	n, err := io.ReadFull(rec, head)
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return hd, &NotImage{MIME: imgfmt.SniffMIME(nil)}
	case err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		return hd, fmt.Errorf("read header: %w", err)
	}
	head = head[:n]
	hd.format = imgfmt.Sniff(head)
	if hd.format == "" {
		return hd, notImage(rec, head)
	}
	cfgReader := io.MultiReader(bytes.NewReader(head), rec)
	cfg, err := imgfmt.DecodeConfig(hd.format, cfgReader)
	switch hd.format {
	case imgfmt.PNG:
		if err == nil && n >= 29 {
			hd.pngBits = pngBitsPerPixel(head[24], head[25])
			hd.pngStream = pngStreamable(head)
		}
	case imgfmt.JPEG:
		if err == nil {
			hd.jpeg = scanJPEG(rec.buf)
			hd.jpegGray = cfg.ColorModel == color.GrayModel
			hd.jpegCMYK = cfg.ColorModel == color.CMYKModel
		}
	case imgfmt.WebP:
		hd.animated = imgfmt.WebPAnimated(head)
	case imgfmt.BMP:
		if errors.Is(err, bmp.ErrUnsupported) {
			bf, perr := parseBMPBitfields(head)
			if perr != nil {
				return hd, failf(perr, "bmp header")
			}
			hd.bmp = &bf
			cfg, err = image.Config{Width: bf.w, Height: bf.h}, nil
		}
	}
	if err != nil {
		if rec.ioErr != nil {
			return hd, fmt.Errorf("read header: %w", rec.ioErr)
		}
		return hd, failf(noEOF(err), "%s header", hd.format)
	}
	hd.w, hd.h = cfg.Width, cfg.Height
	if err := (imgfmt.Header{Format: hd.format, Width: hd.w, Height: hd.h}).Check(maxPixels); err != nil {
		return hd, failf(err, "%v", err)
	}
	if size >= 0 {
		if least := minFileSize(hd, head); size < least {
			return hd, failf(ErrHeaderLies, "%s header claims %dx%d pixels, which need at least %d bytes; the file has %d",
				hd.format, hd.w, hd.h, least, size)
		}
	}
	return hd, nil
}

// notImage is the answer for bytes that Sniff names no format: their
// MIME type, from as many bytes as SniffMIME looks at (the store sniffs as
// many, so both name the same type).
func notImage(rec *recorder, head []byte) error {
	if len(head) == headLen {
		more := make([]byte, imgfmt.SniffLen-headLen)
		n, _ := io.ReadFull(rec, more) // a read error shows in rec.ioErr
		head = append(head, more[:n]...)
	}
	return &NotImage{MIME: imgfmt.SniffMIME(head)}
}

// pngBitsPerPixel derives bits per pixel from IHDR's bit depth and colour
// type.
func pngBitsPerPixel(depth, colorType byte) int {
	channels := 1 // grey (0), palette (3)
	switch colorType {
	case 2: // RGB
		channels = 3
	case 4: // grey + alpha
		channels = 2
	case 6: // RGBA
		channels = 4
	}
	return max(1, int(depth)*channels)
}

// minFileSize is a lower bound on the size of a file that really holds
// the pixels its header claims, or 0 where the format gives none (WebP,
// GIF, progressive or arithmetic-coded JPEG).
func minFileSize(hd header, head []byte) int64 {
	w, h := int64(hd.w), int64(hd.h)
	switch hd.format {
	case imgfmt.PNG:
		// Deflate expands at most 1032:1 (a 258-byte match in 2 bits);
		// every row carries a filter byte.
		raw := h * (1 + (w*int64(hd.pngBits)+7)/8)
		return 8 + 25 + 12 + 12 + raw/1032
	case imgfmt.BMP:
		// Uncompressed rows padded to 4 bytes: the size is exact.
		bpp := int64(binary.LittleEndian.Uint16(head[28:]))
		off := int64(binary.LittleEndian.Uint32(head[10:]))
		if hd.bmp != nil {
			off, bpp = hd.bmp.offset, int64(hd.bmp.bpp)
		}
		return off + (w*bpp+31)/32*4*h
	case imgfmt.JPEG:
		if hd.jpeg.progressive || hd.jpeg.arithmetic {
			return 0 // end-of-band runs and arithmetic coding have no floor
		}
		// Sequential Huffman coding spends at least 2 bits on every 8×8
		// luma block (a DC difference and an end of block).
		return ((w + 7) / 8) * ((h + 7) / 8) / 4
	}
	return 0
}

// estimate is the memory, in bytes, a decode of hd will hold at its peak.
func estimate(hd header, size int64, px int, lim limits) int64 {
	p := int64(hd.w) * int64(hd.h)
	const slack = 1 << 20
	switch hd.format {
	case imgfmt.PNG:
		if hd.pngStream {
			// Rows, and the box-shrunk picture; whole only when small.
			tw, th := fitBox(hd.w, hd.h, px)
			if k := int64(min(hd.w/(2*tw), hd.h/(2*th))); k >= 2 {
				return 4*p/(k*k) + slack
			}
			return 4*p + slack
		}
		if hd.pngBits > 32 {
			return 8*p + slack // image/png keeps 16-bit samples
		}
		return 4*p + slack
	case imgfmt.JPEG:
		n := max(size, 0) + slack
		if hd.jpeg.progressive {
			// Coefficients of the whole image wait for the last scan:
			// 2 bytes each in libjpeg, 4 in Go's decoder.
			n += 3 * 4 * p
		}
		if useLibjpeg(hd, lim) {
			tw, th := fitBox(hd.w, hd.h, px)
			d := int64(jpegDenom(hd.w, hd.h, tw, th))
			return n + 4*p/(d*d)
		}
		return n + 3*p
	case imgfmt.GIF:
		return p + slack
	case imgfmt.WebP:
		// libwebp: the file and RGBA out. x/image: lossless keeps ARGB
		// words besides the NRGBA result.
		if haveLibwebp() && !lim.pureGo {
			return max(size, 0) + 4*p + slack
		}
		return 8*p + slack
	case imgfmt.BMP:
		return 4*p + slack
	}
	return 4*p + slack
}

// useLibjpeg says whether this JPEG goes to libjpeg-turbo: it cannot
// convert CMYK/YCCK (Adobe) files to RGB, Go's decoder can.
func useLibjpeg(hd header, lim limits) bool {
	return haveLibjpeg && !lim.pureGo && !hd.jpegCMYK
}

// jpegDenom picks the largest DCT scaling denominator (8, 4, 2 or 1) whose
// output still covers the tw×th target, so the final resample only ever
// shrinks.
func jpegDenom(w, h, tw, th int) int {
	for _, d := range []int{8, 4, 2} {
		if (w+d-1)/d >= tw && (h+d-1)/d >= th {
			return d
		}
	}
	return 1
}

// decodeAndShrink decodes the whole stream and makes the thumbnail.
func decodeAndShrink(hd header, stream io.Reader, size int64, px int, lim limits) (*image.NRGBA, error) {
	var (
		img        image.Image
		err        error
		canvas     = image.Rect(0, 0, hd.w, hd.h)
		at         = canvas // where img lies on the canvas
		wantW      = hd.w
		wantH      = hd.h
		orientCode = 1
	)
	if hd.format == imgfmt.PNG && hd.pngStream && !lim.wholePNG {
		tw, th := fitBox(hd.w, hd.h, px)
		img, err := shrinkPNGStream(stream, hd.w, hd.h, tw, th)
		if err != nil {
			return nil, pngFailure(err)
		}
		return img, nil
	}
	switch hd.format {
	case imgfmt.JPEG:
		orientCode = hd.jpeg.orientation
		img, wantW, wantH, err = decodeJPEG(hd, stream, size, px, lim)
	case imgfmt.PNG:
		img, err = png.Decode(stream)
	case imgfmt.GIF:
		// gif.Decode stops after the first frame, which may cover only
		// part of the logical screen; its bounds say which part.
		if img, err = gif.Decode(stream); err == nil {
			at = img.Bounds()
			wantW, wantH = at.Dx(), at.Dy()
		}
	case imgfmt.WebP:
		var want image.Point
		img, at, want, err = decodeWebP(hd, stream, size, px, lim)
		wantW, wantH = want.X, want.Y
	case imgfmt.BMP:
		if hd.bmp != nil {
			img, err = hd.bmp.decode(stream)
		} else if img, err = bmp.Decode(stream); err == nil {
			if n, ok := img.(*image.NRGBA); ok {
				opaqueIfInvisible(n)
			}
		}
	}
	if err != nil {
		return nil, decodeFailure(string(hd.format), err)
	}
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		return nil, failf(ErrHeaderLies, "%s header says %dx%d, the data decodes to %dx%d",
			hd.format, wantW, wantH, b.Dx(), b.Dy())
	}
	if !at.In(canvas) {
		return nil, failf(ErrHeaderLies, "%s frame %v outside the %dx%d canvas", hd.format, at, hd.w, hd.h)
	}
	tw, th := fitBox(hd.w, hd.h, px)
	if at != canvas {
		// Rather than allocate the whole canvas (which may be huge and
		// nearly empty), scale the frame and place it on a target-sized
		// canvas.
		return orient(placeFrame(img, at, hd.w, hd.h, tw, th), orientCode), nil
	}
	if hd.format == imgfmt.JPEG {
		return orient(resizeBoxTo(img, tw, th, photoBoxFloor), orientCode), nil
	}
	return orient(resizeTo(img, tw, th), orientCode), nil
}

// decodeFailure turns a decoder's error into a Failure.
func decodeFailure(format string, err error) error {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	if errors.Is(err, ErrHeaderLies) {
		return failf(ErrHeaderLies, "%v", err)
	}
	err = noEOF(err)
	// Decoders prefix their own name ("png: invalid format"); say it once.
	msg := strings.TrimPrefix(err.Error(), format+": ")
	return &Failure{Reason: format + " decode: " + msg, cause: err}
}

func pngFailure(err error) error { return decodeFailure("png", err) }

// decodeJPEG decodes a JPEG, scaled down by libjpeg-turbo when built in and
// the file allows, else at full size by Go. It returns the image and the
// size it must have.
func decodeJPEG(hd header, stream io.Reader, size int64, px int, lim limits) (image.Image, int, int, error) {
	data, err := readAllSized(stream, size, hd.w, hd.h)
	// Both decoders copy what they need: the buffer can be kept.
	defer putReadBuf(data)
	if err != nil {
		return nil, 0, 0, err
	}
	if useLibjpeg(hd, lim) {
		tw, th := fitBox(hd.w, hd.h, px)
		d := jpegDenom(hd.w, hd.h, tw, th)
		img, err := libjpegDecode(data, hd.w, hd.h, d, hd.jpegGray)
		if err == nil {
			return img, (hd.w + d - 1) / d, (hd.h + d - 1) / d, nil
		}
		if errors.Is(err, errLibjpegTruncated) {
			return nil, 0, 0, err
		}
		// libjpeg refused something Go's decoder may accept (it is more
		// lenient about some markers); let Go have the last word.
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	return img, hd.w, hd.h, err
}

// placeFrame scales a frame that covers the rectangle at of a cw×ch
// canvas onto a transparent tw×th thumbnail, at the matching place.
func placeFrame(frame image.Image, at image.Rectangle, cw, ch, tw, th int) *image.NRGBA {
	sx, sy := float64(tw)/float64(cw), float64(th)/float64(ch)
	r := image.Rect(int(float64(at.Min.X)*sx), int(float64(at.Min.Y)*sy),
		int(math.Ceil(float64(at.Max.X)*sx)), int(math.Ceil(float64(at.Max.Y)*sy))).Intersect(image.Rect(0, 0, tw, th))
	out := image.NewNRGBA(image.Rect(0, 0, tw, th))
	if r.Empty() {
		return out
	}
	small := resizeTo(frame, r.Dx(), r.Dy())
	for y := 0; y < r.Dy(); y++ {
		copy(out.Pix[out.PixOffset(r.Min.X, r.Min.Y+y):], small.Pix[y*small.Stride:y*small.Stride+4*r.Dx()])
	}
	return out
}
