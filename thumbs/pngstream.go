package thumbs

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"image"
	"io"
)

// pngStream decodes a PNG row by row into non-premultiplied RGBA, so a
// screenshot (or a 12-megapixel photo saved as PNG) can be box-shrunk as it
// inflates: the full-size picture never exists. That saves image/png's
// output buffer (4 bytes a pixel) and a pass over it, and makes the
// memory of a PNG thumbnail a few rows instead of the whole image.
//
// It reads what screenshots and most other PNGs are: not interlaced, 8-bit
// grey, grey+alpha, RGB or RGBA, or a 1/2/4/8-bit palette, with tRNS
// transparency. Others (16-bit, sub-byte grey, Adam7) go to image/png;
// pngStreamable says which. Errors follow image/png's: the same checks
// (chunk order, CRCs, zlib checksum, too little or too much pixel data)
// make the same files undecodable on both paths.
type pngStream struct {
	w, h      int
	colorType byte
	depth     byte
	palette   [256][4]uint8 // NRGBA; entries past PLTE stay opaque black
	paletteN  int
	trans     [6]byte // tRNS for grey (2 bytes) and RGB (6 bytes)
	useTrans  bool
	br        *bufio.Reader
	idat      *idatReader
	zr        io.ReadCloser
	bpp       int // bytes per complete pixel, for the filters (at least 1)
	cur, prev []byte
	y         int
}

// Colour types.
const (
	pngGrey      = 0
	pngRGB       = 2
	pngPalette   = 3
	pngGreyAlpha = 4
	pngRGBA      = 6
)

var errPNGChunkOrder = errors.New("png: invalid format: chunk out of order")

// pngStreamable reports whether a PNG whose first bytes are head (IHDR
// included) is one pngStream reads.
func pngStreamable(head []byte) bool {
	if len(head) < 29 {
		return false
	}
	depth, ct, interlace := head[24], head[25], head[28]
	if interlace != 0 {
		return false
	}
	switch ct {
	case pngGrey, pngRGB, pngGreyAlpha, pngRGBA:
		return depth == 8
	case pngPalette:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8
	}
	return false
}

// newPNGStream reads the signature and every chunk up to the first IDAT.
func newPNGStream(r io.Reader) (*pngStream, error) {
	p := &pngStream{br: bufio.NewReaderSize(r, 32<<10)}
	for i := range p.palette {
		p.palette[i] = [4]uint8{0, 0, 0, 0xFF}
	}
	var sig [8]byte
	if _, err := io.ReadFull(p.br, sig[:]); err != nil {
		return nil, noEOF(err)
	}
	if string(sig[:]) != "\x89PNG\r\n\x1a\n" {
		return nil, errors.New("png: invalid format: not a PNG file")
	}
	crc := crc32.NewIEEE()
	seenIHDR, seenPLTE := false, false
	for {
		typ, length, err := pngChunkHeader(p.br, crc)
		if err != nil {
			return nil, err
		}
		switch typ {
		case "IHDR":
			if seenIHDR || length != 13 {
				return nil, errors.New("png: invalid format: bad IHDR")
			}
			seenIHDR = true
			var b [13]byte
			if err := pngChunkData(p.br, crc, b[:]); err != nil {
				return nil, err
			}
			p.w, p.h = int(binary.BigEndian.Uint32(b[0:])), int(binary.BigEndian.Uint32(b[4:]))
			p.depth, p.colorType = b[8], b[9]
			if p.w <= 0 || p.h <= 0 || b[10] != 0 || b[11] != 0 {
				return nil, errors.New("png: invalid format: bad IHDR")
			}
		case "PLTE":
			if !seenIHDR || seenPLTE {
				return nil, errPNGChunkOrder
			}
			seenPLTE = true
			n := int(length / 3)
			if length%3 != 0 || n == 0 || n > 256 || (p.colorType == pngPalette && n > 1<<p.depth) {
				return nil, errors.New("png: invalid format: bad PLTE length")
			}
			b := make([]byte, length)
			if err := pngChunkData(p.br, crc, b); err != nil {
				return nil, err
			}
			for i := 0; i < n; i++ {
				p.palette[i] = [4]uint8{b[3*i], b[3*i+1], b[3*i+2], 0xFF}
			}
			p.paletteN = n
		case "tRNS":
			if !seenIHDR || (p.colorType == pngPalette && !seenPLTE) {
				return nil, errPNGChunkOrder
			}
			b := make([]byte, length)
			if err := pngChunkData(p.br, crc, b); err != nil {
				return nil, err
			}
			switch p.colorType {
			case pngPalette:
				if int(length) > 256 {
					return nil, errors.New("png: invalid format: bad tRNS length")
				}
				for i, a := range b {
					p.palette[i][3] = a
				}
			case pngGrey:
				if length != 2 {
					return nil, errors.New("png: invalid format: bad tRNS length")
				}
				copy(p.trans[:], b)
				p.useTrans = true
			case pngRGB:
				if length != 6 {
					return nil, errors.New("png: invalid format: bad tRNS length")
				}
				copy(p.trans[:], b)
				p.useTrans = true
			default:
				return nil, errors.New("png: invalid format: tRNS, color type mismatch")
			}
		case "IDAT":
			if !seenIHDR || (p.colorType == pngPalette && !seenPLTE) {
				return nil, errPNGChunkOrder
			}
			return p, p.start(length, crc)
		case "IEND":
			return nil, errPNGChunkOrder
		default:
			if length > 0x7fffffff {
				return nil, fmt.Errorf("png: invalid format: bad chunk length %d", length)
			}
			if err := pngSkipChunk(p.br, crc, length); err != nil {
				return nil, err
			}
		}
	}
}

// start sets up inflating from the first IDAT chunk (its header read).
func (p *pngStream) start(length uint32, crc hash.Hash32) error {
	channels := map[byte]int{pngGrey: 1, pngRGB: 3, pngPalette: 1, pngGreyAlpha: 2, pngRGBA: 4}[p.colorType]
	bits := channels * int(p.depth)
	p.bpp = max(1, bits/8)
	rowBytes := (p.w*bits + 7) / 8
	p.cur, p.prev = make([]byte, 1+rowBytes), make([]byte, 1+rowBytes)
	p.idat = &idatReader{br: p.br, crc: crc, left: length}
	zr, err := zlib.NewReader(p.idat)
	if err != nil {
		return fmt.Errorf("png: invalid format: %w", noEOF(err))
	}
	p.zr = zr
	return nil
}

// next decodes the next row into dst as NRGBA (4*w bytes).
func (p *pngStream) next(dst []uint8) error {
	if _, err := io.ReadFull(p.zr, p.cur); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return errors.New("png: invalid format: not enough pixel data")
		}
		return fmt.Errorf("png: invalid format: %w", err)
	}
	if err := unfilter(p.cur[0], p.cur[1:], p.prev[1:], p.bpp); err != nil {
		return err
	}
	p.toNRGBA(p.cur[1:], dst)
	p.cur, p.prev = p.prev, p.cur
	p.y++
	return nil
}

// finish checks what follows the last row, as image/png does: the zlib
// stream must end there (its checksum is verified at the end), and the
// chunks after the pixel data must be well formed up to IEND.
func (p *pngStream) finish() error {
	var one [1]byte
	n, err := 0, error(nil)
	for i := 0; n == 0 && err == nil; i++ {
		if i == 100 {
			return io.ErrNoProgress
		}
		n, err = p.zr.Read(one[:])
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("png: invalid format: %w", err)
	}
	if n != 0 || p.idat.left != 0 {
		return errors.New("png: invalid format: too much pixel data")
	}
	// Further IDAT chunks are ignored (with their CRCs checked), as
	// image/png does; then the chunks up to IEND.
	if _, err := io.Copy(io.Discard, p.idat); err != nil {
		return err
	}
	typ, length := p.idat.nextType, p.idat.nextLen
	for {
		switch typ {
		case "IEND":
			if length != 0 {
				return errors.New("png: invalid format: bad IEND length")
			}
			return pngVerifyCRC(p.br, p.idat.crc)
		case "IHDR", "PLTE", "tRNS":
			return errPNGChunkOrder
		}
		if length > 0x7fffffff {
			return fmt.Errorf("png: invalid format: bad chunk length %d", length)
		}
		if err := pngSkipChunk(p.br, p.idat.crc, length); err != nil {
			return err
		}
		var err error
		if typ, length, err = pngChunkHeader(p.br, p.idat.crc); err != nil {
			return err
		}
	}
}

// toNRGBA converts one unfiltered row.
func (p *pngStream) toNRGBA(src, dst []uint8) {
	w := p.w
	d := unsafeQuads(dst[:4*w])
	switch p.colorType {
	case pngRGBA:
		copy(dst, src[:4*w])
	case pngRGB:
		src = src[:3*w]
		if !p.useTrans {
			for x := range d {
				s := src[3*x : 3*x+3 : 3*x+3]
				d[x] = [4]uint8{s[0], s[1], s[2], 0xFF}
			}
			break
		}
		t := p.trans
		for x := range d {
			r, g, b := src[3*x], src[3*x+1], src[3*x+2]
			a := uint8(0xFF)
			if r == t[1] && g == t[3] && b == t[5] {
				a = 0
			}
			d[x] = [4]uint8{r, g, b, a}
		}
	case pngGrey:
		for x := range d {
			v := src[x]
			a := uint8(0xFF)
			if p.useTrans && v == p.trans[1] {
				a = 0
			}
			d[x] = [4]uint8{v, v, v, a}
		}
	case pngGreyAlpha:
		for x := range d {
			v := src[2*x]
			d[x] = [4]uint8{v, v, v, src[2*x+1]}
		}
	case pngPalette:
		switch p.depth {
		case 8:
			for x := range d {
				d[x] = p.palette[src[x]]
			}
		default:
			per := 8 / int(p.depth)
			mask := byte(1)<<p.depth - 1
			for x := range d {
				shift := 8 - int(p.depth)*(x%per+1)
				d[x] = p.palette[(src[x/per]>>shift)&mask]
			}
		}
	}
}

// unfilter undoes a row's filter in place (PNG spec, section 9).
func unfilter(f byte, cur, prev []byte, bpp int) error {
	prev = prev[:len(cur)]
	switch f {
	case 0:
	case 1: // Sub
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2: // Up
		for i, p := range prev {
			cur[i] += p
		}
	case 3: // Average
		for i := 0; i < bpp && i < len(cur); i++ {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += uint8((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4: // Paeth
		paeth(cur, prev, bpp)
	default:
		return errors.New("png: invalid format: bad filter type")
	}
	return nil
}

// paeth undoes the Paeth filter one channel at a time, so the left (a),
// up (b) and up-left (c) neighbours stay in registers, with branch-free
// absolute values; it is the costliest filter and screenshots use it most.
func paeth(cur, prev []byte, bpp int) {
	prev = prev[:len(cur)]
	for ch := 0; ch < bpp; ch++ {
		a, c := 0, 0
		for i := ch; i < len(cur); i += bpp {
			b := int(prev[i])
			pa, pb := b-c, a-c
			pc := iabs(pa + pb)
			pa, pb = iabs(pa), iabs(pb)
			switch {
			case pa <= pb && pa <= pc:
			case pb <= pc:
				a = b
			default:
				a = c
			}
			a = (a + int(cur[i])) & 0xFF
			cur[i] = uint8(a)
			c = b
		}
	}
}

func iabs(x int) int {
	m := x >> 63
	return (x ^ m) - m
}

// idatReader presents consecutive IDAT chunks as one stream, checking each
// chunk's CRC, and stops (io.EOF) at the first other chunk, whose header it
// keeps for finish.
type idatReader struct {
	br       *bufio.Reader
	crc      hash.Hash32
	left     uint32 // bytes left in the current IDAT
	ended    bool
	nextType string
	nextLen  uint32
}

func (r *idatReader) Read(p []byte) (int, error) {
	for r.left == 0 {
		if r.ended {
			return 0, io.EOF
		}
		if err := pngVerifyCRC(r.br, r.crc); err != nil {
			return 0, err
		}
		typ, length, err := pngChunkHeader(r.br, r.crc)
		if err != nil {
			return 0, err
		}
		if typ != "IDAT" {
			r.ended, r.nextType, r.nextLen = true, typ, length
			return 0, io.EOF
		}
		r.left = length
	}
	n, err := r.br.Read(p[:min(len(p), int(r.left))])
	r.crc.Write(p[:n])
	r.left -= uint32(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// pngChunkHeader reads a chunk's length and type and starts its CRC.
func pngChunkHeader(br *bufio.Reader, crc hash.Hash32) (string, uint32, error) {
	var b [8]byte
	if _, err := io.ReadFull(br, b[:]); err != nil {
		return "", 0, noEOF(err)
	}
	crc.Reset()
	crc.Write(b[4:8])
	return string(b[4:8]), binary.BigEndian.Uint32(b[:4]), nil
}

// pngChunkData reads a whole chunk body into b and checks the CRC.
func pngChunkData(br *bufio.Reader, crc hash.Hash32, b []byte) error {
	if _, err := io.ReadFull(br, b); err != nil {
		return noEOF(err)
	}
	crc.Write(b)
	return pngVerifyCRC(br, crc)
}

// pngSkipChunk reads past a chunk body, still checking its CRC.
func pngSkipChunk(br *bufio.Reader, crc hash.Hash32, length uint32) error {
	if _, err := io.CopyN(crc, br, int64(length)); err != nil {
		return noEOF(err)
	}
	return pngVerifyCRC(br, crc)
}

func pngVerifyCRC(br *bufio.Reader, crc hash.Hash32) error {
	var b [4]byte
	if _, err := io.ReadFull(br, b[:]); err != nil {
		return noEOF(err)
	}
	if binary.BigEndian.Uint32(b[:]) != crc.Sum32() {
		return errors.New("png: invalid format: invalid checksum")
	}
	return nil
}

// shrinkPNGStream makes the tw×th thumbnail of a streamable PNG of w×h
// (as the guard read it). Rows go straight into the box pre-shrink when
// the picture is more than twice the target; a smaller one is decoded
// whole (it is small) and resampled.
func shrinkPNGStream(r io.Reader, w, h, tw, th int) (*image.NRGBA, error) {
	p, err := newPNGStream(r)
	if err != nil {
		return nil, err
	}
	if p.w != w || p.h != h {
		return nil, fmt.Errorf("%w: png header read %dx%d, then %dx%d", ErrHeaderLies, w, h, p.w, p.h)
	}
	if k := min(w/(2*tw), h/(2*th)); k >= 2 {
		acc := newBoxAccum(w, h, k)
		row := make([]uint8, 4*w)
		for y := 0; y < h; y++ {
			if err := p.next(row); err != nil {
				return nil, err
			}
			acc.addNRGBA(row)
		}
		if err := p.finish(); err != nil {
			return nil, err
		}
		if b := acc.dst.Rect; b.Dx() == tw && b.Dy() == th {
			return acc.dst, nil
		}
		return resample(acc.dst, tw, th, resampleFilter), nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		if err := p.next(img.Pix[y*img.Stride : (y+1)*img.Stride]); err != nil {
			return nil, err
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return resizeTo(img, tw, th), nil
}
