// Package s3test starts a real S3 server for tests: versitygw
// (github.com/versity/versitygw) with its POSIX backend in a temp folder,
// listening on 127.0.0.1 at a free port with fixed credentials, stopped
// when the test ends. The server is built once from the Go module proxy
// into the user's cache folder and reused by every later run. Nothing here
// fakes S3: the tests talk to the server over HTTP as they would to AWS.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Version is the versitygw release the tests run (the one the Go module
// proxy serves here).
const Version = "v1.8.0"

// The fixed credentials and region of every test server.
const (
	AccessKey = "lashview-test"
	SecretKey = "lashview-test-secret"
	Region    = "us-east-1"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is "http://127.0.0.1:<port>".
	Endpoint string
	// Root is the POSIX backend's folder: one folder per bucket.
	Root string
}

// Env is the standard AWS environment that points a client at the
// server, as lash's S3 store and lashview read it.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":      s.Endpoint,
		"AWS_REGION":            Region,
		"AWS_ACCESS_KEY_ID":     AccessKey,
		"AWS_SECRET_ACCESS_KEY": SecretKey,
	}
}

// SetEnv sets Env for the rest of the test (t.Setenv: not with t.Parallel),
// and clears the other AWS variables so the developer's own cannot leak in.
func (s *Server) SetEnv(t testing.TB) {
	t.Helper()
	for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "no-credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "no-config"))
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
}

// Client is a minio-go client of the server with the test credentials.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{
		Creds:  credentials.NewStaticV4(AccessKey, SecretKey, ""),
		Region: Region,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Bucket makes a new empty bucket with a name unique in the server and
// returns its name.
func (s *Server) Bucket(t testing.TB) string {
	t.Helper()
	bucketSeq.Lock()
	bucketSeq.n++
	name := fmt.Sprintf("lashview-test-%d", bucketSeq.n)
	bucketSeq.Unlock()
	if err := s.Client(t).MakeBucket(context.Background(), name, minio.MakeBucketOptions{Region: Region}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	return name
}

var bucketSeq struct {
	sync.Mutex
	n int
}

// Upload copies a store folder into the bucket under prefix ("" for the
// bucket's top), one object per regular file, keyed by its path relative
// to root with forward slashes. S3 has no symbolic links and no empty
// folders: links are left out and their paths returned (sorted as walked),
// so a test can say what a bucket made from the folder holds.
func Upload(t testing.TB, c *minio.Client, bucket, prefix, root string) (skippedLinks []string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			skippedLinks = append(skippedLinks, rel)
			return nil
		case !d.Type().IsRegular():
			return nil
		}
		key := rel
		if prefix != "" {
			key = prefix + "/" + rel
		}
		_, err = c.FPutObject(context.Background(), bucket, key, p, minio.PutObjectOptions{})
		if err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("upload %s to %s/%s: %v", root, bucket, prefix, err)
	}
	return skippedLinks
}

// Start builds (once) and starts a versitygw for the test, and stops it
// when the test ends. Where the server cannot be built or started the test
// fails under CI and is skipped elsewhere, with the reason.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		unavailable(t, err)
	}
	root := t.TempDir()
	var lastErr error
	for try := 0; try < 3; try++ { // a free port can be taken between the look and the listen
		srv, err := start(t, bin, root)
		if err == nil {
			return srv
		}
		lastErr = err
	}
	unavailable(t, lastErr)
	return nil
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	msg := "no S3 test server (versitygw " + Version + "): " + err.Error()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func start(t testing.TB, bin, root string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var out bytes.Buffer
	cmd := exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--region", Region,
		"--port", addr, "--quiet", "posix", root)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = procAttr()
	// The server must not read a developer's VGW_* settings.
	cmd.Env = nil
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	endpoint := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("versitygw exited (%v): %s", err, out.String())
		default:
		}
		// Any HTTP answer (403 without credentials) means it serves.
		if resp, err := client.Get(endpoint + "/"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("versitygw did not answer on %s within 20s: %s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(stop)
	return &Server{Endpoint: endpoint, Root: root}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var built struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the path of the versitygw program: $LASHVIEW_VERSITYGW
// when set, else the copy built into the user's cache folder
// (<cache>/lashview/versitygw/<Version>/versitygw), built there with `go
// install` on first use. A file lock keeps test processes that start
// together from building it twice. The first build takes a minute or two.
func Binary() (string, error) {
	built.once.Do(func() { built.path, built.err = binary() })
	return built.path, built.err
}

func binary() (string, error) {
	if p := os.Getenv("LASHVIEW_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("LASHVIEW_VERSITYGW: %w", err)
		}
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "lashview", "versitygw", Version)
	bin := filepath.Join(dir, "versitygw")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // another process built it while we waited
	}
	gobin, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(gobin)
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", ErrNoGo
	}
	cmd := exec.Command(goTool, "install", "github.com/versity/versitygw/cmd/versitygw@"+Version)
	// Outside any module, so the go.mod of the caller plays no part.
	cmd.Dir = gobin
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=", "CGO_ENABLED=0", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install versitygw@%s: %v\n%s", Version, err, lastLines(out, 20))
	}
	if err := os.Rename(filepath.Join(gobin, "versitygw"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ErrNoGo is why versitygw cannot be built: no go command in PATH.
var ErrNoGo = errors.New("no go command in PATH to build versitygw with")
