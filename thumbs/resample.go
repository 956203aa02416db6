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
	midBits    = 8
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
func resample(src image.Image, tw, th int, f filter) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	xt, yt := makeTaps(tw, sw, f), makeTaps(th, sh, f)

	// Only the source rows some output row uses are read.
	rowLo, rowHi := yt.start[0], min(yt.start[th-1]+yt.n, sh)
	mid := make([]int32, (rowHi-rowLo)*tw*4)
	read := rowReader(src)
	row := make([]uint8, 4*sw)
	quads := unsafeQuads(row)
	// Most thumbnails are opaque; their alpha needs no filtering.
	opaqueSrc := isOpaque(src)
	const opaqueMid = 255 << midBits
	for y := rowLo; y < rowHi; y++ {
		read(b.Min.Y+y, row)
		out := mid[(y-rowLo)*tw*4 : (y-rowLo+1)*tw*4]
		n := xt.n
		for x := 0; x < tw; x++ {
			s := quads[xt.start[x] : xt.start[x]+n]
			w := xt.w[x*n : x*n+n]
			w = w[:len(s)] // lets the compiler drop the bounds check on w[k]
			var r, g, bl, a int32
			if opaqueSrc {
				for k, p := range s {
					wk := w[k]
					r += wk * int32(p[0])
					g += wk * int32(p[1])
					bl += wk * int32(p[2])
				}
				a = opaqueMid << (weightBits - midBits)
			} else {
				for k, p := range s {
					wk := w[k]
					r += wk * int32(p[0])
					g += wk * int32(p[1])
					bl += wk * int32(p[2])
					a += wk * int32(p[3])
				}
			}
			const sh = weightBits - midBits
			o := out[4*x : 4*x+4 : 4*x+4]
			o[0], o[1], o[2], o[3] = r>>sh, g>>sh, bl>>sh, a>>sh
		}
	}

	dst := image.NewNRGBA(image.Rect(0, 0, tw, th))
	acc := make([]int64, tw*4)
	const shift = weightBits + midBits
	const half = 1 << (shift - 1)
	for y := 0; y < th; y++ {
		clear(acc)
		n := yt.n
		for k, wk := range yt.w[y*n : y*n+n] {
			if wk == 0 {
				continue
			}
			sy := yt.start[y] + k - rowLo
			in := mid[sy*tw*4 : (sy+1)*tw*4]
			acc := acc[:len(in)]
			w := int64(wk)
			for i, v := range in {
				acc[i] += w * int64(v)
			}
		}
		d := dst.Pix[y*dst.Stride : y*dst.Stride+4*tw]
		for x := 0; x < tw; x++ {
			s := acc[4*x : 4*x+4 : 4*x+4]
			a := clampShift(s[3]+half, shift)
			o := d[4*x : 4*x+4 : 4*x+4]
			switch a {
			case 0:
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
			case 255:
				o[0], o[1], o[2], o[3] = uint8(clampShift(s[0]+half, shift)), uint8(clampShift(s[1]+half, shift)), uint8(clampShift(s[2]+half, shift)), 255
			default:
				// Ringing may push a premultiplied colour above its alpha.
				o[0] = uint8(min(clampShift(s[0]+half, shift), a) * 255 / a)
				o[1] = uint8(min(clampShift(s[1]+half, shift), a) * 255 / a)
				o[2] = uint8(min(clampShift(s[2]+half, shift), a) * 255 / a)
				o[3] = uint8(a)
			}
		}
	}
	return dst
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

// isOpaque reports, cheaply, whether every pixel of src is opaque: by type
// where the type says so, by a scan of the alpha bytes otherwise (a
// fraction of the cost of filtering them).
func isOpaque(src image.Image) bool {
	switch m := src.(type) {
	case *image.YCbCr, *image.Gray, *image.CMYK:
		return true
	case *vp8Image:
		return m.a == nil
	case *image.NRGBA:
		return alphaAllOpaque(m.Pix, m.Stride, m.Rect)
	case *image.RGBA:
		return alphaAllOpaque(m.Pix, m.Stride, m.Rect)
	case *image.Paletted:
		for _, c := range m.Palette {
			if _, _, _, a := c.RGBA(); a != 0xFFFF {
				return false
			}
		}
		return true
	}
	return false
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
