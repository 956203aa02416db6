//go:build !cgo || lashview_purego

package thumbs

import (
	"errors"
	"image"
)

// haveLibwebp is false without cgo: WebPs go through golang.org/x/image.
func haveLibwebp() bool { return false }

func libwebpDecode(data []byte, w, h int) (image.Image, error) {
	return nil, errors.New("libwebp: not built in")
}

func libwebpDecodeScaled(data []byte, w, h, sw, sh int) (*image.NRGBA, error) {
	return nil, errors.New("libwebp: not built in")
}
