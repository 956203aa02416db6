package imgfmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"slices"
)

// WebPAnimated reports whether a WebP's first 21 bytes carry a VP8X chunk
// with the animation flag. golang.org/x/image/webp decodes still images
// only; an animated file ends in "webp: invalid format" there.
func WebPAnimated(head []byte) bool {
	return len(head) >= 21 && string(head[12:16]) == "VP8X" && head[20]&0x02 != 0
}

// WebPFirstFrame reads an animated WebP of canvas cw×ch (from its header)
// up to its first frame, and returns that frame's ALPH and VP8/VP8L chunks
// rewrapped as a still WebP (which x/image/webp and libwebp's simple API
// decode), and where the frame lies on the canvas. It reads nothing after
// the first frame, and holds no more memory than the bytes it read: a frame
// that claims more bytes than the file has is an error, not an allocation.
func WebPFirstFrame(r io.Reader, cw, ch int) ([]byte, image.Rectangle, error) {
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
		frame, err := readN(r, payload)
		if err != nil {
			return nil, image.Rectangle{}, fmt.Errorf("webp: reading first frame: %w", err)
		}
		return stillFromANMF(frame, cw, ch)
	}
}

// readN reads exactly n bytes. It allocates once for up to 1 MiB, and
// beyond that doubles as the bytes arrive, so a chunk that claims more
// than the file holds costs no more memory than the file.
func readN(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, 1<<20))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), len(buf)))
		}
		k, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err != nil {
			return nil, noEOF(err)
		}
	}
	return buf, nil
}

// stillFromANMF rewraps one ANMF payload as a still WebP.
func stillFromANMF(f []byte, cw, ch int) ([]byte, image.Rectangle, error) {
	u24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
	x, y := 2*u24(f[0:]), 2*u24(f[3:])
	w, h := u24(f[6:])+1, u24(f[9:])+1
	at := image.Rect(x, y, x+w, y+h)
	if !at.In(image.Rect(0, 0, cw, ch)) {
		return nil, at, &headerError{ErrHeaderLies, fmt.Sprintf("webp frame %dx%d at %d,%d outside the %dx%d canvas", w, h, x, y, cw, ch)}
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
	still.Grow(8 + body)
	still.WriteString("RIFF")
	binary.Write(&still, binary.LittleEndian, uint32(body))
	still.WriteString("WEBP")
	if alph != nil {
		// A lossy frame with alpha needs a VP8X header saying so.
		vp8x := []byte{'V', 'P', '8', 'X', 10, 0, 0, 0, 0x10, 0, 0, 0,
			byte(w - 1), byte((w - 1) >> 8), byte((w - 1) >> 16),
			byte(h - 1), byte((h - 1) >> 8), byte((h - 1) >> 16)}
		still.Write(vp8x)
		writePadded(&still, alph)
	}
	writePadded(&still, bits)
	return still.Bytes(), at, nil
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
