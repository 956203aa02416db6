package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lashview/internal/fixture"
	"lashview/internal/syncbuf"
	"lashview/internal/testbin"
	"lashview/store"
)

// watchDeadline only turns a hang into a failure; nothing is timed.
const watchDeadline = 90 * time.Second

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Remove()
	os.Exit(code)
}

// watchProcess is a running `lashview watch`.
type watchProcess struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *syncbuf.Buffer
}

// startWatch runs `lashview watch` and waits until it watches.
func startWatch(t *testing.T, bin string, args ...string) *watchProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"watch"}, args...)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	p := &watchProcess{cmd: cmd, lines: make(chan string, 1000), stderr: &syncbuf.Buffer{}}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	deadline := time.Now().Add(watchDeadline)
	for !strings.Contains(p.stderr.String(), "lashview watch: watching ") {
		if time.Now().After(deadline) {
			t.Fatalf("lashview watch did not start; stderr:\n%s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// next returns the next stdout line.
func (p *watchProcess) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatalf("lashview watch ended; stderr:\n%s", p.stderr.String())
		}
		return l
	case <-time.After(watchDeadline):
		t.Fatalf("no event from lashview watch; stderr:\n%s", p.stderr.String())
	}
	return ""
}

// stop sends sig and checks the exit code is 0.
func (p *watchProcess) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for range p.lines {
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("lashview watch after %v: %v; stderr:\n%s", sig, err, p.stderr.String())
	}
}

func watchPNG(t *testing.T, dir string, i int) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	for p := 0; p < len(img.Pix); p++ {
		img.Pix[p] = byte(i + p)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("w%d.png", i))
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// putIDs runs `lashview put` as another process and returns the ids.
func putIDs(t *testing.T, bin, root string, files ...string) []string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"put", "--store", root}, files...)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lashview put: %v", err)
	}
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var ref struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(l), &ref); err != nil {
			t.Fatalf("put printed %q: %v", l, err)
		}
		ids = append(ids, ref.ID)
	}
	return ids
}

// The built program, run as a process, with other processes writing.
func TestWatchCommand(t *testing.T) {
	bin := testbin.Lashview(t)
	t.Run("json", func(t *testing.T) { testWatchJSON(t, bin) })
	t.Run("text", func(t *testing.T) { testWatchText(t, bin) })
}

// `lashview watch --json` prints one object per event while other
// processes put and remove; SIGTERM ends it with exit 0.
func testWatchJSON(t *testing.T, bin string) {
	root := fixture.Copy(t, "clean")
	p := startWatch(t, bin, "--store", root, "--json")
	src := t.TempDir()
	ids := putIDs(t, bin, root, watchPNG(t, src, 1), watchPNG(t, src, 2))

	seen := map[string]map[string]any{}
	for len(seen) < len(ids) {
		line := p.next(t)
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		tm, _ := rec["time"].(string)
		if _, err := time.Parse(time.RFC3339, tm); err != nil || len(tm) != len("2006-01-02T15:04:05.000Z") {
			t.Errorf("time %q is not RFC 3339 with milliseconds in UTC", tm)
		}
		if rec["event"] == "added" {
			seen[rec["id"].(string)] = rec
		}
	}
	for _, id := range ids {
		rec := seen[id]
		if rec == nil {
			t.Fatalf("no added event for %s", id)
		}
		// lashview put renames the blob, then the sidecar: within one batch
		// that is one added event with status ok; split, an added
		// (missing_meta) and a changed (ok).
		if st := rec["status"]; st != "ok" && st != "missing_meta" {
			t.Errorf("%s added with status %v", id, st)
		}
	}

	id, _ := store.ParseID(ids[0])
	l := store.New(root).Layout()
	os.Remove(l.Blob(id))
	os.Remove(l.Sidecar(id))
	for {
		var rec map[string]any
		if err := json.Unmarshal([]byte(p.next(t)), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["event"] == "removed" {
			if rec["id"] != ids[0] {
				t.Errorf("removed %v, want %s", rec["id"], ids[0])
			}
			break
		}
	}
	p.stop(t, syscall.SIGTERM)
	if errs := strings.TrimSpace(p.stderr.String()); strings.Count(errs, "\n") != 0 {
		t.Errorf("stderr holds more than the start line:\n%s", errs)
	}
}

// Without --json the lines are for a person; Ctrl-C ends it with exit 0.
func testWatchText(t *testing.T, bin string) {
	root := fixture.Copy(t, "clean")
	p := startWatch(t, bin, "--store", root)
	ids := putIDs(t, bin, root, watchPNG(t, t.TempDir(), 3))
	line := p.next(t)
	f := strings.Fields(line)
	if len(f) < 4 || f[1] != "added" || f[2] != ids[0] {
		t.Fatalf("line %q, want <time> added %s ...", line, ids[0])
	}
	if _, err := time.Parse("15:04:05.000", f[0]); err != nil {
		t.Errorf("time %q: %v", f[0], err)
	}
	p.stop(t, os.Interrupt)
}

// Usage errors and a missing store fail at once with words, not a hang.
func TestWatchErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"watch", "--store", t.TempDir(), "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"watch", "--store", filepath.Join(t.TempDir(), "nope")}, exitProblems, "there is no store at"},
		{[]string{"watch", "--bogus"}, exitUsage, "flag provided but not defined"},
	} {
		var out, errb bytes.Buffer
		code := Run(c.args, &Env{Stdout: &out, Stderr: &errb})
		if code != c.code || !strings.Contains(errb.String(), c.says) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", c.args, code, errb.String(), out.String())
		}
	}
}
