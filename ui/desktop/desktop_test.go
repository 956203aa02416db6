package desktop

import "testing"

// The soft limit always leaves the collector room above the live heap (a
// limit at the live heap makes it run back to back), and for a small heap
// it is the floor.
func TestMemoryLimitFor(t *testing.T) {
	for _, live := range []uint64{0, 1 << 20, 100 << 20, memoryLimit, 190 << 20, 1 << 30} {
		limit := memoryLimitFor(live)
		if limit < memoryLimit {
			t.Errorf("live %d MB: limit %d MB under the floor", live>>20, limit>>20)
		}
		if limit-int64(live) < headroom {
			t.Errorf("live %d MB: limit %d MB leaves under %d MB of room", live>>20, limit>>20, headroom>>20)
		}
	}
}
