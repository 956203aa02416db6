package watcher

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lashview/internal/fixture"
	"lashview/store"
)

// BenchmarkPutLatency: another process puts 1,000 attachments as lash does
// (write <id>.tmp, fsync, rename; then the sidecar), as fast as it can. The
// latency is from each blob's rename (the writer's clock) to the batch that
// reports it arriving at the consumer, batching delay included.
func BenchmarkPutLatency(b *testing.B) {
	const puts = 1000
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		root := filepath.Join(b.TempDir(), "store")
		if err := os.MkdirAll(root, 0o755); err != nil {
			b.Fatal(err)
		}
		h := newHarness(b, root, Options{})
		seen := map[store.ID]time.Time{}
		h.onBatch = func(bt Batch, at time.Time) {
			for _, e := range bt.Events {
				if _, ok := seen[e.ID]; e.Kind == Added && !ok {
					seen[e.ID] = at
				}
			}
		}
		helper := startHelper(b, root, 200000+i*puts, puts, true, 0)
		h.waitUntil("every put", func() bool { return len(seen) >= puts })
		helper.finish(b)
		for id, renamed := range helper.renamed {
			lat = append(lat, seen[id].Sub(renamed))
		}
		h.w.Close()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
}

// BenchmarkBurstConverge: another process puts 10,000 attachments as fast
// as it can (no fsync); measured is the time from its last rename to the
// consumer's view holding every one of them, healthy.
func BenchmarkBurstConverge(b *testing.B) {
	const puts = 10000
	var total time.Duration
	rescans, batches := 0, 0
	for i := 0; i < b.N; i++ {
		root := filepath.Join(b.TempDir(), "store")
		if err := os.MkdirAll(root, 0o755); err != nil {
			b.Fatal(err)
		}
		want := map[store.ID]bool{}
		for k := 0; k < puts; k++ {
			want[idOfBytes(pngBytes(300000+i*puts+k))] = true
		}
		h := newHarness(b, root, Options{})
		healthy := map[store.ID]bool{}
		var converged time.Time
		h.onBatch = func(bt Batch, at time.Time) {
			if bt.Scan != nil {
				rescans++
				healthy = map[store.ID]bool{}
				for _, a := range bt.Scan.Attachments {
					if want[a.ID] && a.Status == store.StatusOK {
						healthy[a.ID] = true
					}
				}
			} else {
				for _, e := range bt.Events {
					if want[e.ID] {
						healthy[e.ID] = e.Kind != Removed && e.Attachment.Status == store.StatusOK
						if !healthy[e.ID] {
							delete(healthy, e.ID)
						}
					}
				}
			}
			if converged.IsZero() && len(healthy) == puts {
				converged = at
			}
		}
		helper := startHelper(b, root, 300000+i*puts, puts, false, 0)
		h.waitUntil("every put, healthy", func() bool { return !converged.IsZero() })
		helper.finish(b)
		batches += h.batches
		if d := converged.Sub(helper.done); d > 0 {
			total += d
		}
		b.StopTimer()
		h.converge() // and the view equals a fresh listing
		h.w.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/float64(b.N)/1e6, "converge-ms")
	b.ReportMetric(float64(rescans)/float64(b.N), "rescans")
	b.ReportMetric(float64(batches)/float64(b.N), "batches")
}

// BenchmarkIdleCPU: the process's CPU time over 2 s while it watches an
// idle store (the clean fixture), from /proc/self/stat (utime+stime, in
// clock ticks) and from getrusage (microseconds).
func BenchmarkIdleCPU(b *testing.B) {
	var ticks, usec int64
	for i := 0; i < b.N; i++ {
		h := newHarness(b, fixture.Copy(b, "clean"), Options{})
		time.Sleep(200 * time.Millisecond) // let start-up work finish
		t0, u0 := statTicks(b), rusageMicros(b)
		time.Sleep(2 * time.Second)
		ticks += statTicks(b) - t0
		usec += rusageMicros(b) - u0
		h.w.Close()
	}
	b.ReportMetric(float64(ticks)/float64(b.N), "ticks/2s")
	b.ReportMetric(float64(usec)/float64(b.N)/1000, "cpu-ms/2s")
}

// statTicks is utime+stime of this process from /proc/self/stat.
func statTicks(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) may hold spaces; count from after it.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

func rusageMicros(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano()/1000 + ru.Stime.Nano()/1000
}
