package thumbs

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"math/bits"
)

// golang.org/x/image/bmp reads BITMAPINFOHEADER (v3), v4 and v5 headers,
// but only with 1/2/4/8/24/32 bits per pixel, no compression, and the pixel
// data right after the header (or palette). Real files, notably v5 files
// written with BI_BITFIELDS (X8R8G8B8, R5G6B5) and 16-bit ones, fall outside
// that and get bmp.ErrUnsupported. bmpBitfields covers 16, 24 and 32 bits
// per pixel with or without bit masks, and pixel data at any offset.

const (
	biRGB            = 0
	biBitfields      = 3
	biAlphaBitfields = 6
)

// bmpBitfields is a BMP header that this file's decoder handles.
type bmpBitfields struct {
	offset  int64 // file offset of the pixel data
	w, h    int
	topDown bool
	bpp     int
	masks   [4]uint32 // red, green, blue, alpha; alpha 0 means opaque
}

// parseBMPBitfields reads a BMP header from the first bytes of a file.
func parseBMPBitfields(b []byte) (bmpBitfields, error) {
	var hd bmpBitfields
	if len(b) < 18 || string(b[:2]) != "BM" {
		return hd, errors.New("bmp: not a BMP file")
	}
	le := binary.LittleEndian
	infoLen := int(le.Uint32(b[14:]))
	if infoLen < 40 || infoLen > 124 {
		return hd, fmt.Errorf("bmp: unsupported %d-byte info header", infoLen)
	}
	if len(b) < 14+infoLen {
		return hd, io.ErrUnexpectedEOF
	}
	w, h := int(int32(le.Uint32(b[18:]))), int(int32(le.Uint32(b[22:])))
	if h < 0 {
		h, hd.topDown = -h, true
	}
	if w <= 0 || h <= 0 {
		return hd, fmt.Errorf("bmp: bad size %dx%d", w, h)
	}
	hd.w, hd.h = w, h
	hd.offset = int64(le.Uint32(b[10:]))
	planes, bpp, comp := le.Uint16(b[26:]), int(le.Uint16(b[28:])), le.Uint32(b[30:])
	if planes != 1 {
		return hd, fmt.Errorf("bmp: %d planes", planes)
	}
	hd.bpp = bpp
	switch {
	case comp == biRGB && bpp == 16:
		hd.masks = [4]uint32{0x7C00, 0x03E0, 0x001F, 0}
	case comp == biRGB && bpp == 24:
		hd.masks = [4]uint32{0xFF0000, 0xFF00, 0xFF, 0}
	case comp == biRGB && bpp == 32:
		hd.masks = [4]uint32{0xFF0000, 0xFF00, 0xFF, 0}
	case (comp == biBitfields || comp == biAlphaBitfields) && (bpp == 16 || bpp == 32):
		// A v3 header is followed by the masks, where a palette would be;
		// later headers hold them at the same file offset.
		if len(b) < 70 {
			return hd, io.ErrUnexpectedEOF
		}
		m := b[54:]
		hd.masks = [4]uint32{le.Uint32(m), le.Uint32(m[4:]), le.Uint32(m[8:]), 0}
		if infoLen >= 56 || comp == biAlphaBitfields {
			hd.masks[3] = le.Uint32(m[12:])
		}
		for _, mk := range hd.masks[:3] {
			if mk == 0 {
				return hd, errors.New("bmp: zero colour mask")
			}
		}
	default:
		return hd, fmt.Errorf("bmp: unsupported %d bits per pixel with compression %d", bpp, comp)
	}
	if hd.offset < int64(14+infoLen) {
		return hd, fmt.Errorf("bmp: pixel data offset %d inside the header", hd.offset)
	}
	return hd, nil
}

// stride is the size of one row in the file: rows are padded to 4 bytes.
func (hd bmpBitfields) stride() int64 { return (int64(hd.w)*int64(hd.bpp) + 31) / 32 * 4 }

// decode reads the pixels; r is positioned at the start of the file.
func (hd bmpBitfields) decode(r io.Reader) (image.Image, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if _, err := br.Discard(int(hd.offset)); err != nil {
		return nil, fmt.Errorf("bmp: seeking to pixel data: %w", noEOF(err))
	}
	type chan8 struct {
		mask  uint32
		shift int
		max   uint32
	}
	var ch [4]chan8
	for i, m := range hd.masks {
		if m == 0 {
			continue
		}
		s := bits.TrailingZeros32(m)
		ch[i] = chan8{m, s, m >> s}
	}
	get := func(px uint32, c chan8) uint8 {
		v := (px & c.mask) >> c.shift
		if c.max == 0xFF {
			return uint8(v)
		}
		return uint8((v*255 + c.max/2) / c.max)
	}
	img := image.NewNRGBA(image.Rect(0, 0, hd.w, hd.h))
	row := make([]byte, hd.stride())
	bpp := hd.bpp / 8
	anyAlpha := false
	for i := 0; i < hd.h; i++ {
		if _, err := io.ReadFull(br, row); err != nil {
			return nil, fmt.Errorf("bmp: reading row %d: %w", i, noEOF(err))
		}
		y := hd.h - 1 - i
		if hd.topDown {
			y = i
		}
		dst := img.Pix[y*img.Stride : y*img.Stride+4*hd.w]
		for x := 0; x < hd.w; x++ {
			var px uint32
			switch bpp {
			case 2:
				px = uint32(binary.LittleEndian.Uint16(row[2*x:]))
			case 3:
				px = uint32(row[3*x]) | uint32(row[3*x+1])<<8 | uint32(row[3*x+2])<<16
			default:
				px = binary.LittleEndian.Uint32(row[4*x:])
			}
			d := dst[4*x : 4*x+4 : 4*x+4]
			d[0], d[1], d[2] = get(px, ch[0]), get(px, ch[1]), get(px, ch[2])
			d[3] = 0xFF
			if ch[3].mask != 0 {
				d[3] = get(px, ch[3])
				anyAlpha = anyAlpha || d[3] != 0
			}
		}
	}
	if ch[3].mask != 0 && !anyAlpha {
		opaqueIfInvisible(img)
	}
	return img, nil
}

// opaqueIfInvisible makes a BMP whose every alpha byte is zero opaque. Many
// writers declare an alpha channel and leave it zero; browsers show such a
// file opaque, and so does lashview (an all-invisible image is never what
// was meant).
func opaqueIfInvisible(img *image.NRGBA) {
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 0 {
			return
		}
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 0xFF
	}
}
