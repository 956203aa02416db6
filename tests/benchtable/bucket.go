package main

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"lashview/internal/s3test"
)

// bucketWindowBench measures the real window under Xvfb on a bucket of n
// attachments (small PNGs with sidecars, uploaded in parallel to a
// versitygw on 127.0.0.1): the time to the first screen of thumbnails with
// a cold thumbnail cache (every thumbnail on screen fetched from the
// bucket), then again with the caches that run left once its listing was
// done: the thumbnails, the head cache and the bucket's last listing, as a
// second visit finds them.
func bucketWindowBench(n int) ([]result, error) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		//lint:ignore ST1005 Xvfb is a program's name
		return nil, fmt.Errorf("Xvfb is not installed")
	}
	gw, err := s3test.Binary()
	if err != nil {
		return nil, fmt.Errorf("no S3 server: %w", err)
	}
	work, err := os.MkdirTemp("", "lashview-bucketbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "lashview")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v %s", err, out)
	}
	storeDir := filepath.Join(work, "store")
	fmt.Printf("bucket window: writing %d attachments\n", n)
	gen := exec.Command("go", "test", "-count=1", "-timeout", "60m", "-run", "^TestMakeBenchStore$", "./ui/")
	// Its thumbnails go to a cache the window never sees: the window's
	// cache starts cold.
	gen.Env = append(os.Environ(), "LASHVIEW_BENCH_STORE="+storeDir, "LASHVIEW_BENCH_N="+strconv.Itoa(n),
		"XDG_CACHE_HOME="+filepath.Join(work, "gen-cache"))
	if out, err := gen.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("generating the store: %v %s", err, out)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	srv := exec.Command(gw, "--access", s3test.AccessKey, "--secret", s3test.SecretKey, "--region", s3test.Region,
		"--port", addr, "--quiet", "posix", filepath.Join(work, "gw"))
	if err := os.MkdirAll(filepath.Join(work, "gw"), 0o755); err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	endpoint := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(endpoint + "/"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("versitygw did not answer on %s", addr)
		}
	}
	client, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(s3test.AccessKey, s3test.SecretKey, ""), Region: s3test.Region})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	const bucket, prefix = "bench", "lash"
	if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: s3test.Region}); err != nil {
		return nil, err
	}
	start := time.Now()
	count, err := uploadParallel(ctx, client, bucket, prefix, storeDir, 16)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	fmt.Printf("bucket window: uploaded %d objects in %s\n", count, time.Since(start).Round(time.Millisecond))

	display := ":" + strconv.Itoa(140+os.Getpid()%50)
	xvfb := exec.Command("Xvfb", display, "-screen", "0", "1280x800x24", "-noreset", "-nolisten", "tcp")
	if err := xvfb.Start(); err != nil {
		return nil, err
	}
	defer func() { xvfb.Process.Kill(); xvfb.Wait() }()
	time.Sleep(time.Second)
	env := append(os.Environ(), "HOME="+work, "DISPLAY="+display,
		"XDG_CACHE_HOME="+filepath.Join(work, "cache"), "XDG_CONFIG_HOME="+filepath.Join(work, "config"),
		"XDG_DATA_HOME="+filepath.Join(work, "data"), "LASH_POSTGRES_DATABASE_URL=",
		"AWS_ENDPOINT_URL="+endpoint, "AWS_REGION="+s3test.Region,
		"AWS_ACCESS_KEY_ID="+s3test.AccessKey, "AWS_SECRET_ACCESS_KEY="+s3test.SecretKey)
	first := func(what string) (float64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "--store", "s3://"+bucket+"/"+prefix)
		cmd.Env = append(env, "LASHVIEW_PROBE=first", "LASHVIEW_PROBE_START="+strconv.FormatInt(time.Now().UnixNano(), 10))
		stderr, err := cmd.StderrPipe()
		if err != nil {
			return 0, err
		}
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		re := regexp.MustCompile(`first screen of thumbnails: (\d+) ms`)
		ms := -1.0
		listed := false
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "lashview probe: "); ok {
				fmt.Printf("bucket window (%s): %s\n", what, l)
				if m := re.FindStringSubmatch(l); m != nil {
					ms, _ = strconv.ParseFloat(m[1], 64)
				}
				listed = listed || strings.HasPrefix(l, "listing finished")
				if ms >= 0 && listed {
					// The probe's first mode keeps the window open; once
					// its listing is done (and kept for the next run) it
					// has said all it will.
					cmd.Process.Kill()
				}
			}
		}
		if err := cmd.Wait(); err != nil && ms < 0 {
			return 0, err
		}
		if ms < 0 {
			return 0, fmt.Errorf("the %s probe reported no first screen", what)
		}
		return ms, nil
	}
	cold, err := first("cold cache")
	if err != nil {
		return nil, err
	}
	warm, err := first("warm cache")
	if err != nil {
		return nil, err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return []result{
		{name: "BenchmarkBucketWindowFirstScreenCold", metrics: [][2]string{{f(cold), "ms-to-first-screen"}, {strconv.Itoa(n), "attachments"}}},
		{name: "BenchmarkBucketWindowFirstScreenWarm", metrics: [][2]string{{f(warm), "ms-to-first-screen"}, {strconv.Itoa(n), "attachments"}}},
	}, nil
}

// uploadParallel puts every regular file under root into the bucket under
// prefix, workers at once, and returns how many it put.
func uploadParallel(ctx context.Context, c *minio.Client, bucket, prefix, root string, workers int) (int, error) {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	jobs := make(chan string)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				rel, _ := filepath.Rel(root, p)
				_, err := c.FPutObject(ctx, bucket, prefix+"/"+filepath.ToSlash(rel), p, minio.PutObjectOptions{})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range paths {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	return len(paths), firstErr
}
