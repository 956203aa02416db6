package thumbs

import (
	"bytes"
	"encoding/binary"
	"image"
	"io"
	"math"

	"golang.org/x/image/webp"

	"lashview/internal/imgfmt"
)

// webpScale is how much larger than the thumbnail libwebp decodes (its
// rescaler averages rows as it decodes, so the full-size picture never
// exists); a Lanczos makes the final size when it is not 1. Measured on
// 1280x800 screenshots (mean difference from a full-size Lanczos; CPU per
// thumbnail, one core): 1.0: 2.8/255, 14 ms; 1.25: 2.2/255, 17 ms; 1.5:
// 1.6/255, 18.5 ms; 2.0: 1.1/255, 25 ms. vipsthumbnail decodes at 1.0 too
// (the same libwebp rescaler, so the same slightly softer result) and
// spends about 22 ms a file. Anything above 1.0 left WebP short of twice
// vipsthumbnail's speed on two cores, the target; so 1.0.
const webpScale = 1.0

// decodeStillWebP decodes a still WebP of w×h whose thumbnail will be
// tw×th: with libwebp, a picture larger than webpScale times the target
// straight to that size, a smaller one at full size; with x/image/webp at
// full size. It returns the image and the size it must have.
func decodeStillWebP(data []byte, w, h, tw, th int, lim limits) (image.Image, image.Point, error) {
	if haveLibwebp() && !lim.pureGo {
		if sw, sh := int(math.Ceil(webpScale*float64(tw))), int(math.Ceil(webpScale*float64(th))); w > sw && h > sh {
			m, err := libwebpDecodeScaled(data, w, h, sw, sh)
			return m, image.Pt(sw, sh), err
		}
		m, err := libwebpDecode(data, w, h)
		return m, image.Pt(w, h), err
	}
	m, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, image.Point{}, err
	}
	// x/image/webp hands lossy pictures over as image.YCbCr, whose colour
	// conversion assumes JPEG's full range; VP8 uses the video range.
	switch v := m.(type) {
	case *image.YCbCr:
		return &vp8Image{YCbCr: v}, image.Pt(w, h), nil
	case *image.NYCbCrA:
		return &vp8Image{YCbCr: &v.YCbCr, a: v.A, aStride: v.AStride}, image.Pt(w, h), nil
	}
	return m, image.Pt(w, h), nil
}

// decodeWebP decodes a WebP of canvas w×h (the first frame of an animated
// one) for a thumbnail of px. It returns the image, the rectangle it
// covers on the canvas, and the size the image must have.
func decodeWebP(hd header, stream io.Reader, size int64, px int, lim limits) (image.Image, image.Rectangle, image.Point, error) {
	canvas := image.Rect(0, 0, hd.w, hd.h)
	tw, th := fitBox(hd.w, hd.h, px)
	if hd.animated {
		still, at, err := imgfmt.WebPFirstFrame(stream, hd.w, hd.h)
		if err != nil {
			return nil, at, image.Point{}, err
		}
		// The frame's share of the thumbnail, rounded up.
		ftw := (at.Dx()*tw + hd.w - 1) / hd.w
		fth := (at.Dy()*th + hd.h - 1) / hd.h
		m, want, err := decodeStillWebP(still, at.Dx(), at.Dy(), ftw, fth, lim)
		return m, at, want, err
	}
	data, err := readAllSized(stream, size, hd.w, hd.h)
	if haveLibwebp() && !lim.pureGo {
		// libwebp writes into Go memory of its own: the buffer can be
		// kept. x/image/webp's images are not checked for sharing it.
		defer putReadBuf(data)
	}
	if err != nil {
		return nil, canvas, image.Point{}, err
	}
	m, want, err := decodeStillWebP(data, hd.w, hd.h, tw, th, lim)
	return m, canvas, want, err
}

// noEOF turns a bare io.EOF inside a structure into io.ErrUnexpectedEOF:
// the file ended where more was promised.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// webpOpaqueLossy reports whether a still WebP is lossy (VP8) without an
// alpha channel: the only kind whose YCbCr planes are the whole picture.
func webpOpaqueLossy(data []byte) bool {
	if len(data) < 16 {
		return false
	}
	switch string(data[12:16]) {
	case "VP8 ":
		return true
	case "VP8X":
		if len(data) < 30 || data[20]&0x10 != 0 { // alpha flag
			return false
		}
		for rest := data[30:]; len(rest) >= 8; {
			switch string(rest[:4]) {
			case "VP8 ":
				return true
			case "VP8L":
				return false
			}
			n := int(binary.LittleEndian.Uint32(rest[4:8]))
			if 8+n > len(rest) {
				return false
			}
			rest = rest[min(8+n+n&1, len(rest)):]
		}
	}
	return false
}
