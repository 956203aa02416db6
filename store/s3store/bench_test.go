package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"lashview/internal/s3test"
	"lashview/internal/testbin"
	"lashview/store"
	"lashview/store/s3store"
)

// benchPNG is a tiny PNG whose pixels encode i: a distinct id for each i.
func benchPNG(i int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	var px [4]byte
	binary.LittleEndian.PutUint32(px[:], uint32(i))
	for p := 0; p < len(img.Pix); p += 4 {
		img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = px[0], px[1], px[2], 255
	}
	img.Pix[0] = px[3]
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// fillBucket puts n blob-only attachments (lash alpha.87 and later) under
// prefix, 32 uploads at once.
func fillBucket(b *testing.B, c *minio.Client, bucket, prefix string, n int) {
	b.Helper()
	var (
		wg    sync.WaitGroup
		next  = make(chan int)
		mu    sync.Mutex
		first error
	)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data := benchPNG(i)
				id := store.IDOf(sha256.Sum256(data))
				_, err := c.PutObject(context.Background(), bucket, prefix+"/"+store.BlobKey(id), bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

// BenchmarkListBucket lists a bucket of 100,000 attachments on the
// loopback server as `lashview ls` does (store.Objects.Scan through the
// head cache; and `lashview ls` itself, the built program, with its head
// cache in a folder of the benchmark's) and, as the baseline in the same run, with a bare listing
// loop of the same client library (minio-go's ListObjects). cold: the
// first listing, which fetches each blob's first bytes to judge it (one
// GET per object); warm: every later one, from a new store on the same
// head cache, as a second `lashview ls` runs.
func BenchmarkListBucket(b *testing.B) {
	for _, n := range []int{100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			srv := s3test.Start(b)
			client := srv.Client(b)
			bucket := srv.Bucket(b)
			t0 := time.Now()
			fillBucket(b, client, bucket, "lash", n)
			b.Logf("uploaded %d objects in %v", n, time.Since(t0))
			cfg := config(srv)
			cfg.HeadCache = b.TempDir()
			bare := func() time.Duration {
				t0 := time.Now()
				count := 0
				for o := range client.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: "lash/sha256/", Recursive: true}) {
					if o.Err != nil {
						b.Fatal(o.Err)
					}
					count++
				}
				if count != n {
					b.Fatalf("listed %d, want %d", count, n)
				}
				return time.Since(t0)
			}
			ls := func() time.Duration {
				t0 := time.Now()
				s, err := s3store.OpenWith(context.Background(), bucket, "lash", cfg, store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				res, err := s.Scan(context.Background(), store.ScanOptions{})
				if err != nil || len(res.Attachments) != n {
					b.Fatal(err)
				}
				d := time.Since(t0)
				if c, ok := s.Backend().(*s3store.Cached); ok {
					c.Close()
				}
				return d
			}
			bin, err := testbin.Path()
			if err != nil {
				b.Fatal(err)
			}
			env := os.Environ()
			for k, v := range srv.Env() {
				env = append(env, k+"="+v)
			}
			env = append(env, "XDG_CACHE_HOME="+b.TempDir(), "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_CONFIG_FILE=/nonexistent")
			lsBin := func() time.Duration {
				t0 := time.Now()
				cmd := exec.Command(bin, "ls", "--store", "s3://"+bucket+"/lash")
				cmd.Env = env
				out, err := cmd.Output()
				if err != nil || !bytes.HasSuffix(out, []byte(fmt.Sprintf("%d attachments in s3://%s/lash\n", n, bucket))) {
					b.Fatalf("lashview ls: %v: %s", err, out[max(0, len(out)-200):])
				}
				return time.Since(t0)
			}
			coldBare := bare()
			cold := ls()
			lsBin() // fills the program's own head cache
			var warm, warmBare, warmBin time.Duration
			rounds := max(b.N, 3)
			for i := 0; i < rounds; i++ {
				warmBare += bare()
				warm += ls()
				warmBin += lsBin()
			}
			b.ReportMetric(float64(cold.Milliseconds()), "cold-ls-ms")
			b.ReportMetric(float64(warm.Milliseconds())/float64(rounds), "warm-ls-ms")
			b.ReportMetric(float64(warmBare.Milliseconds())/float64(rounds), "list-ms")
			b.ReportMetric(float64(warmBin.Milliseconds())/float64(rounds), "lashview-ls-ms")
			b.ReportMetric(float64(cold)/float64(coldBare), "x-list-cold")
			b.ReportMetric(float64(warm)/float64(warmBare), "x-list")
			b.ReportMetric(float64(warmBin)/float64(warmBare), "x-list-lashview")
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Remove() // a lashview built for BenchmarkListBucket
	os.Exit(code)
}
