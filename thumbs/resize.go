package thumbs

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/disintegration/imaging"
)

// fitBox returns the size of a w×h image fitted into a px×px box, keeping
// its aspect ratio. Images that already fit keep their size: a thumbnail is
// never larger than its source.
func fitBox(w, h, px int) (int, int) {
	if w <= px && h <= px {
		return w, h
	}
	if w >= h {
		return px, max(1, int(math.Round(float64(h)*float64(px)/float64(w))))
	}
	return max(1, int(math.Round(float64(w)*float64(px)/float64(h)))), px
}

// resampleFilter is the final filter. After the box pre-shrink it works on
// two to four times the target size. Lanczos keeps text in screenshots
// crisp: a Catmull-Rom cubic, a third cheaper, doubled the difference from
// a full-size Lanczos on text-heavy screenshots (0.7/255 to 1.7/255).
var resampleFilter = lanczos3

// resizeTo scales src to exactly tw×th. When src is more than twice the
// target in both directions, an integer box average first brings it to
// between two and four times the target: on a 12-megapixel photo that is
// several times cheaper than resampling from full size and looks the same.
func resizeTo(src image.Image, tw, th int) *image.NRGBA {
	return resizeBoxTo(src, tw, th, 20)
}

// photoBoxFloor lets the box pre-shrink of a JPEG's scaled decode go down
// to 1.4 times the target (resizeTo stops at 2). The decode of a 24 or 48
// megapixel photo at 1/8 is still 3 to 4 times the thumbnail, and a
// Lanczos over that many taps was a twentieth of such a thumbnail's CPU;
// boxing by 2 first halves it. Measured against the Lanczos alone on the
// camera photos of the benchmark: mean difference 0.17/255 (48 MP, to
// 1.95 times) and 0.26/255 (24 MP, to 1.46 times), at most 6/255; boxing
// to 1.3 times made differences of 22/255 at edges, so not below 1.4.
// Photos only: text in screenshots wants the sharper path.
const photoBoxFloor = 14

// resizeBoxTo is resizeTo with the box pre-shrink stopping at floor/10
// times the target.
func resizeBoxTo(src image.Image, tw, th, floor int) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw == tw && sh == th {
		return toNRGBA(src)
	}
	if k := min(10*sw/(floor*tw), 10*sh/(floor*th)); k >= 2 {
		src = boxShrink(src, k)
		if b := src.Bounds(); b.Dx() == tw && b.Dy() == th {
			return src.(*image.NRGBA)
		}
	}
	return resample(src, tw, th, resampleFilter)
}

// toNRGBA returns src as an *image.NRGBA at the origin, copying only when it
// must.
func toNRGBA(src image.Image) *image.NRGBA {
	if n, ok := src.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) {
		return n
	}
	return imaging.Clone(src)
}

// boxShrink averages k×k blocks of src (the last row and column of blocks
// may be partial). Colour is weighted by alpha so transparent pixels do not
// bleed their hidden colour into the result. YCbCr sources are averaged in
// YCbCr and converted once per output pixel.
func boxShrink(src image.Image, k int) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	switch m := src.(type) {
	case *image.YCbCr:
		dst := image.NewNRGBA(image.Rect(0, 0, (sw+k-1)/k, (sh+k-1)/k))
		boxShrinkYCbCr(m, k, dst, color.YCbCrToRGB)
		return dst
	case *vp8Image:
		if m.a == nil {
			dst := image.NewNRGBA(image.Rect(0, 0, (sw+k-1)/k, (sh+k-1)/k))
			boxShrinkYCbCr(m.YCbCr, k, dst, videoYCbCrToRGB)
			return dst
		}
	}
	acc := newBoxAccum(sw, sh, k)
	switch m := src.(type) {
	case *image.NRGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			i := m.PixOffset(b.Min.X, y)
			acc.addNRGBA(m.Pix[i : i+4*sw])
		}
	case *image.RGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			i := m.PixOffset(b.Min.X, y)
			acc.addPremultiplied(m.Pix[i : i+4*sw])
		}
	case *image.Paletted:
		// Through NRGBA, not premultiplied 8-bit colour: weighting by
		// alpha in the sums is exact, and matches the streaming PNG path.
		var lut [256][4]uint8
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = [4]uint8{n.R, n.G, n.B, n.A}
		}
		buf := make([]uint8, 4*sw)
		q := unsafeQuads(buf)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			i := m.PixOffset(b.Min.X, y)
			for x, v := range m.Pix[i : i+sw] {
				q[x] = lut[v]
			}
			acc.addNRGBA(buf)
		}
	default:
		read := rowReader(src)
		buf := make([]uint8, 4*sw)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			read(y, buf)
			acc.addPremultiplied(buf)
		}
	}
	return acc.dst
}

// boxAccum averages k×k blocks of an sw×sh picture whose rows are pushed
// to it in order, top to bottom; a streaming decoder can feed it without
// the full-size picture ever existing.
type boxAccum struct {
	k, sw, sh int
	sums      []uint64 // per output column: colour×alpha sums, alpha sum
	swar      *swarRows
	dst       *image.NRGBA
	y         int // rows added
}

func newBoxAccum(sw, sh, k int) *boxAccum {
	ow, oh := (sw+k-1)/k, (sh+k-1)/k
	return &boxAccum{
		k: k, sw: sw, sh: sh,
		// 64-bit: k×k pixels of 255×255 overflow 32 bits past k=256.
		sums: make([]uint64, 4*ow),
		swar: newSwarRows(k, ow, sw),
		dst:  image.NewNRGBA(image.Rect(0, 0, ow, oh)),
	}
}

// addNRGBA adds the next row, non-premultiplied RGBA. Most rows of most
// pictures are opaque and are summed four channels at a time; a row with
// any transparency is summed with colour weighted by alpha (colour×alpha,
// later divided by the alpha sum), so hidden colour does not bleed.
func (a *boxAccum) addNRGBA(row []uint8) {
	if !a.swar.add(row, a.sums, true) {
		q := unsafeQuads(row)
		k, sw := a.k, a.sw
		for ox := range len(a.sums) / 4 {
			x0, x1 := ox*k, min((ox+1)*k, sw)
			var r, g, bl, al uint64
			for _, p := range q[x0:x1] {
				pa := uint64(p[3])
				r += uint64(p[0]) * pa
				g += uint64(p[1]) * pa
				bl += uint64(p[2]) * pa
				al += pa
			}
			s := a.sums[4*ox : 4*ox+4 : 4*ox+4]
			s[0] += r
			s[1] += g
			s[2] += bl
			s[3] += al
		}
	}
	a.advance()
}

// addPremultiplied adds the next row, premultiplied RGBA.
func (a *boxAccum) addPremultiplied(row []uint8) {
	if !a.swar.add(row, a.sums, false) {
		addRowPremultiplied(unsafeQuads(row), a.k, len(a.sums)/4, a.sums)
	}
	a.advance()
}

// advance counts a row and, at the end of a block of rows (or of the
// picture), writes an output row.
func (a *boxAccum) advance() {
	a.y++
	if a.y%a.k != 0 && a.y != a.sh {
		return
	}
	a.swar.flush(a.sums)
	oy := (a.y - 1) / a.k
	rows := a.y - oy*a.k
	d := a.dst.Pix[oy*a.dst.Stride:]
	// Colour is Σ colour×alpha / Σ alpha and alpha Σ alpha / n. Divisions
	// were most of this loop's cost (four 64-bit ones a pixel at first):
	// now a whole opaque block, the common case, multiplies by a
	// reciprocal computed once per row, and other blocks divide once.
	nFull := uint64(a.k * rows)
	invFull := 1 / float64(255*nFull)
	for ox := range len(a.sums) / 4 {
		n := uint64((min((ox+1)*a.k, a.sw) - ox*a.k) * rows)
		s := a.sums[4*ox : 4*ox+4 : 4*ox+4]
		o := d[4*ox : 4*ox+4 : 4*ox+4]
		if s[3] == 0 {
			o[0], o[1], o[2], o[3] = 0, 0, 0, 0
			continue
		}
		if n == nFull && s[3] == 255*n {
			o[0] = uint8(float64(s[0])*invFull + 0.5)
			o[1] = uint8(float64(s[1])*invFull + 0.5)
			o[2] = uint8(float64(s[2])*invFull + 0.5)
			o[3] = 255
			continue
		}
		inv := 1 / float64(s[3])
		o[0] = uint8(float64(s[0])*inv + 0.5)
		o[1] = uint8(float64(s[1])*inv + 0.5)
		o[2] = uint8(float64(s[2])*inv + 0.5)
		o[3] = uint8(float64(s[3])/float64(n) + 0.5)
	}
	clear(a.sums)
}

// swarMaxK is the largest block for which a swarRows' 16-bit lanes cannot
// overflow within one source row: k pixels of 255 must stay within 65535.
// Up to swarMaxK2 the lanes also hold a whole k×k block.
const (
	swarMaxK  = 257
	swarMaxK2 = 16
)

// swarRows sums RGBA pixels in blocks of k "SIMD within a register": each
// 32-bit pixel splits into red+blue (even bytes) and green+alpha (odd
// bytes), each pair summed in one uint32 as two 16-bit lanes. For small
// blocks the lanes accumulate a whole k×k block before they are widened,
// so the per-block bookkeeping is paid once per output pixel, not once
// per source row.
type swarRows struct {
	k, ow, w int
	rb, ga   []uint32 // per output column, since the last flush
	rows     int      // rows accumulated since the last flush
}

func newSwarRows(k, ow, w int) *swarRows {
	return &swarRows{k: k, ow: ow, w: w, rb: make([]uint32, ow), ga: make([]uint32, ow)}
}

// add sums one row. It returns false, adding nothing, when it cannot run
// (see unsafeWords, or k over swarMaxK) or, with requireOpaque, when any
// pixel is not opaque: the caller then weights that row by alpha instead.
func (sr *swarRows) add(row []uint8, sums []uint64, requireOpaque bool) bool {
	const lanes = 0x00FF00FF
	words, ok := unsafeWords(row)
	if !ok || sr.k > swarMaxK || len(words) != sr.w {
		return false
	}
	if requireOpaque {
		and := uint32(0xFFFFFFFF)
		for _, p := range words {
			and &= p
		}
		if and>>24 != 0xFF {
			return false
		}
	}
	k, rb, ga := sr.k, sr.rb, sr.ga
	full := sr.w / k // blocks with k pixels; a last partial one follows
	switch k {
	case 2:
		for ox := 0; ox < full; ox++ {
			p := words[2*ox : 2*ox+2 : 2*ox+2]
			rb[ox] += p[0]&lanes + p[1]&lanes
			ga[ox] += (p[0]>>8)&lanes + (p[1]>>8)&lanes
		}
	case 3:
		for ox := 0; ox < full; ox++ {
			p := words[3*ox : 3*ox+3 : 3*ox+3]
			rb[ox] += p[0]&lanes + p[1]&lanes + p[2]&lanes
			ga[ox] += (p[0]>>8)&lanes + (p[1]>>8)&lanes + (p[2]>>8)&lanes
		}
	case 4:
		for ox := 0; ox < full; ox++ {
			p := words[4*ox : 4*ox+4 : 4*ox+4]
			rb[ox] += p[0]&lanes + p[1]&lanes + p[2]&lanes + p[3]&lanes
			ga[ox] += (p[0]>>8)&lanes + (p[1]>>8)&lanes + (p[2]>>8)&lanes + (p[3]>>8)&lanes
		}
	default:
		for ox := 0; ox < full; ox++ {
			var a, b uint32
			for _, p := range words[ox*k : ox*k+k] {
				a += p & lanes
				b += (p >> 8) & lanes
			}
			rb[ox] += a
			ga[ox] += b
		}
	}
	if full < sr.ow {
		var a, b uint32
		for _, p := range words[full*k:] {
			a += p & lanes
			b += (p >> 8) & lanes
		}
		rb[full] += a
		ga[full] += b
	}
	sr.rows++
	if k > swarMaxK2 {
		sr.flush(sums)
	}
	return true
}

// flush widens the lanes into sums (colour scaled by 255, alpha) and
// clears them.
func (sr *swarRows) flush(sums []uint64) {
	if sr.rows == 0 {
		return
	}
	for ox := range sr.rb {
		rb, ga := sr.rb[ox], sr.ga[ox]
		s := sums[4*ox : 4*ox+4 : 4*ox+4]
		s[0] += 255 * uint64(rb&0xFFFF)
		s[1] += 255 * uint64(ga&0xFFFF)
		s[2] += 255 * uint64(rb>>16)
		s[3] += uint64(ga >> 16)
	}
	clear(sr.rb)
	clear(sr.ga)
	sr.rows = 0
}

// addRowPremultiplied sums premultiplied pixels where swarRows cannot.
func addRowPremultiplied(q [][4]uint8, k, ow int, sums []uint64) {
	w := len(q)
	for ox := 0; ox < ow; ox++ {
		x0, x1 := ox*k, min((ox+1)*k, w)
		var r, g, bl, a uint64
		for _, p := range q[x0:x1] {
			r += uint64(p[0])
			g += uint64(p[1])
			bl += uint64(p[2])
			a += uint64(p[3])
		}
		s := sums[4*ox : 4*ox+4 : 4*ox+4]
		s[0] += 255 * r
		s[1] += 255 * g
		s[2] += 255 * bl
		s[3] += a
	}
}

// boxShrinkYCbCr averages Y, Cb and Cr over each k×k block, taking each
// chroma sample once per luma pixel it covers, then converts to RGB.
func boxShrinkYCbCr(src *image.YCbCr, k int, dst *image.NRGBA, toRGB func(y, cb, cr uint8) (uint8, uint8, uint8)) {
	b := src.Rect
	sw, sh := b.Dx(), b.Dy()
	ow, oh := dst.Rect.Dx(), dst.Rect.Dy()
	xs, ys := chromaShift(src.SubsampleRatio)
	cx0 := b.Min.X >> xs
	sums := make([]uint64, 3*ow)
	for oy := 0; oy < oh; oy++ {
		clear(sums)
		y0, y1 := oy*k, min((oy+1)*k, sh)
		for y := y0; y < y1; y++ {
			yrow := src.Y[y*src.YStride : y*src.YStride+sw]
			cy := (b.Min.Y+y)>>ys - b.Min.Y>>ys
			cbrow := src.Cb[cy*src.CStride:]
			crrow := src.Cr[cy*src.CStride:]
			for ox := 0; ox < ow; ox++ {
				x0, x1 := ox*k, min((ox+1)*k, sw)
				var sy uint64
				for _, v := range yrow[x0:x1] {
					sy += uint64(v)
				}
				// Chroma samples covering luma x0..x1, each weighted by
				// how many of those luma columns it covers.
				var sb, sr uint64
				c0, c1 := (b.Min.X+x0)>>xs-cx0, (b.Min.X+x1-1)>>xs-cx0
				for c := c0; c <= c1; c++ {
					lo := max(x0, ((c+cx0)<<xs)-b.Min.X)
					hi := min(x1, ((c+cx0+1)<<xs)-b.Min.X)
					w := uint64(hi - lo)
					sb += w * uint64(cbrow[c])
					sr += w * uint64(crrow[c])
				}
				s := sums[3*ox : 3*ox+3 : 3*ox+3]
				s[0] += sy
				s[1] += sb
				s[2] += sr
			}
		}
		d := dst.Pix[oy*dst.Stride:]
		for ox := 0; ox < ow; ox++ {
			inv := 1 / float64((min((ox+1)*k, sw)-ox*k)*(y1-y0))
			s := sums[3*ox : 3*ox+3 : 3*ox+3]
			r, g, bl := toRGB(uint8(float64(s[0])*inv+0.5), uint8(float64(s[1])*inv+0.5), uint8(float64(s[2])*inv+0.5))
			o := d[4*ox : 4*ox+4 : 4*ox+4]
			o[0], o[1], o[2], o[3] = r, g, bl, 255
		}
	}
}

// chromaShift returns how far chroma coordinates are shifted right from
// luma coordinates, horizontally and vertically.
func chromaShift(r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 1, 0
	case image.YCbCrSubsampleRatio420:
		return 1, 1
	case image.YCbCrSubsampleRatio440:
		return 0, 1
	case image.YCbCrSubsampleRatio411:
		return 2, 0
	case image.YCbCrSubsampleRatio410:
		return 2, 1
	}
	return 0, 0
}

// rowReader returns a function that writes row y of src (absolute
// coordinate) into dst as premultiplied RGBA, 4 bytes per pixel.
func rowReader(src image.Image) func(y int, dst []uint8) {
	b := src.Bounds()
	w := b.Dx()
	switch m := src.(type) {
	case *image.RGBA:
		return func(y int, dst []uint8) {
			i := m.PixOffset(b.Min.X, y)
			copy(dst, m.Pix[i:i+4*w])
		}
	case *image.NRGBA:
		return func(y int, dst []uint8) {
			i := m.PixOffset(b.Min.X, y)
			s := m.Pix[i : i+4*w]
			for x := 0; x < 4*w; x += 4 {
				p, d := s[x:x+4:x+4], dst[x:x+4:x+4]
				switch a := uint32(p[3]); a {
				case 255:
					d[0], d[1], d[2], d[3] = p[0], p[1], p[2], 255
				case 0:
					d[0], d[1], d[2], d[3] = 0, 0, 0, 0
				default:
					d[0] = uint8((uint32(p[0])*a + 127) / 255)
					d[1] = uint8((uint32(p[1])*a + 127) / 255)
					d[2] = uint8((uint32(p[2])*a + 127) / 255)
					d[3] = uint8(a)
				}
			}
		}
	case *image.Gray:
		return func(y int, dst []uint8) {
			i := m.PixOffset(b.Min.X, y)
			for x, v := range m.Pix[i : i+w] {
				d := dst[4*x : 4*x+4 : 4*x+4]
				d[0], d[1], d[2], d[3] = v, v, v, 255
			}
		}
	case *image.Paletted:
		// Premultiplied with the same rounding as the NRGBA reader above,
		// so a palette image and its NRGBA twin filter identically.
		var lut [256][4]uint8
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			a := uint32(n.A)
			lut[i] = [4]uint8{uint8((uint32(n.R)*a + 127) / 255), uint8((uint32(n.G)*a + 127) / 255), uint8((uint32(n.B)*a + 127) / 255), n.A}
		}
		return func(y int, dst []uint8) {
			i := m.PixOffset(b.Min.X, y)
			for x, v := range m.Pix[i : i+w] {
				copy(dst[4*x:4*x+4], lut[v][:])
			}
		}
	case *vp8Image:
		xs, ys := chromaShift(m.SubsampleRatio)
		return func(y int, dst []uint8) {
			yi := (y - b.Min.Y) * m.YStride
			ci := ((y)>>ys - b.Min.Y>>ys) * m.CStride
			for x := 0; x < w; x++ {
				cx := (b.Min.X+x)>>xs - b.Min.X>>xs
				r, g, bl := videoYCbCrToRGB(m.Y[yi+x], m.Cb[ci+cx], m.Cr[ci+cx])
				d := dst[4*x : 4*x+4 : 4*x+4]
				if m.a == nil {
					d[0], d[1], d[2], d[3] = r, g, bl, 255
					continue
				}
				a := uint32(m.a[(y-b.Min.Y)*m.aStride+x])
				d[0] = uint8((uint32(r)*a + 127) / 255)
				d[1] = uint8((uint32(g)*a + 127) / 255)
				d[2] = uint8((uint32(bl)*a + 127) / 255)
				d[3] = uint8(a)
			}
		}
	}
	// Everything else (16-bit PNGs, CMYK JPEGs) converts a
	// row at a time through a small scratch image, which uses draw's fast
	// paths where the standard library has them.
	scratch := image.NewRGBA(image.Rect(0, 0, w, 1))
	return func(y int, dst []uint8) {
		draw.Draw(scratch, scratch.Rect, src, image.Pt(b.Min.X, y), draw.Src)
		copy(dst, scratch.Pix)
	}
}

// orient turns a thumbnail upright according to its EXIF orientation.
func orient(img *image.NRGBA, o int) *image.NRGBA {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}

// vp8Image is a lossy WebP as golang.org/x/image/webp decodes it: YCbCr
// 4:2:0 planes (and an optional alpha plane) in the BT.601 video range that
// VP8 uses (Y 16-235). image.YCbCr assumes JPEG's full range and would show
// the picture washed out; this type converts as libwebp does.
type vp8Image struct {
	*image.YCbCr
	a       []uint8 // nil when opaque
	aStride int
}

// ColorModel implements image.Image.
func (m *vp8Image) ColorModel() color.Model { return color.NRGBAModel }

// At implements image.Image.
func (m *vp8Image) At(x, y int) color.Color {
	if !image.Pt(x, y).In(m.Rect) {
		return color.NRGBA{}
	}
	c := m.YCbCrAt(x, y)
	r, g, b := videoYCbCrToRGB(c.Y, c.Cb, c.Cr)
	a := uint8(255)
	if m.a != nil {
		a = m.a[(y-m.Rect.Min.Y)*m.aStride+(x-m.Rect.Min.X)]
	}
	return color.NRGBA{r, g, b, a}
}

// videoYCbCrToRGB converts BT.601 video-range YCbCr to RGB (16.16 fixed
// point, the coefficients libwebp uses).
func videoYCbCrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := (int32(y) - 16) * 76309
	b1, r1 := int32(cb)-128, int32(cr)-128
	return clamp16(yy + 104597*r1), clamp16(yy - 25675*b1 - 53279*r1), clamp16(yy + 132201*b1)
}

func clamp16(v int32) uint8 {
	v = (v + 1<<15) >> 16
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
