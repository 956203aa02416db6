package imgfmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// animatedWebP is the clean fixture's animated WebP: a 32×32 canvas, two
// lossy frames; a still WebP follows the RIFF's stated size at 0xe2.
func animatedWebP(t *testing.T) []byte {
	t.Helper()
	id := "3d332ec96aafa79d2b93cd57b0ac6eb20e39c2678d1b7860a88d450899b422ff"
	data, err := os.ReadFile(filepath.Join(sharedFixtures(t), "lash-alpha43", "clean", "sha256", id[:2], id))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestWebPFirstFrame(t *testing.T) {
	anim := animatedWebP(t)
	h, err := ReadHeader(bytes.NewReader(anim))
	if err != nil || h != (Header{Format: WebP, Width: 32, Height: 32, Animated: true}) {
		t.Fatalf("header %+v %v", h, err)
	}
	still, at, err := WebPFirstFrame(bytes.NewReader(anim), h.Width, h.Height)
	if err != nil || at != image.Rect(0, 0, 32, 32) {
		t.Fatalf("first frame at %v: %v", at, err)
	}
	if WebPAnimated(still) || Sniff(still) != WebP {
		t.Error("the rewrapped frame is not a still WebP")
	}
	m, err := Decode(bytes.NewReader(anim), h)
	if err != nil || m.Bounds() != image.Rect(0, 0, 32, 32) {
		t.Fatalf("decode: %v %v", m, err)
	}

	// A still WebP is not mistaken for an animation.
	if WebPAnimated(anim[0xe2:]) {
		t.Error("a still WebP was read as animated")
	}
	// Cut inside the first frame: no longer decodable.
	if _, err := Decode(bytes.NewReader(anim[:0x60]), h); err == nil {
		t.Error("a cut animated WebP decoded")
	}
	// Animation flag set, frame data garbage.
	bad := bytes.Clone(anim)
	copy(bad[0x4a:0x60], bytes.Repeat([]byte{0xff}, 0x16))
	if _, err := Decode(bytes.NewReader(bad), h); err == nil {
		t.Error("a garbage frame decoded")
	}
	// The first frame placed outside the canvas (x offset 2×8 = 16 pixels).
	out := bytes.Clone(anim)
	out[0x34] = 8
	if _, _, err := WebPFirstFrame(bytes.NewReader(out), 32, 32); !errors.Is(err, ErrHeaderLies) {
		t.Errorf("frame outside the canvas: %v", err)
	}
}

// A frame that claims far more bytes than the file has costs no more
// memory than the file.
func TestWebPFirstFrameLyingSize(t *testing.T) {
	anim := animatedWebP(t)
	lie := bytes.Clone(anim[:0x60])
	binary.LittleEndian.PutUint32(lie[0x30:], 1<<29) // the ANMF's size
	binary.LittleEndian.PutUint32(lie[4:], 1<<30)    // and the RIFF's
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := WebPFirstFrame(bytes.NewReader(lie), 32, 32)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a frame cut short was read")
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 4<<20 {
		t.Errorf("a 96-byte file claiming a 512 MiB frame allocated %d bytes", grown)
	}
}
