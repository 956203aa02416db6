package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lashview/internal/fixture"
	"lashview/store"
)

// cli runs the command line in-process and returns exit code, stdout, stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runCLI(args, &cliEnv{stdout: &out, stderr: &errb, stdin: strings.NewReader("")})
	return code, out.String(), errb.String()
}

func TestLsJSON(t *testing.T) {
	root := fixture.Copy(t, "clean")
	code, out, errs := cli(t, "ls", "--store", root, "--json")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 17 {
		t.Fatalf("%d lines, want 17", len(lines))
	}
	var prev string
	for i, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		for _, k := range []string{"id", "status", "media_type", "byte_len", "width", "height", "label", "modified"} {
			if _, ok := r[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i, k, l)
			}
		}
		if r["status"] != "ok" || !strings.HasPrefix(r["media_type"].(string), "image/") {
			t.Errorf("line %d: %s", i, l)
		}
		if m := r["modified"].(string); prev != "" && m > prev {
			t.Errorf("not newest first: %s after %s", m, prev)
		} else {
			prev = m
		}
	}
	code, out, _ = cli(t, "ls", "--store", root)
	if code != 0 || !strings.Contains(out, "17 attachments") || !strings.Contains(out, "IMG_0001.JPG") {
		t.Fatalf("plain ls: %d\n%s", code, out)
	}
}

func TestPutGetLabel(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	src := filepath.Join(fixture.Dir(t), "clean", "sha256", "0f", "0fee77b79b9764adc03814ed7ca858f6ef083650a58b8018279f1412b8ddd246")
	dir := t.TempDir()
	img := filepath.Join(dir, "pixel.png")
	data, _ := os.ReadFile(src)
	os.WriteFile(img, data, 0o644)
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("not an image"), 0o644)

	code, out, errs := cli(t, "put", "--store", root, img, txt, filepath.Join(dir, "missing.png"))
	if code != 1 {
		t.Fatalf("put with a refused file: exit %d", code)
	}
	want := `{"id":"0fee77b79b9764adc03814ed7ca858f6ef083650a58b8018279f1412b8ddd246","media_type":{"kind":"image","type":"png"},"byte_len":275,"width":1,"height":1,"label":"pixel.png"}`
	if strings.TrimSpace(out) != want {
		t.Fatalf("put printed %q", out)
	}
	if !strings.Contains(errs, "notes.txt: not an image") || !strings.Contains(errs, "PNG, JPEG, GIF, WebP or BMP") || !strings.Contains(errs, "missing.png: no such file") {
		t.Fatalf("put errors: %q", errs)
	}
	id := "0fee77b79b9764adc03814ed7ca858f6ef083650a58b8018279f1412b8ddd246"
	code, out, _ = cli(t, "get", "--store", root, id)
	if code != 0 || out != string(data) {
		t.Fatalf("get: exit %d, %d bytes", code, len(out))
	}
	outFile := filepath.Join(dir, "copy.png")
	if code, _, errs := cli(t, "get", "--store", root, id, "-o", outFile); code != 0 {
		t.Fatalf("get -o: %d %s", code, errs)
	}
	if got, _ := os.ReadFile(outFile); !bytes.Equal(got, data) {
		t.Fatal("get -o wrote other bytes")
	}
	if code, _, errs := cli(t, "label", "--store", root, id, "pixel"); code != 0 {
		t.Fatalf("label: %d %s", code, errs)
	}
	side, _ := os.ReadFile(store.Layout{Root: root}.Sidecar(store.ID(id)))
	lash, _ := os.ReadFile(src + ".json")
	if !bytes.Equal(side, lash) {
		t.Fatalf("relabelled sidecar differs from lash's:\n%s\n%s", side, lash)
	}
}

func TestCLIErrors(t *testing.T) {
	root := fixture.Copy(t, "messy")
	missing := filepath.Join(t.TempDir(), "none")
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"get", "--store", root, "../../etc/passwd"}, 1, "invalid attachment id"},
		{[]string{"get", "--store", missing, strings.Repeat("A", 64)}, 1, "invalid attachment id"},
		{[]string{"get", "--store", root, strings.Repeat("0", 64)}, 1, "NotFound"},
		{[]string{"get", "--store", root, "b372bb8e4a531befd97a6979dd21218c5420796337a71ceb0f8f55fb8ff231c5"}, 1, "MissingMeta"},
		{[]string{"get", "--store", root, "524ba41b05faf3933c80a9ccc0795517edf16263abad82ef1d57a9352bfce5bb"}, 1, "MetadataDecode"},
		{[]string{"get", "--store", root, "fe1b22274afa502812e69993d9fab118841dde668bff931f200adde196db181f"}, 1, "symbolic link"},
		{[]string{"get", "--store", root}, 2, "usage"},
		{[]string{"ls", "--store", missing}, 1, "there is no store at " + missing},
		{[]string{"ls", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"label", "--store", root, strings.Repeat("0", 64)}, 2, "usage"},
		{[]string{"put", "--store", root}, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
	}
	for _, c := range cases {
		code, _, errs := cli(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.msg)
		}
		if strings.Contains(errs, "goroutine") || strings.Contains(errs, ".go:") {
			t.Errorf("%v: stack trace in %q", c.args, errs)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a failed command created the missing store")
	}
}
