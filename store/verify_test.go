package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"lashview/internal/imgfmt"
)

func TestVerifyMessyMatchesExpected(t *testing.T) {
	root := copyFixture(t, "messy")
	before := treeState(t, root)
	var last VerifyProgress
	calls := 0
	rep, err := New(root).Verify(context.Background(), VerifyOptions{Progress: func(p VerifyProgress) { last = p; calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	got := map[ID]VerifyResult{}
	for _, r := range rep.Results {
		got[r.ID] = r
	}
	want := readExpected(t, "messy.expected.json")
	for id, w := range want.Attachments {
		r, ok := got[ID(id)]
		switch {
		case w.Verify != "":
			if string(r.Status) != w.Verify {
				t.Errorf("%s: verify %q (%s), want %q", id[:12], r.Status, r.Detail, w.Verify)
			}
		case w.Scan == string(StatusOrphanMeta):
			if ok {
				t.Errorf("%s: a sidecar without a blob was verified: %+v", id[:12], r)
			}
		case w.Scan == string(StatusSymlink):
			if r.Status != VerifySymlink {
				t.Errorf("%s: symlink blob verified as %q", id[:12], r.Status)
			}
		default:
			if r.Status != VerifyOK {
				t.Errorf("%s (scan %s): verify %q (%s), want ok", id[:12], w.Scan, r.Status, r.Detail)
			}
		}
	}
	if calls == 0 || last.Files != last.TotalFiles || last.Bytes != last.TotalBytes || last.Bytes != rep.Bytes || last.Bytes == 0 {
		t.Errorf("final progress %+v after %d calls, report bytes %d", last, calls, rep.Bytes)
	}
	after := treeState(t, root)
	for p, v := range before {
		if after[p] != v {
			t.Errorf("verify changed %s", p)
		}
	}
	if len(after) != len(before) {
		t.Errorf("verify changed the tree: %d paths, was %d", len(after), len(before))
	}
}

func TestVerifyCleanAllOK(t *testing.T) {
	s := New(filepath.Join(fixtures(t), "clean"))
	for _, workers := range []int{3} { // the messy test runs the default
		rep, err := s.Verify(context.Background(), VerifyOptions{Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Results) != 17 {
			t.Errorf("%d results, want 17", len(rep.Results))
		}
		for _, r := range rep.Results {
			if r.Status != VerifyOK || r.Decoded == "" || r.Declared != r.Decoded {
				t.Errorf("workers %d: %s: %s %s (declared %s decoded %s)", workers, r.ID.Short(), r.Status, r.Detail, r.Declared, r.Decoded)
			}
		}
	}
}

func TestVerifyTypeMismatch(t *testing.T) {
	root := copyFixture(t, "messy")
	s := New(root)
	id := labelledPNG
	m, err := s.Meta(id)
	if err != nil {
		t.Fatal(err)
	}
	m.MediaType = JPEG // a hand edit: the sidecar now lies about the type
	if err := s.writeSidecar(id, m); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Examine(id)
	r := s.VerifyAttachment(context.Background(), a, 0)
	if r.Status != VerifyTypeMismatch || r.Declared != JPEG || r.Decoded != PNG {
		t.Errorf("got %+v, want type_mismatch jpeg/png", r)
	}
}

// pngHeaderOnly is a PNG whose header claims w×h pixels, with no pixels.
func pngHeaderOnly(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.WriteString("IHDR")
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return b.Bytes()
}

func TestVerifyPixelCap(t *testing.T) {
	s := New(t.TempDir())
	ctx := context.Background()
	// A decompression bomb: 60000×60000 claimed in a few bytes. It must be
	// refused from the header, before anything is allocated.
	bomb := pngHeaderOnly(60000, 60000)
	ref, err := s.Put(ctx, bytes.NewReader(bomb), PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	png.Encode(&buf, img)
	small, err := s.Put(ctx, &buf, PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	alloc := ms.TotalAlloc
	rep, err := s.Verify(ctx, VerifyOptions{MaxPixels: 50_000})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	if grown := ms.TotalAlloc - alloc; grown > 64<<20 {
		t.Errorf("verify allocated %d MB: the bomb was decoded", grown>>20)
	}
	got := map[ID]VerifyStatus{}
	for _, r := range rep.Results {
		got[r.ID] = r.Status
	}
	if got[ID(ref.ID)] != VerifyTooLarge || got[ID(small.ID)] != VerifyTooLarge {
		t.Errorf("cap 50000: %v, want both too_large", got)
	}
	rep, err = s.Verify(ctx, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		want := VerifyOK
		if r.ID == ID(ref.ID) {
			want = VerifyTooLarge // 3600 megapixels is over the default cap too
		}
		if r.Status != want {
			t.Errorf("default cap: %s %s (%s), want %s", r.ID.Short(), r.Status, r.Detail, want)
		}
	}
}

// Verify decodes an animated WebP's first frame (imgfmt.WebPFirstFrame);
// one cut or garbled there does not decode.
func TestVerifyAnimatedWebP(t *testing.T) {
	anim, err := os.ReadFile(filepath.Join(fixtures(t), "clean", "sha256", "3d", "3d332ec96aafa79d2b93cd57b0ac6eb20e39c2678d1b7860a88d450899b422ff"))
	if err != nil {
		t.Fatal(err)
	}
	budget := imgfmt.NewBudget(DefaultMaxPixels)
	ctx := context.Background()
	d := decodeImage(ctx, bytes.NewReader(anim), int64(len(anim)), DefaultMaxPixels, budget)
	if d.status != VerifyOK || d.format != WebP || d.width != 32 {
		t.Fatalf("animated webp: %+v", d)
	}
	// Cut inside the first frame: no longer decodable.
	cut := anim[:0x60]
	d = decodeImage(ctx, bytes.NewReader(cut), int64(len(cut)), DefaultMaxPixels, budget)
	if d.status != VerifyUndecodable {
		t.Errorf("cut animated webp: %+v", d)
	}
	// Animation flag set, frame data garbage.
	bad := bytes.Clone(anim)
	copy(bad[0x4a:0x60], bytes.Repeat([]byte{0xff}, 0x16))
	d = decodeImage(ctx, bytes.NewReader(bad), int64(len(bad)), DefaultMaxPixels, budget)
	if d.status != VerifyUndecodable {
		t.Errorf("garbage frame: %+v", d)
	}
}

func TestVerifyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(filepath.Join(fixtures(t), "clean")).Verify(ctx, VerifyOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

// benchStore writes n blobs of size bytes each (a valid PNG header, then
// pseudo-random bytes: hashing is the work, decoding fails fast) with their
// sidecars, as lash would lay them out.
func benchStore(b *testing.B, n, size int) (string, []string) {
	root := b.TempDir()
	s := New(root)
	var paths []string
	buf := make([]byte, size)
	x := uint64(0x9E3779B97F4A7C15)
	for i := 0; i < n; i++ {
		copy(buf, pngHeaderOnly(4000, 3000))
		for j := 64; j+8 <= len(buf); j += 8 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			binary.LittleEndian.PutUint64(buf[j:], x)
		}
		id := IDOf(sha256.Sum256(buf))
		if err := mkdirSynced(s.layout.PrefixDir(id)); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(s.layout.Blob(id), buf, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := s.writeSidecar(id, Sidecar{ID: string(id), MediaType: PNG, ByteLen: uint64(size)}); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, s.layout.Blob(id))
	}
	return root, paths
}

// sha256sumTime runs sha256sum over paths split into procs processes at
// once, and returns the wall time.
func sha256sumTime(b *testing.B, paths []string, procs int) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for p := 0; p < procs; p++ {
		var part []string
		for i := p; i < len(paths); i += procs {
			part = append(part, paths[i])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := exec.Command("sha256sum", part...).CombinedOutput(); err != nil {
				b.Errorf("sha256sum: %v %s", err, out)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkVerify measures verify's throughput on large blobs against
// sha256sum over the same files (page cache warm for both): once as one
// process, as people run it, and split over as many processes as verify
// has workers. LASHVIEW_BENCH_BLOBS and LASHVIEW_BENCH_MB change the store
// (default 40 × 25 MB).
func BenchmarkVerify(b *testing.B) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		b.Skip("sha256sum is not installed")
	}
	n, mb := envInt("LASHVIEW_BENCH_BLOBS", 40), envInt("LASHVIEW_BENCH_MB", 25)
	root, paths := benchStore(b, n, mb<<20)
	s := New(root)
	total := int64(n) * int64(mb<<20)
	procs := runtime.GOMAXPROCS(0)
	sha256sumTime(b, paths, 1) // warm the page cache
	var tVerify, tOne, tPar time.Duration
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tOne += sha256sumTime(b, paths, 1)
		tPar += sha256sumTime(b, paths, procs)
		b.StartTimer()
		start := time.Now()
		rep, err := s.Verify(context.Background(), VerifyOptions{})
		tVerify += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Bytes != total {
			b.Fatalf("hashed %d bytes, want %d", rep.Bytes, total)
		}
	}
	mbps := func(d time.Duration) float64 { return float64(total) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(tOne), "sha256sum-MB/s")
	b.ReportMetric(mbps(tPar), fmt.Sprintf("sha256sum-x%d-MB/s", procs))
	b.ReportMetric(tOne.Seconds()/tVerify.Seconds(), "ratio-vs-sha256sum")
	b.ReportMetric(tPar.Seconds()/tVerify.Seconds(), fmt.Sprintf("ratio-vs-sha256sum-x%d", procs))
}
