package thumbs

import (
	"image"
	"math"
)

// A resampling filter: a kernel and its support (in source pixels at
// scale 1).
type filter struct {
	support float64
	kernel  func(x float64) float64
}

// lanczos3 is the sharpest of the usual filters; text in screenshots stays
// readable at thumbnail size.
var lanczos3 = filter{3, func(x float64) float64 {
	x = math.Abs(x)
	if x == 0 {
		return 1
	}
	if x >= 3 {
		return 0
	}
	px := math.Pi * x
	return 3 * math.Sin(px) * math.Sin(px/3) / (px * px)
}}

// Weights are fixed point with weightBits fractional bits; the horizontal
// pass keeps midBits fractional bits of each value for the vertical pass.
const (
	weightBits = 14
	midBits    = 7
)

// taps lists, for each output pixel along one axis, the first source pixel
// and n fixed-point weights (zero-padded to the same n for all outputs).
type taps struct {
	start []int
	w     []int32
	n     int
}

func makeTaps(dst, src int, f filter) taps {
	scale := float64(src) / float64(dst)
	fs := max(scale, 1) // widen the kernel when shrinking: it must low-pass
	support := f.support * fs
	// No more taps than source pixels: the edge clamping folds the rest.
	n := min(int(math.Ceil(2*support))+1, src)
	t := taps{start: make([]int, dst), w: make([]int32, dst*n), n: n}
	ws := make([]float64, n)
	for i := 0; i < dst; i++ {
		center := (float64(i)+0.5)*scale - 0.5
		left := int(math.Ceil(center - support))
		// Taps outside the image clamp to the edge pixel: fold their
		// weight onto it, so edges are not darkened.
		start := min(max(left, 0), max(src-n, 0))
		clear(ws)
		var sum float64
		for j := left; j < left+n; j++ {
			w := f.kernel((float64(j) - center) / fs)
			if w == 0 {
				continue
			}
			k := min(max(j, 0), src-1) - start
			if k < 0 || k >= n {
				continue
			}
			ws[k] += w
			sum += w
		}
		t.start[i] = start
		row := t.w[i*n : (i+1)*n]
		var isum, big int32
		bigAt := 0
		for k, w := range ws {
			row[k] = int32(math.Round(w / sum * (1 << weightBits)))
			isum += row[k]
			if row[k] > big {
				big, bigAt = row[k], k
			}
		}
		row[bigAt] += 1<<weightBits - isum // exact unity gain after rounding
	}
	return t
}

// resample scales src to tw×th with f, in premultiplied colour and fixed
// point. It is separable: each source row is read once (as premultiplied
// RGBA via rowReader), filtered horizontally into a buffer, and the buffer
// is filtered vertically.
//
// Both passes filter two channels with one multiply: red and blue share
// an int64 (red in the low 32 bits, blue in the high), and so do green and
// alpha. A sum Σ w·(lo + hi·2³²) is exactly Σ w·lo + 2³²·Σ w·hi, so both
// sums come back out as long as each fits 32 bits signed (see lanes). It
// halves the multiplies of the plain four-channel loops, which were most
// of the time of a GIF's or a photo's thumbnail after the decode.
func resample(src image.Image, tw, th int, f filter) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	xt, yt := makeTaps(tw, sw, f), makeTaps(th, sh, f)

	// mid is a ring of the last yt.n source rows filtered horizontally, tw
	// pixels each as two packed words (red|blue, green|alpha), each channel
	// with midBits fractional bits. An output row needs n consecutive source
	// rows, and the first of them only moves down, so each source row is
	// filtered once, just before the first output row that needs it. The
	// vertical pass then reads a few rows that stay in cache, rather than
	// a filtered copy of the whole picture (1.5 MB for a GIF's thumbnail).
	n := yt.n
	mid := make([]int64, n*tw*2)
	read := rowReader(src)
	row := make([]uint8, 4*sw)
	quads := unsafeQuads(row)
	rb, ga := make([]int64, sw), make([]int64, sw)
	filterRow := func(y int, out []int64) {
		read(b.Min.Y+y, row)
		for x, p := range quads {
			rb[x] = int64(p[0]) | int64(p[2])<<32
			ga[x] = int64(p[1]) | int64(p[3])<<32
		}
		n := xt.n
		for x := 0; x < tw; x++ {
			s0 := xt.start[x]
			w := xt.w[x*n : x*n+n]
			srb, sga := rb[s0:s0+n], ga[s0:s0+n]
			srb, sga = srb[:len(w)], sga[:len(w)] // drops the bounds checks below
			var sumRB, sumGA int64
			for k, wk := range w {
				sumRB += int64(wk) * srb[k]
				sumGA += int64(wk) * sga[k]
			}
			const sh = weightBits - midBits
			r, bl := lanes(sumRB)
			g, a := lanes(sumGA)
			o := out[2*x : 2*x+2 : 2*x+2]
			o[0] = pack(r>>sh, bl>>sh)
			o[1] = pack(g>>sh, a>>sh)
		}
	}
	ringRow := func(y int) []int64 { i := y % n; return mid[i*tw*2 : (i+1)*tw*2] }

	dst := image.NewNRGBA(image.Rect(0, 0, tw, th))
	acc := make([]int64, tw*2)
	const shift = weightBits + midBits
	const half = 1 << (shift - 1)
	next := yt.start[0] // the next source row to filter
	for y := 0; y < th; y++ {
		// makeTaps keeps start+n within the source.
		for ; next < yt.start[y]+n; next++ {
			filterRow(next, ringRow(next))
		}
		clear(acc)
		for k, wk := range yt.w[y*n : y*n+n] {
			if wk == 0 {
				continue
			}
			in := ringRow(yt.start[y] + k)
			acc := acc[:len(in)]
			w := int64(wk)
			for i, v := range in {
				acc[i] += w * v
			}
		}
		d := dst.Pix[y*dst.Stride : y*dst.Stride+4*tw]
		for x := 0; x < tw; x++ {
			sr, sb := lanes(acc[2*x])
			sg, sa := lanes(acc[2*x+1])
			a := clampShift(sa+half, shift)
			o := d[4*x : 4*x+4 : 4*x+4]
			switch a {
			case 0:
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
			case 255:
				o[0], o[1], o[2], o[3] = uint8(clampShift(sr+half, shift)), uint8(clampShift(sg+half, shift)), uint8(clampShift(sb+half, shift)), 255
			default:
				// Ringing may push a premultiplied colour above its alpha.
				o[0] = uint8(min(clampShift(sr+half, shift), a) * 255 / a)
				o[1] = uint8(min(clampShift(sg+half, shift), a) * 255 / a)
				o[2] = uint8(min(clampShift(sb+half, shift), a) * 255 / a)
				o[3] = uint8(a)
			}
		}
	}
	return dst
}

// pack puts two values that fit 32 bits signed into one int64, lo + hi·2³².
func pack(lo, hi int64) int64 { return lo + hi<<32 }

// lanes splits a sum of packed values into its two sums. Each must lie
// within 32 bits signed: in the horizontal pass a sum is at most 255 times
// the filter's Σ|w| (about 1.5·2¹⁴ at worst, for scales near 1); in the
// vertical pass at most that, shifted down to midBits, times Σ|w| again:
// 255·1.5·2⁷·1.5·2¹⁴ ≈ 1.2·10⁹ < 2³¹. With 8 bits for midBits it was not
// (TestResampleLaneHeadroom).
func lanes(v int64) (lo, hi int64) {
	lo = int64(int32(v))
	return lo, (v - lo) >> 32
}

func clampShift(v int64, shift int) int64 {
	v >>= shift
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return v
}

func alphaAllOpaque(pix []uint8, stride int, r image.Rectangle) bool {
	w := 4 * r.Dx()
	for y := 0; y < r.Dy(); y++ {
		row := pix[y*stride : y*stride+w]
		for i := 3; i < len(row); i += 4 {
			if row[i] != 0xFF {
				return false
			}
		}
	}
	return true
}
