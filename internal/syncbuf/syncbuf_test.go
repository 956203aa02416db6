package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// Writers and a reader at once: -race fails the test if the buffer is not
// guarded, and every write must be kept.
func TestConcurrentWritesAndReads(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 800) {
		t.Fatalf("%d bytes kept, want 800", len(got))
	}
}
