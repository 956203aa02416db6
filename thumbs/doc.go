// Package thumbs makes, caches and serves thumbnails of the images in a lash
// attachment store.
//
// The grid of a store with 100,000 screenshots must show pictures quickly and
// must not grow to gigabytes, so every step is bounded:
//
//   - decoding is guarded: the header is read first, and an image over the
//     pixel cap, or one whose header claims more pixels than its file can
//     hold, is refused before any pixel buffer exists; decodes in flight
//     share a byte budget;
//   - JPEGs are decoded already scaled down by libjpeg-turbo (DCT scaling)
//     and WebPs by libwebp (its row rescaler), with Go's decoders as the
//     fallback; other images are box-shrunk, four channels at a time, to two
//     to four times the target, then resampled with a fixed-point Lanczos;
//   - thumbnails are cached on disk by content id and box size; an id's bytes
//     never change, so a cached thumbnail is never stale and never remade,
//     and a failure is remembered the same way;
//   - decoded thumbnails are kept in a memory cache bounded in bytes, and the
//     disk cache has a size cap, least recently used out;
//   - a small worker pool serves what is on screen first, newest request
//     first, and drops requests for items scrolled away before they start.
//
// libjpeg-turbo is linked (cgo, Debian libjpeg62-turbo-dev); libwebp is
// loaded at run time when present, so building needs no libwebp headers.
// Without cgo, or with the lashview_purego build tag, everything runs in Go.
//
// The package imports no Fyne: results are plain image.Image values handed
// to a callback by attachment id, because grid cells are recycled.
package thumbs
