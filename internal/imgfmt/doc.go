// Package imgfmt is the one place lashview knows the image formats lash
// stores: which bytes are which format (Sniff), what any other bytes are
// (SniffMIME), an image's type and pixel size from its header before any
// pixel is decoded (ReadHeader, Header.Check), the first frame of an
// animated WebP (WebPFirstFrame), and the budget that bounds the decodes
// in flight (Budget).
//
// The store (put, scan, verify) and the thumbnailer both use it, so an
// attachment the store calls an image is one the thumbnailer tries to
// decode, under the same pixel cap. It imports no Fyne.
package imgfmt
