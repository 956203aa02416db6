package thumbs

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// readAllSized must return the whole file whether its size is right,
// unknown, or smaller than the file, and reused buffers must not leak one
// file's bytes into the next.
func TestReadAllSized(t *testing.T) {
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name string
		size int64
	}{{"exact", int64(len(data))}, {"unknown", -1}, {"too small", 1000}, {"too large", int64(len(data)) * 2}} {
		for round := 0; round < 3; round++ {
			got, err := readAllSized(iotest.HalfReader(bytes.NewReader(data)), tc.size, 2000, 2000)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("%s round %d: read %d bytes, not the file's %d", tc.name, round, len(got), len(data))
			}
			putReadBuf(got)
		}
		short := data[:100]
		got, err := readAllSized(bytes.NewReader(short), tc.size, 2000, 2000)
		if err != nil || !bytes.Equal(got, short) {
			t.Fatalf("%s: short file read as %d bytes, %v", tc.name, len(got), err)
		}
		putReadBuf(got)
	}
	// The limit: a 10x10 picture takes at most 16 MB + 800 bytes.
	got, err := readAllSized(io.LimitReader(zeros{}, 20<<20), -1, 10, 10)
	if err != nil || len(got) != 16<<20+800 {
		t.Fatalf("limit: read %d bytes, %v", len(got), err)
	}
	putReadBuf(got)
	dropReadBufs()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
