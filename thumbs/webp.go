package thumbs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"math"

	"golang.org/x/image/webp"
)

// webpAnimated reports whether a WebP's first 21 bytes carry a VP8X chunk
// with the animation flag. golang.org/x/image/webp decodes still images
// only; an animated file ends in "webp: invalid format" there.
func webpAnimated(head []byte) bool {
	return len(head) >= 21 && string(head[12:16]) == "VP8X" && head[20]&0x02 != 0
}

// webpFirstFrame reads an animated WebP of canvas cw×ch up to its first
// frame, and returns that frame's ALPH and VP8/VP8L chunks rewrapped as a
// still WebP (which x/image/webp and libwebp's simple API can decode), and
// where the frame lies on the canvas.
func webpFirstFrame(r io.Reader, cw, ch int) ([]byte, image.Rectangle, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, image.Rectangle{}, fmt.Errorf("webp: reading RIFF header: %w", noEOF(err))
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WEBP" {
		return nil, image.Rectangle{}, errors.New("webp: not a RIFF WEBP file")
	}
	size := int64(binary.LittleEndian.Uint32(hdr[4:8]))
	if size < 4 {
		return nil, image.Rectangle{}, errors.New("webp: RIFF size too small")
	}
	// Only the bytes the RIFF header declares belong to the image; anything
	// after them is ignored, as libwebp does.
	r = io.LimitReader(r, size-4)
	for {
		id, payload, err := nextChunk(r)
		if err == io.EOF {
			return nil, image.Rectangle{}, errors.New("webp: animated file has no frame")
		}
		if err != nil {
			return nil, image.Rectangle{}, err
		}
		if id != "ANMF" {
			if err := skipChunk(r, payload); err != nil {
				return nil, image.Rectangle{}, err
			}
			continue
		}
		if payload < 16 {
			return nil, image.Rectangle{}, errors.New("webp: ANMF chunk too short")
		}
		frame := make([]byte, payload)
		if _, err := io.ReadFull(r, frame); err != nil {
			return nil, image.Rectangle{}, fmt.Errorf("webp: reading first frame: %w", noEOF(err))
		}
		return stillFromANMF(frame, cw, ch)
	}
}

// stillFromANMF rewraps one ANMF payload as a still WebP.
func stillFromANMF(f []byte, cw, ch int) ([]byte, image.Rectangle, error) {
	u24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
	x, y := 2*u24(f[0:]), 2*u24(f[3:])
	w, h := u24(f[6:])+1, u24(f[9:])+1
	at := image.Rect(x, y, x+w, y+h)
	if !at.In(image.Rect(0, 0, cw, ch)) {
		return nil, at, fmt.Errorf("%w: webp frame %dx%d at %d,%d outside the %dx%d canvas", ErrHeaderLies, w, h, x, y, cw, ch)
	}
	var alph, bits []byte // whole chunks, header included
	for rest := f[16:]; len(rest) >= 8 && bits == nil; {
		id := string(rest[:4])
		n := int(binary.LittleEndian.Uint32(rest[4:8]))
		if 8+n > len(rest) {
			return nil, at, errors.New("webp: frame chunk runs past its ANMF")
		}
		end := min(8+n+n&1, len(rest)) // the last chunk may lack its pad byte
		switch id {
		case "ALPH":
			alph = rest[:8+n]
		case "VP8 ", "VP8L":
			bits = rest[:8+n]
		}
		rest = rest[end:]
	}
	if bits == nil {
		return nil, at, errors.New("webp: first frame has no VP8 or VP8L data")
	}
	var still bytes.Buffer
	body := 4 + pad(len(bits))
	if alph != nil && string(bits[:4]) == "VP8 " {
		body += 18 + pad(len(alph))
	} else {
		alph = nil // VP8L carries its own alpha
	}
	still.WriteString("RIFF")
	binary.Write(&still, binary.LittleEndian, uint32(body))
	still.WriteString("WEBP")
	if alph != nil {
		vp8x := []byte{'V', 'P', '8', 'X', 10, 0, 0, 0, 0x10, 0, 0, 0,
			byte(w - 1), byte((w - 1) >> 8), byte((w - 1) >> 16),
			byte(h - 1), byte((h - 1) >> 8), byte((h - 1) >> 16)}
		still.Write(vp8x)
		writePadded(&still, alph)
	}
	writePadded(&still, bits)
	return still.Bytes(), at, nil
}

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
		still, at, err := webpFirstFrame(stream, hd.w, hd.h)
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
	if err != nil {
		return nil, canvas, image.Point{}, err
	}
	m, want, err := decodeStillWebP(data, hd.w, hd.h, tw, th, lim)
	return m, canvas, want, err
}

// nextChunk reads a RIFF chunk header and returns its id and payload size.
func nextChunk(r io.Reader) (string, int, error) {
	var h [8]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if err == io.EOF {
			return "", 0, io.EOF
		}
		return "", 0, fmt.Errorf("webp: reading chunk header: %w", noEOF(err))
	}
	n := binary.LittleEndian.Uint32(h[4:])
	if n > 1<<30 {
		return "", 0, fmt.Errorf("webp: chunk %q claims %d bytes", h[:4], n)
	}
	return string(h[:4]), int(n), nil
}

func skipChunk(r io.Reader, n int) error {
	if _, err := io.CopyN(io.Discard, r, int64(pad(n))); err != nil {
		// A missing pad byte after the last chunk is harmless.
		if err == io.EOF {
			return nil
		}
		return fmt.Errorf("webp: skipping chunk: %w", err)
	}
	return nil
}

func pad(n int) int { return n + n&1 }

func writePadded(b *bytes.Buffer, chunk []byte) {
	b.Write(chunk)
	if len(chunk)&1 == 1 {
		b.WriteByte(0)
	}
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
