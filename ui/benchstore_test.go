package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"lashview/internal/benchhome"
	"lashview/internal/storecases"
	"lashview/store"
	"lashview/thumbs"
)

// TestMakeBenchStore writes the benchmark's store: LASHVIEW_BENCH_N
// (default 100,000) distinct small labelled PNGs at LASHVIEW_BENCH_STORE,
// and fills the thumbnail cache ($XDG_CACHE_HOME/lashview/thumbs) at the
// grid's default cell size, so the window starts with a warm cache. It is
// skipped unless LASHVIEW_BENCH_STORE is set.
func TestMakeBenchStore(t *testing.T) {
	dir := os.Getenv("LASHVIEW_BENCH_STORE")
	if dir == "" {
		t.Skip("set LASHVIEW_BENCH_STORE to write the benchmark store")
	}
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("LASHVIEW_BENCH_N")); err == nil {
		n = v
	}
	st := store.New(dir)
	lay := st.Layout()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := make([]store.ID, 0, n)
	m := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := 0; i < n; i++ {
		// A gradient whose colours encode i: every image is distinct.
		c := color.RGBA{uint8(i), uint8(i >> 8), uint8(i >> 16), 255}
		for y := 0; y < 48; y++ {
			for x := 0; x < 64; x++ {
				m.SetRGBA(x, y, color.RGBA{c.R + uint8(x*2), c.G + uint8(y*3), c.B + uint8(x+y), 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		id := store.IDOf(sha256.Sum256(buf.Bytes()))
		if err := os.MkdirAll(lay.PrefixDir(id), 0o755); err != nil {
			t.Fatal(err)
		}
		w, h := uint32(64), uint32(48)
		label := fmt.Sprintf("bench #%06d", i)
		side := store.Sidecar{ID: string(id), MediaType: store.PNG, ByteLen: uint64(buf.Len()), Width: &w, Height: &h, Label: &label}
		if err := os.WriteFile(lay.Blob(id), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lay.Sidecar(id), side.Encode(), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := base.Add(time.Duration(i) * time.Second)
		os.Chtimes(lay.Blob(id), mt, mt)
		ids = append(ids, id)
	}
	t.Logf("wrote %d attachments to %s", n, dir)
	if k, err := strconv.Atoi(os.Getenv("LASHVIEW_BENCH_SESSIONS")); err == nil && k > 0 {
		// lash's sessions beside the store, every attachment referenced
		// once: the window reads them after its first screen.
		tmpl, err := os.ReadFile(filepath.Join(storecases.Shared(t), "lash-sessions", "alpha111", "lash-home", "sessions", "20260725_101529.db"))
		if err != nil {
			t.Fatal(err)
		}
		refs := make([]string, len(ids))
		for i, id := range ids {
			refs[i] = string(id)
		}
		sdir := filepath.Join(filepath.Dir(dir), "sessions")
		if err := benchhome.Sessions(sdir, tmpl, refs, k); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d session databases referencing them to %s", k, sdir)
	}
	c, err := thumbs.New(thumbs.Options{Open: openerOf(st)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stats, err := c.Fill(context.Background(), ids, defaultThumb, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("thumbnail cache %s: %d generated, %d cached, %d failed in %s", c.Dir(), stats.Generated, stats.Cached, stats.Failed, stats.Elapsed)
}
