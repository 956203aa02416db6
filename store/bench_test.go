package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// genStore writes n attachments (small fake PNG blobs and lash sidecars)
// straight to disk, without fsync: it is a fixture, not a put.
func genStore(b *testing.B, root string, n int) {
	b.Helper()
	l := Layout{root}
	label := "generated screenshot"
	for i := 0; i < n; i++ {
		blob := make([]byte, 64)
		copy(blob, "\x89PNG\r\n\x1a\n")
		binary.LittleEndian.PutUint64(blob[16:], uint64(i))
		id := IDOf(sha256.Sum256(blob))
		os.MkdirAll(l.PrefixDir(id), 0o755)
		if err := os.WriteFile(l.Blob(id), blob, 0o644); err != nil {
			b.Fatal(err)
		}
		w, h := uint32(1280), uint32(800)
		side := Sidecar{ID: string(id), MediaType: PNG, ByteLen: 64, Width: &w, Height: &h, Label: &label}
		if err := os.WriteFile(l.Sidecar(id), side.Encode(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// plainWalk is the floor Scan is measured against: a single walk that
// reads every sidecar and does nothing else.
func plainWalk(root string) (int, error) {
	n := 0
	err := filepath.WalkDir(filepath.Join(root, "sha256"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".json") {
			if _, err := os.ReadFile(p); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// BenchmarkScan reports Scan against the plain walk, in the same run, and
// the peak RSS of a process that scans the store and nothing else.
func BenchmarkScan(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			root := b.TempDir()
			genStore(b, root, n)
			s := New(root)
			var walk, scan time.Duration
			for i := 0; i < max(b.N, 3); i++ {
				t0 := time.Now()
				if c, err := plainWalk(root); err != nil || c != n {
					b.Fatal(c, err)
				}
				t1 := time.Now()
				res, err := s.Scan(context.Background(), ScanOptions{})
				if err != nil || len(res.Attachments) != n {
					b.Fatal(err)
				}
				walk += t1.Sub(t0)
				scan += time.Since(t1)
			}
			rounds := float64(max(b.N, 3))
			b.ReportMetric(float64(scan.Milliseconds())/rounds, "scan-ms")
			b.ReportMetric(float64(walk.Milliseconds())/rounds, "walk-ms")
			b.ReportMetric(float64(scan)/float64(walk), "x-walk")
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "LASHVIEW_STORE_CHILD=scan", "LASHVIEW_STORE_ROOT="+root)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("scan child: %v %s", err, out)
			}
			b.ReportMetric(float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)/1024, "peak-RSS-MB")
		})
	}
}

func childScan(root string) {
	res, err := New(root).Scan(context.Background(), ScanOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	runtime.KeepAlive(res)
}

// atomicWrite is the baseline of the put benchmarks: the same bytes written
// crash-safely (temp, fsync, rename, folder fsync) with no hashing, no
// sniffing and no pipeline.
func atomicWrite(path string, r io.Reader) error {
	tmp := path + ".base.tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	buf := make([]byte, copyChunk)
	if _, err := io.CopyBuffer(f, r, buf); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	f.Close()
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// BenchmarkPutSmall puts 1,000 small images, against writing the same blob
// and sidecar bytes with the same fsyncs and no hashing.
func BenchmarkPutSmall(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	imgs := make([][]byte, 1000)
	for i := range imgs {
		imgs[i] = make([]byte, 8<<10)
		copy(imgs[i], "\x89PNG\r\n\x1a\n")
		for j := 16; j < len(imgs[i]); j += 8 {
			binary.LittleEndian.PutUint64(imgs[i][j:], r.Uint64())
		}
	}
	var base, put time.Duration
	for n := 0; n < max(b.N, 1); n++ {
		s := New(b.TempDir())
		os.MkdirAll(s.Layout().Dir(), 0o755)
		baseDir := b.TempDir()
		t0 := time.Now()
		for i, img := range imgs {
			d := filepath.Join(baseDir, strconv.Itoa(i%256))
			os.MkdirAll(d, 0o755)
			if err := atomicWrite(filepath.Join(d, strconv.Itoa(i)), bytes.NewReader(img)); err != nil {
				b.Fatal(err)
			}
			if err := atomicWrite(filepath.Join(d, strconv.Itoa(i)+".json"), bytes.NewReader(img[:200])); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		for _, img := range imgs {
			if _, err := s.Put(context.Background(), bytes.NewReader(img), PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		put += time.Since(t1)
		base += t1.Sub(t0)
	}
	rounds := float64(max(b.N, 1))
	b.ReportMetric(1000/(put.Seconds()/rounds), "puts/s")
	b.ReportMetric(1000/(base.Seconds()/rounds), "baseline-writes/s")
	b.ReportMetric(base.Seconds()/put.Seconds(), "x-baseline-throughput")
}

// pattern yields n bytes that start like a PNG, from a repeated random
// block: cheap to produce, as costly to hash and write as any bytes.
type pattern struct {
	block []byte
	left  int64
	off   int
}

func newPattern(n int64) *pattern {
	r := rand.New(rand.NewPCG(5, 6))
	blk := make([]byte, 1<<20+7)
	for i := range blk {
		blk[i] = byte(r.Uint32())
	}
	copy(blk, "\x89PNG\r\n\x1a\n")
	return &pattern{block: blk, left: n}
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	n := copy(b[:min(int64(len(b)), p.left)], p.block[p.off:])
	p.off = (p.off + n) % len(p.block)
	p.left -= int64(n)
	return n, nil
}

// BenchmarkPutStream puts 1 GiB as one attachment and reports throughput
// against the plain fsync'd write, and the heap growth of the put.
func BenchmarkPutStream(b *testing.B) {
	const size = 1 << 30
	var base, put, hashOnly time.Duration
	var peakHeap uint64
	for n := 0; n < max(b.N, 1); n++ {
		dir := b.TempDir()
		th := time.Now()
		h := sha256.New()
		io.CopyBuffer(h, newPattern(size), make([]byte, copyChunk))
		hashOnly += time.Since(th)
		t0 := time.Now()
		if err := atomicWrite(filepath.Join(dir, "baseline"), newPattern(size)); err != nil {
			b.Fatal(err)
		}
		base += time.Since(t0)
		os.Remove(filepath.Join(dir, "baseline"))
		s := New(filepath.Join(dir, "store"))
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var peak uint64
		wg.Add(1)
		go func() {
			defer wg.Done()
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapInuse)
				}
			}
		}()
		t1 := time.Now()
		if _, err := s.Put(context.Background(), newPattern(size), PutOptions{}); err != nil {
			b.Fatal(err)
		}
		put += time.Since(t1)
		close(stop)
		wg.Wait()
		if peak > before.HeapInuse {
			peakHeap = max(peakHeap, peak-before.HeapInuse)
		}
	}
	rounds := float64(max(b.N, 1))
	b.ReportMetric(size/(1<<20)/(put.Seconds()/rounds), "put-MB/s")
	b.ReportMetric(size/(1<<20)/(base.Seconds()/rounds), "baseline-MB/s")
	b.ReportMetric(base.Seconds()/put.Seconds(), "x-baseline-throughput")
	// SHA-256 of one stream cannot be split across cores: where hashing is
	// slower than the disk, the hash alone bounds any put.
	b.ReportMetric(hashOnly.Seconds()/put.Seconds(), "x-hash-only-throughput")
	b.ReportMetric(float64(peakHeap)/(1<<20), "heap-growth-MiB")
}
