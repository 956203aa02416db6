package watcher

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"lashview/internal/testbin"
	"lashview/store"
)

// The test binary doubles as a writer process: with helperEnv set it puts
// attachments the way lash alpha.43 does (write <final>.tmp, fsync, rename)
// instead of running tests.
const (
	helperEnv   = "LASHVIEW_WATCHER_HELPER"
	helperRoot  = "LASHVIEW_HELPER_ROOT"
	helperFrom  = "LASHVIEW_HELPER_FROM"
	helperCount = "LASHVIEW_HELPER_COUNT"
	helperSync  = "LASHVIEW_HELPER_FSYNC"
	helperPace  = "LASHVIEW_HELPER_PACE"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper())
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { testbin.Remove() }))
}

// runHelper writes attachments FROM..FROM+COUNT-1 into ROOT and prints,
// for each, the id and the Unix time in nanoseconds just after its blob's
// rename, then "done" and the time after the last sidecar.
func runHelper() int {
	root := os.Getenv(helperRoot)
	from, _ := strconv.Atoi(os.Getenv(helperFrom))
	count, _ := strconv.Atoi(os.Getenv(helperCount))
	fsync := os.Getenv(helperSync) == "1"
	pace, _ := time.ParseDuration(os.Getenv(helperPace))
	out := bufio.NewWriter(os.Stdout)
	for i := from; i < from+count; i++ {
		id, renamed, err := lashPut(root, pngBytes(i), fmt.Sprintf("helper %d", i), fsync)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintf(out, "%s %d\n", id, renamed.UnixNano())
		if pace > 0 {
			time.Sleep(pace)
		}
	}
	fmt.Fprintf(out, "done %d\n", time.Now().UnixNano())
	if err := out.Flush(); err != nil {
		return 1
	}
	return 0
}

// helperProcess starts the writer process; wait for it with finish.
type helperProcess struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	renamed map[store.ID]time.Time
	done    time.Time
	read    chan struct{}
	stderr  bytes.Buffer
}

func startHelper(t testing.TB, root string, from, count int, fsync bool, pace time.Duration) *helperProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperRoot+"="+root, helperFrom+"="+strconv.Itoa(from),
		helperCount+"="+strconv.Itoa(count), helperPace+"="+pace.String())
	if fsync {
		cmd.Env = append(cmd.Env, helperSync+"=1")
	}
	h := &helperProcess{cmd: cmd, renamed: map[store.ID]time.Time{}, read: make(chan struct{})}
	cmd.Stderr = &h.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(h.read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				continue
			}
			ns, _ := strconv.ParseInt(f[1], 10, 64)
			h.mu.Lock()
			if f[0] == "done" {
				h.done = time.Unix(0, ns)
			} else {
				h.renamed[store.ID(f[0])] = time.Unix(0, ns)
			}
			h.mu.Unlock()
		}
	}()
	return h
}

// finish waits for the writer and fails the test if it failed.
func (h *helperProcess) finish(t testing.TB) {
	t.Helper()
	<-h.read
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("writer process: %v\n%s", err, h.stderr.String())
	}
}

// lashPut stores data as lash alpha.43 does: each file is written to
// <final>.tmp in its prefix folder, optionally synced, then renamed.
func lashPut(root string, data []byte, label string, fsync bool) (store.ID, time.Time, error) {
	id := store.IDOf(sha256.Sum256(data))
	l := store.Layout{Root: root}
	if err := os.MkdirAll(l.PrefixDir(id), 0o755); err != nil {
		return "", time.Time{}, err
	}
	if err := writeRename(l.Blob(id), data, fsync); err != nil {
		return "", time.Time{}, err
	}
	renamed := time.Now()
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", time.Time{}, err
	}
	wd, ht := uint32(cfg.Width), uint32(cfg.Height)
	meta := store.Sidecar{ID: string(id), MediaType: store.PNG, ByteLen: uint64(len(data)), Width: &wd, Height: &ht, Label: &label}
	return id, renamed, writeRename(l.Sidecar(id), meta.Encode(), fsync)
}

func writeRename(final string, data []byte, fsync bool) error {
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if fsync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// pngBytes is a small PNG whose pixels encode i: distinct bytes, so a
// distinct id, for every i below 2^24.
func pngBytes(i int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for p := 0; p < len(img.Pix); p += 4 {
		img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = byte(i), byte(i>>8), byte(i>>16), 255
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func idOfBytes(data []byte) store.ID { return store.IDOf(sha256.Sum256(data)) }

// harness is a consumer: a watcher and the view it keeps.
type harness struct {
	t       testing.TB
	s       *store.Store
	w       *Watcher
	view    *View
	onBatch func(Batch, time.Time)
	batches int
	errs    []error
}

func newHarness(t testing.TB, root string, opt Options) *harness {
	t.Helper()
	s := store.New(root)
	w, res, err := New(context.Background(), s, opt)
	if err != nil {
		t.Fatalf("New(%s): %v", root, err)
	}
	h := &harness{t: t, s: s, w: w, view: NewView(res)}
	t.Cleanup(func() { w.Close() })
	return h
}

// apply takes one batch into the view.
func (h *harness) apply(b Batch) {
	now := time.Now()
	h.batches++
	if b.Err != nil {
		h.errs = append(h.errs, b.Err)
	}
	if h.onBatch != nil {
		h.onBatch(b, now)
	}
	h.view.Apply(b)
}

// waitUntil applies batches until cond holds. The deadline is generous:
// it only turns a hang into a failure, it measures nothing.
func (h *harness) waitUntil(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.NewTimer(90 * time.Second)
	defer deadline.Stop()
	// cond may depend on more than batches (a writer finishing, the disk):
	// look again now and then even when no batch comes.
	recheck := time.NewTicker(200 * time.Millisecond)
	defer recheck.Stop()
	for !cond() {
		select {
		case b, ok := <-h.w.Batches():
			if !ok {
				h.t.Fatalf("the watcher stopped while waiting for %s", what)
			}
			h.apply(b)
		case <-recheck.C:
		case <-deadline.C:
			h.t.Fatalf("no %s after 90 s; view differs from a fresh scan by:\n%s", what, strings.Join(h.view.Diff(h.scan()), "\n"))
		}
	}
}

// converge waits until the view equals a fresh Scan.
func (h *harness) converge() {
	h.t.Helper()
	h.waitUntil("convergence with a fresh scan", func() bool { return len(h.view.Diff(h.scan())) == 0 })
}

func (h *harness) scan() *store.ScanResult {
	h.t.Helper()
	res, err := scanStore(context.Background(), h.s, store.ScanOptions{})
	if err != nil {
		h.t.Fatalf("scan: %v", err)
	}
	return res
}

// closeNoLeak closes the watcher and checks it left no goroutine behind.
func (h *harness) closeNoLeak(opts ...goleak.Option) {
	h.t.Helper()
	if err := h.w.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	if err := h.w.Close(); err != nil {
		h.t.Fatalf("second Close: %v", err)
	}
	if _, ok := <-h.w.Batches(); ok {
		h.t.Fatal("Batches still open after Close")
	}
	goleak.VerifyNone(h.t, opts...)
}

// writeFiles writes each data as a PNG file in a new folder for `lashview
// put` and returns the paths.
func writeFiles(t testing.TB, from, count int) []string {
	t.Helper()
	dir := t.TempDir()
	paths := make([]string, count)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("img%05d.png", from+i))
		if err := os.WriteFile(paths[i], pngBytes(from+i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// runPut runs `lashview put` as a process.
func runPut(t testing.TB, bin, root string, files []string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"put", "--store", root}, files...)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	cmd.Stdout = io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("lashview put: %v\n%s", err, stderr.String())
	}
}
