package thumbs

import (
	"image"
	"image/color"
	"math/rand"
	"testing"
)

// The packed two-channel sums of resample are exact only while each
// channel's sum fits 32 bits signed. The worst case is a source whose
// pixels sit at 0 or 255 exactly where the weights are negative or
// positive: 255 × Σ|w| per pass.
func TestResampleLaneHeadroom(t *testing.T) {
	maxAbs := func(tp taps) int64 {
		var worst int64
		for i := range tp.start {
			var s int64
			for _, w := range tp.w[i*tp.n : (i+1)*tp.n] {
				s += int64(max(w, -w))
			}
			worst = max(worst, s)
		}
		return worst
	}
	for src := 1; src <= 1200; src += 7 {
		for _, dst := range []int{1, 2, 3, 7, 64, 191, 256, 512} {
			if dst > 4*src {
				continue
			}
			a := maxAbs(makeTaps(dst, src, resampleFilter))
			h := 255 * a                           // horizontal: uint8 samples
			v := (h >> (weightBits - midBits)) * a // vertical: mid values
			if h >= 1<<31 || v >= 1<<31 {
				t.Fatalf("%d→%d: Σ|w| %d leaves no headroom (%d, %d)", src, dst, a, h, v)
			}
		}
	}
}

// The packed sums must give the same result as filtering each channel on
// its own, also for transparent pixels and hard 0/255 edges that ring.
func TestResamplePackedMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	src := image.NewNRGBA(image.Rect(0, 0, 97, 61))
	for i := range src.Pix {
		src.Pix[i] = []uint8{0, 255, uint8(rng.Intn(256))}[rng.Intn(3)]
	}
	for _, sz := range []image.Point{{40, 25}, {13, 61}, {97, 7}, {1, 1}} {
		got := resample(src, sz.X, sz.Y, lanczos3)
		want := resamplePlain(src, sz.X, sz.Y, lanczos3)
		for i := range got.Pix {
			if got.Pix[i] != want.Pix[i] {
				t.Fatalf("%v: byte %d is %d, per-channel filtering gives %d", sz, i, got.Pix[i], want.Pix[i])
			}
		}
	}
}

// resamplePlain is resample one channel at a time, in float64 for the
// sums and with resample's fixed-point weights and roundings.
func resamplePlain(src image.Image, tw, th int, f filter) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	xt, yt := makeTaps(tw, sw, f), makeTaps(th, sh, f)
	read := rowReader(src)
	row := make([]uint8, 4*sw)
	mid := make([][4]int64, sh*tw)
	for y := 0; y < sh; y++ {
		read(b.Min.Y+y, row)
		for x := 0; x < tw; x++ {
			for c := 0; c < 4; c++ {
				var s int64
				for k := 0; k < xt.n; k++ {
					s += int64(xt.w[x*xt.n+k]) * int64(row[4*(xt.start[x]+k)+c])
				}
				mid[y*tw+x][c] = s >> (weightBits - midBits)
			}
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, tw, th))
	const shift = weightBits + midBits
	for y := 0; y < th; y++ {
		for x := 0; x < tw; x++ {
			var s [4]int64
			for k := 0; k < yt.n; k++ {
				for c := range s {
					s[c] += int64(yt.w[y*yt.n+k]) * mid[(yt.start[y]+k)*tw+x][c]
				}
			}
			for c := range s {
				s[c] = clampShift(s[c]+1<<(shift-1), shift)
			}
			a := s[3]
			switch a {
			case 0:
				dst.SetNRGBA(x, y, color.NRGBA{})
			case 255:
				dst.SetNRGBA(x, y, color.NRGBA{uint8(s[0]), uint8(s[1]), uint8(s[2]), 255})
			default:
				dst.SetNRGBA(x, y, color.NRGBA{uint8(min(s[0], a) * 255 / a), uint8(min(s[1], a) * 255 / a), uint8(min(s[2], a) * 255 / a), uint8(a)})
			}
		}
	}
	return dst
}
