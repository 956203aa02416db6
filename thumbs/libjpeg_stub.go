//go:build !cgo || lashview_purego

package thumbs

import (
	"errors"
	"image"
)

// haveLibjpeg is false in builds without cgo (or with the lashview_purego
// tag): every JPEG goes through Go's image/jpeg.
const haveLibjpeg = false

var errLibjpegTruncated = errors.New("unexpected EOF")

func libjpegDecode(data []byte, w, h, denom int, gray bool) (image.Image, error) {
	return nil, errors.New("libjpeg: not built in")
}

func libjpegEncode(img *image.NRGBA, quality int) ([]byte, error) {
	return nil, errors.New("libjpeg: not built in")
}

func libjpegEncodeChroma(img *image.NRGBA, quality int, fullChroma bool) ([]byte, error) {
	return nil, errors.New("libjpeg: not built in")
}
