package thumbs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io"

	"golang.org/x/image/webp"
)

// webpAnimated reports whether a WebP's first 21 bytes carry a VP8X chunk
// with the animation flag. golang.org/x/image/webp decodes still images
// only; an animated file ends in "webp: invalid format" there.
func webpAnimated(head []byte) bool {
	return len(head) >= 21 && string(head[12:16]) == "VP8X" && head[20]&0x02 != 0
}

// decodeWebPFirstFrame decodes the first frame of an animated WebP of
// canvas cw×ch. It walks the RIFF chunks to the first ANMF, rewraps that
// frame's ALPH and VP8/VP8L chunks as a still WebP for x/image/webp, and
// places the result on a transparent canvas at the frame's offset.
func decodeWebPFirstFrame(r io.Reader, cw, ch int) (image.Image, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("webp: reading RIFF header: %w", noEOF(err))
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WEBP" {
		return nil, errors.New("webp: not a RIFF WEBP file")
	}
	// Only the bytes the RIFF header declares belong to the image; anything
	// after them is ignored, as libwebp does.
	size := int64(binary.LittleEndian.Uint32(hdr[4:8]))
	if size < 4 {
		return nil, errors.New("webp: RIFF size too small")
	}
	r = io.LimitReader(r, size-4)
	for {
		id, payload, err := nextChunk(r)
		if err == io.EOF {
			return nil, errors.New("webp: animated file has no frame")
		}
		if err != nil {
			return nil, err
		}
		if id != "ANMF" {
			if err := skipChunk(r, payload); err != nil {
				return nil, err
			}
			continue
		}
		if payload < 16 {
			return nil, errors.New("webp: ANMF chunk too short")
		}
		frame := make([]byte, payload)
		if _, err := io.ReadFull(r, frame); err != nil {
			return nil, fmt.Errorf("webp: reading first frame: %w", noEOF(err))
		}
		return decodeANMF(frame, cw, ch)
	}
}

// decodeANMF decodes one ANMF payload onto a cw×ch canvas.
func decodeANMF(f []byte, cw, ch int) (image.Image, error) {
	u24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
	x, y := 2*u24(f[0:]), 2*u24(f[3:])
	w, h := u24(f[6:])+1, u24(f[9:])+1
	if x+w > cw || y+h > ch {
		return nil, fmt.Errorf("%w: webp frame %dx%d at %d,%d outside the %dx%d canvas", ErrHeaderLies, w, h, x, y, cw, ch)
	}
	var alph, bits []byte // whole chunks, header included
	for rest := f[16:]; len(rest) >= 8 && bits == nil; {
		id := string(rest[:4])
		n := int(binary.LittleEndian.Uint32(rest[4:8]))
		end := 8 + n + n&1
		if 8+n > len(rest) {
			return nil, errors.New("webp: frame chunk runs past its ANMF")
		}
		if end > len(rest) {
			end = len(rest) // the last chunk may lack its pad byte
		}
		switch id {
		case "ALPH":
			alph = rest[:8+n]
		case "VP8 ", "VP8L":
			bits = rest[:8+n]
		}
		rest = rest[end:]
	}
	if bits == nil {
		return nil, errors.New("webp: first frame has no VP8 or VP8L data")
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
	m, err := webp.Decode(&still)
	if err != nil {
		return nil, err
	}
	if b := m.Bounds(); b.Dx() != w || b.Dy() != h {
		return nil, fmt.Errorf("%w: webp frame header says %dx%d, its data %dx%d", ErrHeaderLies, w, h, b.Dx(), b.Dy())
	}
	if x == 0 && y == 0 && w == cw && h == ch {
		return m, nil
	}
	canvas := image.NewRGBA(image.Rect(0, 0, cw, ch))
	draw.Draw(canvas, image.Rect(x, y, x+w, y+h), m, m.Bounds().Min, draw.Src)
	return canvas, nil
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
