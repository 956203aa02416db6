package thumbs

import (
	"io"
	"sync"
	"time"
)

// Whole-file buffers for the decoders that want a file in memory (JPEG,
// WebP) are kept between decodes. A fresh 5 MB buffer for every camera
// photo cost a quarter of the non-libjpeg CPU: the kernel faulting in
// and zeroing new pages, Go clearing them again, and a garbage
// collection every few photos. A few buffers are kept while thumbnails are
// being made, and all are let go after readBufIdle without a decode, so
// an idle program does not hold them.
const (
	readBufKeep  = 4        // buffers kept (two workers, and room for mixed sizes)
	readBufLimit = 64 << 20 // larger buffers are not kept
	readBufRound = 1 << 20  // sizes are rounded up to this, so files of similar size share buffers
	readBufIdle  = 10 * time.Second
)

var readBufs struct {
	mu   sync.Mutex
	free [][]byte
	idle *time.Timer
}

// getReadBuf returns an empty buffer of capacity at least n: the smallest
// kept one that fits, or a new one.
func getReadBuf(n int) []byte {
	readBufs.mu.Lock()
	best := -1
	for i, b := range readBufs.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(readBufs.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := readBufs.free[best]
		last := len(readBufs.free) - 1
		readBufs.free[best] = readBufs.free[last]
		readBufs.free[last] = nil
		readBufs.free = readBufs.free[:last]
		readBufs.mu.Unlock()
		return b[:0]
	}
	readBufs.mu.Unlock()
	if n <= readBufLimit {
		n = (n + readBufRound - 1) / readBufRound * readBufRound
	}
	return make([]byte, 0, n)
}

// putReadBuf hands a buffer back; nothing may use it afterwards. When
// readBufKeep are kept already, the smallest of them all is dropped.
func putReadBuf(b []byte) {
	if cap(b) > readBufLimit || cap(b) == 0 {
		return
	}
	readBufs.mu.Lock()
	defer readBufs.mu.Unlock()
	if len(readBufs.free) < readBufKeep {
		readBufs.free = append(readBufs.free, b[:0])
	} else {
		small := 0
		for i, f := range readBufs.free {
			if cap(f) < cap(readBufs.free[small]) {
				small = i
			}
		}
		if cap(b) > cap(readBufs.free[small]) {
			readBufs.free[small] = b[:0]
		}
	}
	if readBufs.idle == nil {
		readBufs.idle = time.AfterFunc(readBufIdle, dropReadBufs)
	} else {
		readBufs.idle.Reset(readBufIdle)
	}
}

// dropReadBufs lets every kept buffer go.
func dropReadBufs() {
	readBufs.mu.Lock()
	clear(readBufs.free)
	readBufs.free = readBufs.free[:0]
	readBufs.mu.Unlock()
}

// readAllSized reads a whole JPEG or WebP, whose decoders want it in
// memory, into a kept buffer when the size is known; the caller hands it
// back with putReadBuf once nothing refers to it. It reads at most what a
// w×h picture could plausibly take (8 bytes a pixel plus 16 MB of
// metadata): anything beyond is junk after the image, and reading it would
// let a 2 GB file with a small header cost 2 GB.
func readAllSized(r io.Reader, size int64, w, h int) ([]byte, error) {
	limit := 8*int64(w)*int64(h) + 16<<20
	r = io.LimitReader(r, limit)
	if size < 0 || size > limit {
		size = min(limit, 1<<20)
	}
	// One byte more than expected, so a file that is exactly its size
	// ends in the first read loop without the buffer growing.
	buf := getReadBuf(int(size) + 1)
	for {
		if len(buf) == cap(buf) {
			// Longer than its size said (or the size was unknown): grow.
			grown := getReadBuf(2 * cap(buf))
			grown = append(grown, buf...)
			putReadBuf(buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
