package thumbs

import (
	"encoding/binary"
	"unsafe"
)

// unsafeQuads reinterprets a byte slice whose length is a multiple of 4 as
// a slice of 4-byte pixels. The hot loops of the box shrink run over
// millions of pixels; ranging over [4]uint8 values lets the compiler drop
// the bounds check on every channel. The conversion is safe: [4]uint8 has
// alignment 1 and the length is checked.
func unsafeQuads(b []uint8) [][4]uint8 {
	if len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*[4]uint8)(unsafe.Pointer(&b[0])), len(b)/4)
}

// unsafeWords reinterprets 4-byte pixels as native-endian uint32 words.
// It returns false when the machine is big-endian (the lanes would be in
// another order) or the bytes are not 4-byte aligned (which a pixel buffer
// from image.New* always is): callers then take their scalar path.
func unsafeWords(b []uint8) ([]uint32, bool) {
	if !littleEndian || len(b) < 4 || uintptr(unsafe.Pointer(&b[0]))%4 != 0 {
		return nil, false
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), len(b)/4), true
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
