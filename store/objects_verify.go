package store

import (
	"context"
	"errors"
	"io"
	"runtime"
	"time"
)

// Verify hashes every blob and checks it decodes, as Store.Verify does for
// a folder, with the same per-blob check: each blob is read as a stream
// and hashed while it is read (never held whole), and an image whose bytes
// hash to its name is read a second time to be decoded under the pixel
// cap. opt.Workers blobs are read at once (default 8: the reads wait on
// the network more than on a core). It only reads.
func (s *Objects) Verify(ctx context.Context, opt VerifyOptions) (*VerifyReport, error) {
	start := time.Now()
	res := opt.Scan
	if res == nil {
		var err error
		if res, err = s.Scan(ctx, ScanOptions{Workers: opt.Workers}); err != nil {
			return nil, err
		}
	}
	if opt.Workers <= 0 {
		opt.Workers = max(8, runtime.GOMAXPROCS(0))
	}
	return newVerifier(s.openBlobStream, opt).run(ctx, res, start)
}

// VerifyAttachment checks one attachment's blob as Verify does.
func (s *Objects) VerifyAttachment(ctx context.Context, a Attachment, maxPixels int64) VerifyResult {
	return newVerifier(s.openBlobStream, VerifyOptions{MaxPixels: maxPixels, Workers: 1}).check(ctx, a, make([]byte, hashChunk))
}

// openBlobStream opens the id's blob as a stream that a seek to the start
// opens again.
func (s *Objects) openBlobStream(ctx context.Context, id ID) (io.ReadSeekCloser, string, error) {
	key := blobKey(id)
	rc, _, err := s.b.Open(ctx, key, 0, -1)
	if err != nil {
		return nil, s.b.Where(key), err
	}
	return &objectStream{ctx: ctx, b: s.b, key: key, rc: rc}, s.b.Where(key), nil
}

// objectStream reads an object; Seek(0, io.SeekStart) starts it again with
// a new request (no other seek is offered).
type objectStream struct {
	ctx context.Context
	b   Backend
	key string
	rc  io.ReadCloser
}

func (o *objectStream) Read(p []byte) (int, error) { return o.rc.Read(p) }

func (o *objectStream) Seek(off int64, whence int) (int64, error) {
	if off != 0 || whence != io.SeekStart {
		return 0, errors.New("an object stream can only be read again from its start")
	}
	o.rc.Close()
	rc, _, err := o.b.Open(o.ctx, o.key, 0, -1)
	if err != nil {
		o.rc = io.NopCloser(errReader{err})
		return 0, err
	}
	o.rc = rc
	return 0, nil
}

func (o *objectStream) Close() error { return o.rc.Close() }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
