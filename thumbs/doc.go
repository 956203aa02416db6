// Package thumbs makes, caches and serves thumbnails of the images in a lash
// attachment store.
//
// The grid of a store with 100,000 screenshots must show pictures quickly and
// must not grow to gigabytes, so every step is bounded:
//
//   - decoding is guarded: the header is read first and an image over the
//     pixel cap, or one whose header claims more pixels than its bytes can
//     hold, is refused before any pixel buffer is allocated; decodes in
//     flight share a byte budget;
//   - JPEGs are decoded already scaled down (libjpeg-turbo's DCT scaling, with
//     Go's decoder as the fallback), other images are box-shrunk to about
//     twice the target and then resampled with Lanczos;
//   - thumbnails are cached on disk by content id and box size; an id's bytes
//     never change, so a cached thumbnail is never stale and never remade,
//     and a failure is remembered the same way;
//   - decoded thumbnails are kept in a memory cache bounded in bytes;
//   - a small worker pool serves what is on screen first, newest request
//     first, and drops requests for items scrolled away before they start.
//
// The package imports no Fyne: results are plain image.Image values handed
// to a callback by attachment id, because grid cells are recycled.
package thumbs
