package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lashview/internal/fixture"
	"lashview/store"
)

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
