package tests

// Tests of the real window: the built binary under an Xvfb of each test's
// own, driven and observed from outside as a person's desktop would (window
// title, screenshots, other processes writing the store, an XDND drag from
// another client, the window manager's close message, SIGTERM).

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lashview/internal/fixture"
	"lashview/internal/syncbuf"
)

// Generous limits for things that take seconds on an idle machine and may
// take a minute on a loaded CI runner. Reaching one fails the test; none of
// them is an assertion about speed.
const (
	xStartLimit  = 60 * time.Second
	windowLimit  = 3 * time.Minute
	changeLimit  = 2 * time.Minute
	exitLimit    = time.Minute
	cleanCount   = 17 // attachments in the clean fixture
	screenWidth  = 1280
	screenHeight = 800
)

// xserver is an Xvfb of one test's own.
type xserver struct {
	display string // ":N"
}

// startXvfb starts Xvfb on a display number it picks itself (-displayfd
// reports the number once the server accepts connections) and kills it when
// the test ends.
func startXvfb(t *testing.T) *xserver {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("Xvfb is not installed (`make test-deps` installs it); the window tests need an X server")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var errb syncbuf.Buffer
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", screenWidth, screenHeight),
		"-noreset", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		if _, err := strconv.Atoi(s); err != nil {
			<-exited
			t.Fatalf("Xvfb did not report a display (%q): %s", s, errb.String())
		}
		return &xserver{display: ":" + s}
	case <-time.After(xStartLimit):
		t.Fatalf("Xvfb reported no display within %v: %s", xStartLimit, errb.String())
	}
	return nil
}

// command runs a helper program against the display and returns its output.
func (x *xserver) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+x.display)
	return cmd
}

// python returns a python3 that has python-xlib: the Debian package
// installs it for /usr/bin/python3, which a python3 earlier on PATH (pyenv,
// a virtualenv) may not see.
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import Xlib").Run() == nil {
			return p
		}
	}
	t.Fatal("no python3 with python-xlib (Debian package python3-xlib; `make test-deps` installs it)")
	return ""
}

// window is the lashview program running under Xvfb.
type window struct {
	t      *testing.T
	x      *xserver
	cmd    *exec.Cmd
	stderr *syncbuf.Buffer
	exited chan struct{}
	id     string // the X window, once found
}

// startWindow opens lashview on root with HOME and the XDG folders in a
// temp dir, so no preferences or cache leak in or out, and the working
// directory at the repository root (as `make run`), where Fyne finds
// FyneApp.toml as a packaged build has it compiled in.
func startWindow(t *testing.T, x *xserver, root string) *window {
	t.Helper()
	cmd := exec.Command(binary, "--store", root)
	cmd.Env = append(testEnv(t.TempDir()), "DISPLAY="+x.display)
	cmd.Dir = ".."
	w := &window{t: t, x: x, cmd: cmd, stderr: &syncbuf.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w.stderr, w.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(w.exited) }()
	t.Cleanup(func() {
		select {
		case <-w.exited:
		default:
			cmd.Process.Kill()
			<-w.exited
		}
		if t.Failed() {
			t.Logf("lashview's output:\n%s", w.stderr.String())
		}
	})
	return w
}

// title returns the X window id and title of lashview's window, or "" when
// it has none yet.
func (w *window) title() (string, string) {
	out, err := w.x.command("xdotool", "search", "--name", "^lashview").Output()
	if err != nil { // xdotool exits 1 when nothing matches
		return "", ""
	}
	for _, id := range strings.Fields(string(out)) {
		name, err := w.x.command("xdotool", "getwindowname", id).Output()
		if err == nil {
			return id, strings.TrimSuffix(string(name), "\n")
		}
	}
	return "", ""
}

// waitTitle waits until the window's title is want; it fails the test
// with the last title seen if that has not happened within limit, or if
// the program exits.
func (w *window) waitTitle(want string, limit time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(limit)
	last := "(no window)"
	for {
		id, got := w.title()
		if id != "" {
			w.id, last = id, got
			if got == want {
				return
			}
		}
		select {
		case <-w.exited:
			w.t.Fatalf("lashview exited (%v) while waiting for the title %q; last title %q", w.cmd.ProcessState, want, last)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("the window's title did not become %q within %v; it is %q", want, limit, last)
		}
	}
}

// wmClass returns the class part of the window's WM_CLASS property.
func (w *window) wmClass() string {
	w.t.Helper()
	out, err := w.x.command("xprop", "-id", w.id, "WM_CLASS").Output()
	if err != nil {
		w.t.Fatalf("xprop WM_CLASS: %v", err)
	}
	// WM_CLASS(STRING) = "instance", "class"
	f := strings.Split(strings.TrimSpace(string(out)), "\", \"")
	if len(f) != 2 {
		w.t.Fatalf("xprop said %q", out)
	}
	class, _ := strconv.Unquote(`"` + f[1])
	return class
}

// geometry returns the window's position and size on the screen.
func (w *window) geometry() (x, y, width, height int) {
	w.t.Helper()
	out, err := w.x.command("xdotool", "getwindowgeometry", "--shell", w.id).Output()
	if err != nil {
		w.t.Fatalf("xdotool getwindowgeometry: %v", err)
	}
	v := map[string]int{}
	for _, l := range strings.Fields(string(out)) {
		if k, s, ok := strings.Cut(l, "="); ok {
			v[k], _ = strconv.Atoi(s)
		}
	}
	if v["WIDTH"] == 0 || v["HEIGHT"] == 0 {
		w.t.Fatalf("xdotool getwindowgeometry said %q", out)
	}
	return v["X"], v["Y"], v["WIDTH"], v["HEIGHT"]
}

// screenshot captures the whole screen (the window has no frame: there is
// no window manager) with ImageMagick's import.
func (x *xserver) screenshot(t *testing.T) image.Image {
	t.Helper()
	out, err := x.command("import", "-window", "root", "png:-").Output()
	if err != nil {
		t.Fatalf("import -window root: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decoding the screenshot: %v", err)
	}
	return img
}

// saveScreenshot keeps a screenshot for a person to look at after a
// failure, in the test's output folder if go test was given one.
func saveScreenshot(t *testing.T, img image.Image, name string) string {
	dir := os.Getenv("LASHVIEW_TEST_SHOTS")
	if dir == "" {
		dir = os.TempDir()
	}
	p := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+name+".png")
	var buf bytes.Buffer
	png.Encode(&buf, img)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Logf("saving the screenshot: %v", err)
	}
	return p
}

// stop sends sig and waits for the program to exit; it fails the test
// unless the exit was clean (status 0).
func (w *window) stop(sig os.Signal) {
	w.t.Helper()
	if err := w.cmd.Process.Signal(sig); err != nil {
		w.t.Fatalf("signal %v: %v", sig, err)
	}
	w.waitExit(fmt.Sprint(sig))
}

func (w *window) waitExit(cause string) {
	w.t.Helper()
	select {
	case <-w.exited:
	case <-time.After(exitLimit):
		// A Go program prints every goroutine's stack on SIGQUIT: the
		// cleanup logs it with the rest of the program's output.
		w.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-w.exited:
		case <-time.After(10 * time.Second):
		}
		w.t.Fatalf("lashview did not exit within %v of %s", exitLimit, cause)
	}
	if code := w.cmd.ProcessState.ExitCode(); code != 0 {
		w.t.Fatalf("lashview exited with %v after %s; want status 0", w.cmd.ProcessState, cause)
	}
	// Fyne logs what it could not do (load preferences, find a font, call
	// on the right goroutine) and carries on; a person would never see it.
	// One message is Fyne's own race, not lashview's: at exit, its
	// preferences file watcher reloads the file while Fyne's forced save has
	// just truncated it (a packaged, -release build shows it every time).
	out := fynePrefsRace.ReplaceAllString(w.stderr.String(), "")
	for _, bad := range []string{"Fyne error", "Error in Fyne call thread", "panic:", "WARNING: DATA RACE"} {
		if strings.Contains(out, bad) {
			w.t.Errorf("lashview's output has %q:\n%s", bad, out)
			break
		}
	}
}

// fynePrefsRace matches the three lines Fyne logs when it reads its
// preferences file half written (see waitExit); the last two may be missing
// when the signal ends the process between Fyne's log calls.
var fynePrefsRace = regexp.MustCompile(`(?m)^.*Fyne error:  Preferences load error:(?:\n|$)(?:.*Cause: EOF(?:\n|$))?(?:.*At: .*/app/preferences\.go:\d+(?:\n|$))?`)

// storeLitter returns the temp files a write left in the store.
func storeLitter(t *testing.T, root string) []string {
	t.Helper()
	var litter []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n := d.Name(); strings.HasSuffix(n, ".tmp") || strings.Contains(n, ".staging.") {
			litter = append(litter, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return litter
}

// lsJSON lists the store with `lashview ls --json`, by id.
func lsJSON(t *testing.T, root string) map[string]map[string]any {
	t.Helper()
	code, out, errs := run(t, "", "ls", "--store", root, "--json")
	if code != 0 || errs != "" {
		t.Fatalf("ls --json: exit %d, stderr %q", code, errs)
	}
	recs := map[string]map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("ls --json printed %q: %v", l, err)
		}
		recs[r["id"].(string)] = r
	}
	return recs
}

// writeImages writes n PNG files no store has seen (a gradient and a band
// whose colours depend on the name), named name-i.png.
func writeImages(t *testing.T, dir, name string, n int) (paths, ids []string) {
	t.Helper()
	for i := range n {
		img := image.NewNRGBA(image.Rect(0, 0, 120, 80))
		h := sha256.Sum256([]byte(fmt.Sprint(name, i)))
		for y := range 80 {
			for x := range 120 {
				img.Set(x, y, color.NRGBA{h[0] + uint8(x), h[1] + uint8(y), h[2], 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, i+1))
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(buf.Bytes())
		paths, ids = append(paths, p), append(ids, hex.EncodeToString(sum[:]))
	}
	return paths, ids
}

// titleFor is the window's title on a store of count attachments.
func titleFor(root string, count int) string {
	return fmt.Sprintf("lashview — %s (%d)", root, count)
}

// TestWindowShowsTheStore opens the window on the clean fixture: the title
// names the store and its count, the screen shows the thumbnails, and
// SIGTERM ends the program cleanly.
func TestWindowShowsTheStore(t *testing.T) {
	x := startXvfb(t)
	root := fixture.Copy(t, "clean")
	w := startWindow(t, x, root)
	w.waitTitle(titleFor(root, cleanCount), windowLimit)

	// Thumbnails arrive after the labels: look until the grid shows them.
	wx, wy, ww, wh := w.geometry()
	area := image.Rect(wx, wy, wx+ww, wy+wh)
	deadline := time.Now().Add(windowLimit)
	var shot image.Image
	var got thumbnailCount
	for {
		shot = x.screenshot(t)
		got = countThumbnails(shot, area)
		if got.tiles >= minTiles && got.colourful >= minColourful {
			break
		}
		if time.Now().After(deadline) {
			p := saveScreenshot(t, shot, "no-thumbnails")
			t.Fatalf("after %v the window shows %d thumbnail-sized tiles, %d of them colourful (want %d and %d; %d colours on screen); screenshot %s",
				windowLimit, got.tiles, got.colourful, minTiles, minColourful, got.colours, p)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("window %dx%d at (%d,%d): %d thumbnail tiles, %d colourful, %d colours", ww, wh, wx, wy, got.tiles, got.colourful, got.colours)

	w.stop(syscall.SIGTERM)
	if l := storeLitter(t, root); len(l) > 0 {
		t.Errorf("temp files left in the store: %v", l)
	}
}

// TestWindowClassMatchesDesktopEntry: the desktop file `make package`
// installs says StartupWMClass=lashview (fyne package writes the app's Name
// there); a desktop matches a window to its entry, and so to its icon and
// launcher, by the window's WM_CLASS, which GLFW takes from the title the
// window has when it is first shown.
func TestWindowClassMatchesDesktopEntry(t *testing.T) {
	x := startXvfb(t)
	root := fixture.Copy(t, "clean")
	w := startWindow(t, x, root)
	w.waitTitle(titleFor(root, cleanCount), windowLimit)
	if class := w.wmClass(); class != "lashview" {
		t.Errorf("the window's WM_CLASS class is %q; the desktop file's StartupWMClass is \"lashview\", so a desktop "+
			"will not match the window to its entry and icon (show the window titled \"lashview\", then set the full title)", class)
	}
	w.stop(syscall.SIGTERM)
}

// TestWindowFollowsOtherWriters: while the window is open, other processes
// put five attachments and remove two; the title's count follows, and ls
// agrees. Closing the window (the window manager's WM_DELETE_WINDOW) ends
// the program cleanly.
func TestWindowFollowsOtherWriters(t *testing.T) {
	x := startXvfb(t)
	root := fixture.Copy(t, "clean")
	w := startWindow(t, x, root)
	w.waitTitle(titleFor(root, cleanCount), windowLimit)

	files, ids := writeImages(t, t.TempDir(), "arrival", 5)
	if code, _, errs := run(t, "", append([]string{"put", "--store", root}, files...)...); code != 0 {
		t.Fatalf("put: exit %d: %s", code, errs)
	}
	w.waitTitle(titleFor(root, cleanCount+5), changeLimit)
	recs := lsJSON(t, root)
	if len(recs) != cleanCount+5 {
		t.Errorf("ls lists %d attachments, the title says %d", len(recs), cleanCount+5)
	}
	for _, id := range ids {
		if recs[id]["status"] != "ok" {
			t.Errorf("ls after put: %s is %v", id, recs[id])
		}
	}

	gone := []string{ids[0], "0fee77b79b9764adc03814ed7ca858f6ef083650a58b8018279f1412b8ddd246"}
	if code, _, errs := run(t, "", append([]string{"rm", "--store", root}, gone...)...); code != 0 {
		t.Fatalf("rm: exit %d: %s", code, errs)
	}
	w.waitTitle(titleFor(root, cleanCount+3), changeLimit)
	recs = lsJSON(t, root)
	if len(recs) != cleanCount+3 {
		t.Errorf("ls lists %d attachments, the title says %d", len(recs), cleanCount+3)
	}
	for _, id := range gone {
		if _, ok := recs[id]; ok {
			t.Errorf("ls still lists %s after rm", id)
		}
	}

	if out, err := x.command(python(t), "x11/close.py", w.id).CombinedOutput(); err != nil {
		t.Fatalf("close.py: %v %s", err, out)
	}
	w.waitExit("WM_DELETE_WINDOW")
	if l := storeLitter(t, root); len(l) > 0 {
		t.Errorf("temp files left in the store: %v", l)
	}
}

// TestWindowTakesDroppedFiles drags two files from another X client onto
// the window with the XDND protocol, as a file manager does; the store then
// holds them, labelled by file name as `lashview put` labels them.
func TestWindowTakesDroppedFiles(t *testing.T) {
	x := startXvfb(t)
	py := python(t)
	root := fixture.Copy(t, "clean")
	w := startWindow(t, x, root)
	w.waitTitle(titleFor(root, cleanCount), windowLimit)

	dir := filepath.Join(t.TempDir(), "a folder")
	os.Mkdir(dir, 0o755)
	files, ids := writeImages(t, dir, "dropped file", 2) // spaces: the URIs are %-encoded
	wx, wy, ww, wh := w.geometry()
	args := append([]string{"x11/drag.py", "--timeout", "120", strconv.Itoa(wx + ww/2), strconv.Itoa(wy + wh/2)}, files...)
	drag := x.command(py, args...)
	out, err := drag.CombinedOutput()
	t.Logf("drag.py:\n%s", out)
	if err != nil {
		saveScreenshot(t, x.screenshot(t), "drag-failed")
		t.Fatalf("the drag failed: %v", err)
	}

	w.waitTitle(titleFor(root, cleanCount+2), changeLimit)
	recs := lsJSON(t, root)
	for i, id := range ids {
		want := filepath.Base(files[i]) // as `lashview put` labels a file
		if r := recs[id]; r == nil || r["status"] != "ok" || r["label"] != want || r["media_type"] != "image/png" {
			t.Errorf("after the drop, ls has %s as %v; want status ok, label %q", id, r, want)
		}
		code, data, _ := run(t, "", "get", "--store", root, id)
		src, _ := os.ReadFile(files[i])
		if code != 0 || data != string(src) {
			t.Errorf("get %s: exit %d, %d bytes; want the %d bytes of %s", id, code, len(data), len(src), files[i])
		}
	}
	w.stop(syscall.SIGTERM)
	if l := storeLitter(t, root); len(l) > 0 {
		t.Errorf("temp files left in the store: %v", l)
	}
}

// The clean fixture's first screen in the default window (1100×720) shows
// 12 whole thumbnails, 9 of them colourful (three are screenshots of a white
// window). The test asks for a little less, so a changed cell size or
// window size does not break it, but far more than an empty grid, the
// welcome view or grey placeholders could show.
const (
	minTiles     = 8
	minColourful = 5
	tileMin      = 48 // px: bigger than any text line, icon or button
)

type thumbnailCount struct {
	tiles     int // filled regions that differ from the background, at least tileMin px each way
	colourful int // tiles most of whose pixels are saturated (Fyne's themes are greys and one accent)
	colours   int // distinct colours in the area
}

// countThumbnails counts the thumbnails shown in area: connected regions of
// pixels that differ from the background (the area's commonest colour),
// at least tileMin pixels across in each direction and filling at least
// half of their bounding box (separator lines and outlines are sparse).
func countThumbnails(img image.Image, area image.Rectangle) thumbnailCount {
	area = area.Intersect(img.Bounds())
	w, h := area.Dx(), area.Dy()
	px := make([]color.RGBA, w*h)
	freq := map[color.RGBA]int{}
	for y := range h {
		for x := range w {
			r, g, b, _ := img.At(area.Min.X+x, area.Min.Y+y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
			px[y*w+x] = c
			freq[c]++
		}
	}
	var bg color.RGBA
	for c, n := range freq {
		if n > freq[bg] {
			bg = c
		}
	}
	diff := func(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }
	fg := make([]bool, w*h)
	for i, c := range px {
		fg[i] = max(diff(c.R, bg.R), diff(c.G, bg.G), diff(c.B, bg.B)) > 24
	}
	res := thumbnailCount{colours: len(freq)}
	seen := make([]bool, w*h)
	var stack []int
	for start := range fg {
		if !fg[start] || seen[start] {
			continue
		}
		seen[start] = true
		stack = append(stack[:0], start)
		minX, minY, maxX, maxY, n, sat := w, h, 0, 0, 0, 0
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := p%w, p/w
			minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			n++
			if c := px[p]; int(max(c.R, c.G, c.B))-int(min(c.R, c.G, c.B)) >= 40 {
				sat++
			}
			for _, q := range [4]int{p - 1, p + 1, p - w, p + w} {
				if q < 0 || q >= len(fg) || (q == p-1 && x == 0) || (q == p+1 && x == w-1) {
					continue
				}
				if fg[q] && !seen[q] {
					seen[q] = true
					stack = append(stack, q)
				}
			}
		}
		bw, bh := maxX-minX+1, maxY-minY+1
		if bw >= tileMin && bh >= tileMin && 2*n >= bw*bh {
			res.tiles++
			if 2*sat >= n {
				res.colourful++
			}
		}
	}
	return res
}
