package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the child process of the crash and
// multi-process tests: TestMain runs the child's job instead of the tests
// when LASHVIEW_STORE_CHILD names one.
func TestMain(m *testing.M) {
	switch os.Getenv("LASHVIEW_STORE_CHILD") {
	case "":
		os.Exit(m.Run())
	case "put-random":
		childPutRandom(os.Getenv("LASHVIEW_STORE_ROOT"))
	case "put-same":
		childPutSame(os.Getenv("LASHVIEW_STORE_ROOT"), os.Getenv("LASHVIEW_STORE_FILE"))
	case "scan":
		childScan(os.Getenv("LASHVIEW_STORE_ROOT"))
	case "lash-put":
		childLashPut(os.Getenv("LASHVIEW_STORE_ROOT"), os.Getenv("LASHVIEW_STORE_FILE"))
	}
	os.Exit(0)
}

// randomPNG makes an incompressible PNG of a random size, so a put takes
// long enough to be killed in the middle of any of its steps.
func randomPNG(r *rand.Rand) []byte {
	w, h := 16+r.IntN(400), 16+r.IntN(400)
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func childPutRandom(root string) {
	s := New(root)
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	for {
		label := "crash " + strconv.Itoa(r.IntN(1000))
		if _, err := s.Put(context.Background(), bytes.NewReader(randomPNG(r)), PutOptions{Label: &label}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
}

func childPutSame(root, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		os.Exit(3)
	}
	s := New(root)
	for i := 0; i < 20; i++ {
		if _, err := s.Put(context.Background(), bytes.NewReader(data), PutOptions{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
	}
}

// childLashPut writes the way lash alpha.43 does: <final>.tmp, fsync,
// rename; then the sidecar the same way.
func childLashPut(root, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		os.Exit(3)
	}
	id := IDOf(sha256.Sum256(data))
	l := Layout{root}
	side := Sidecar{ID: string(id), MediaType: PNG, ByteLen: uint64(len(data))}.Encode()
	for i := 0; i < 20; i++ {
		if err := os.MkdirAll(l.PrefixDir(id), 0o755); err != nil {
			os.Exit(4)
		}
		for _, w := range []struct {
			path string
			data []byte
		}{{l.Blob(id), data}, {l.Sidecar(id), side}} {
			if _, err := os.Stat(w.path); err == nil && w.path == l.Blob(id) {
				continue
			}
			tmp := w.path + ".tmp"
			f, err := os.Create(tmp)
			if err != nil {
				// Another lash writer owns <final>.tmp right now: lash
				// itself would fail the same way; try the next round.
				continue
			}
			f.Write(w.data)
			f.Sync()
			f.Close()
			os.Rename(tmp, w.path)
		}
	}
}

func child(t *testing.T, job, root, file string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LASHVIEW_STORE_CHILD="+job, "LASHVIEW_STORE_ROOT="+root, "LASHVIEW_STORE_FILE="+file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t.Cleanup(func() {
		if stderr.Len() > 0 {
			t.Logf("child %s: %s", job, stderr.String())
		}
	})
	return cmd
}

// TestCrashSafety kills a putting process with SIGKILL at random moments,
// 200 times, and checks that the store never holds a partial file under a
// final name: every blob hashes to its name, every sidecar decodes and
// agrees, and the only strays are temp files.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 200 processes")
	}
	root := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	kills := 0
	for kills < 200 {
		cmd := child(t, "put-random", root, "")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(10+r.IntN(120)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("child ended by itself, not by SIGKILL: %v", err)
		}
		kills++
	}
	res, err := New(root).Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attachments) == 0 {
		t.Fatal("no put completed between the kills; the test proves nothing")
	}
	ok, missing := 0, 0
	for _, a := range res.Attachments {
		switch a.Status {
		case StatusOK:
			ok++
		case StatusMissingMeta:
			// killed between the blob's rename and the sidecar's: what
			// lash's own put leaves too; the blob must still be whole.
			missing++
		default:
			t.Errorf("%s: status %s after a crash (%s)", a.ID.Short(), a.Status, a.Detail)
		}
		got, _, err := HashFile(New(root).Layout().Blob(a.ID))
		if err != nil || got != a.ID {
			t.Errorf("%s: blob under its final name hashes to %s (%v)", a.ID.Short(), got, err)
		}
	}
	for _, f := range res.Findings {
		if f.Kind != FindingTempLitter {
			t.Errorf("stray %s (%s) after crashes", f.Path, f.Kind)
		}
	}
	t.Logf("%d kills: %d ok, %d blob-only, %d temp files", kills, ok, missing, len(res.Findings))
}

// TestPutConcurrentProcesses: 8 goroutines, 4 lashview processes and a
// writer using lash's own <id>.tmp pattern put the same bytes at once; all
// lashview writers succeed and one intact blob remains.
func TestPutConcurrentProcesses(t *testing.T) {
	root := t.TempDir()
	data := pngBytes(t, 300, 200)
	file := filepath.Join(t.TempDir(), "img.png")
	os.WriteFile(file, data, 0o644)
	var cmds []*exec.Cmd
	for i := 0; i < 4; i++ {
		cmds = append(cmds, child(t, "put-same", root, file))
	}
	lash := child(t, "lash-put", root, file)
	for _, c := range append(cmds, lash) {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	s := New(root)
	var wg sync.WaitGroup
	errs := make(chan error, 8*20)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, err := s.Put(context.Background(), bytes.NewReader(data), PutOptions{})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
	}
	lash.Wait()
	// lash's writer may leave its <id>.tmp when two of its rounds collide;
	// that is lash's own litter, not ours.
	res, err := s.Scan(context.Background(), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Kind != FindingTempLitter || filepath.Ext(f.Path) != ".tmp" || bytes.Contains([]byte(f.Path), []byte(".staging.")) {
			t.Errorf("stray %s (%s)", f.Path, f.Kind)
		}
	}
	if len(res.Attachments) != 1 || res.Attachments[0].Status != StatusOK {
		t.Fatalf("attachments %+v", res.Attachments)
	}
	got, _, err := HashFile(s.Layout().Blob(res.Attachments[0].ID))
	if err != nil || got != res.Attachments[0].ID {
		t.Fatalf("blob hashes to %s: %v", got, err)
	}
}
