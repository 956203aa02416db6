package thumbs

import "encoding/binary"

// jpegInfo is what the thumbnailer needs from a JPEG's marker segments
// before decoding: how to turn the picture upright, and how the data is
// coded (for the size plausibility check and the memory estimate).
type jpegInfo struct {
	orientation int  // EXIF orientation 1..8; 1 when absent or invalid
	progressive bool // SOF2/6/10/14: coefficients of the whole image are buffered
	arithmetic  bool // SOF9-11/13-15: arithmetic coding, no minimum bits per block
	// width, height and components are the frame header's; 0 when the
	// walk found no whole frame header.
	width, height, components int
}

// scanJPEG walks the marker segments of a JPEG up to the first start of
// frame and reports the EXIF orientation and the frame type. It never fails:
// a damaged segment list just ends the walk, and the decoder reports the
// damage itself.
func scanJPEG(b []byte) jpegInfo {
	info := jpegInfo{orientation: 1}
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return info
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return info
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte before a marker
			i++
			continue
		}
		if marker == 0x01 || marker >= 0xD0 && marker <= 0xD7 { // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return info
		}
		seg := b[i+4 : i+2+n]
		switch {
		case marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00":
			if o := exifOrientation(seg[6:]); o != 0 {
				info.orientation = o
			}
		case marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
			info.progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE
			info.arithmetic = marker >= 0xC9
			if len(seg) >= 6 {
				info.height = int(binary.BigEndian.Uint16(seg[1:]))
				info.width = int(binary.BigEndian.Uint16(seg[3:]))
				info.components = int(seg[5])
			}
			return info
		case marker == 0xDA: // start of scan before any frame: damaged
			return info
		}
		i += 2 + n
	}
	return info
}

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF structure. It returns
// 0 when the tag is absent or out of range.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[ifd:]))
	for k := 0; k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		typ, n := bo.Uint16(t[e+2:]), bo.Uint32(t[e+4:])
		var v int
		switch {
		case typ == 3 && n == 1: // SHORT, stored in the first two value bytes
			v = int(bo.Uint16(t[e+8:]))
		case typ == 4 && n == 1: // LONG: not per spec, but some writers do it
			v = int(bo.Uint32(t[e+8:]))
		default:
			return 0
		}
		if v < 1 || v > 8 {
			return 0
		}
		return v
	}
	return 0
}
