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
// at most about twice the target size, where Lanczos costs little and keeps
// text in screenshots crisp.
var resampleFilter = imaging.Lanczos

// resizeTo scales src to exactly tw×th. When src is more than twice the
// target in both directions, an integer box average first brings it to
// between two and four times the target: on a 12-megapixel photo that is
// several times cheaper than resampling from full size and looks the same.
func resizeTo(src image.Image, tw, th int) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw == tw && sh == th {
		return toNRGBA(src)
	}
	if k := min(sw/(2*tw), sh/(2*th)); k >= 2 {
		src = boxShrink(src, k)
		if b := src.Bounds(); b.Dx() == tw && b.Dy() == th {
			return src.(*image.NRGBA)
		}
	}
	return imaging.Resize(src, tw, th, resampleFilter)
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
// may be partial). Sums are taken over premultiplied colour so transparent
// pixels do not bleed their hidden colour into the result. YCbCr sources
// are averaged in YCbCr and converted once per output pixel.
func boxShrink(src image.Image, k int) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	ow, oh := (sw+k-1)/k, (sh+k-1)/k
	dst := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	if y, ok := src.(*image.YCbCr); ok {
		boxShrinkYCbCr(y, k, dst)
		return dst
	}
	read := rowReader(src)
	row := make([]uint8, 4*sw)
	sums := make([]uint32, 4*ow)
	for oy := 0; oy < oh; oy++ {
		clear(sums)
		y0, y1 := oy*k, min((oy+1)*k, sh)
		for y := y0; y < y1; y++ {
			read(b.Min.Y+y, row)
			for ox := 0; ox < ow; ox++ {
				s := sums[4*ox : 4*ox+4 : 4*ox+4]
				x1 := min((ox+1)*k, sw)
				for x := ox * k; x < x1; x++ {
					p := row[4*x : 4*x+4 : 4*x+4]
					s[0] += uint32(p[0])
					s[1] += uint32(p[1])
					s[2] += uint32(p[2])
					s[3] += uint32(p[3])
				}
			}
		}
		d := dst.Pix[oy*dst.Stride:]
		for ox := 0; ox < ow; ox++ {
			n := uint32((min((ox+1)*k, sw) - ox*k) * (y1 - y0))
			s := sums[4*ox : 4*ox+4 : 4*ox+4]
			a := (s[3] + n/2) / n
			o := d[4*ox : 4*ox+4 : 4*ox+4]
			switch a {
			case 0:
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
			case 255:
				o[0], o[1], o[2], o[3] = uint8((s[0]+n/2)/n), uint8((s[1]+n/2)/n), uint8((s[2]+n/2)/n), 255
			default:
				// Unpremultiply: colour sum / alpha sum, both over n pixels.
				o[0] = uint8(min(255, (s[0]*255+s[3]/2)/s[3]))
				o[1] = uint8(min(255, (s[1]*255+s[3]/2)/s[3]))
				o[2] = uint8(min(255, (s[2]*255+s[3]/2)/s[3]))
				o[3] = uint8(a)
			}
		}
	}
	return dst
}

// boxShrinkYCbCr averages Y, Cb and Cr over each k×k block, taking each
// chroma sample once per luma pixel it covers, then converts to RGB.
func boxShrinkYCbCr(src *image.YCbCr, k int, dst *image.NRGBA) {
	b := src.Rect
	sw, sh := b.Dx(), b.Dy()
	ow, oh := dst.Rect.Dx(), dst.Rect.Dy()
	xs, ys := chromaShift(src.SubsampleRatio)
	sums := make([]uint32, 3*ow)
	for oy := 0; oy < oh; oy++ {
		clear(sums)
		y0, y1 := oy*k, min((oy+1)*k, sh)
		for y := y0; y < y1; y++ {
			yrow := src.Y[(y)*src.YStride:]
			cy := (b.Min.Y+y)>>ys - b.Min.Y>>ys
			cbrow := src.Cb[cy*src.CStride:]
			crrow := src.Cr[cy*src.CStride:]
			cx0 := b.Min.X >> xs
			for ox := 0; ox < ow; ox++ {
				s := sums[3*ox : 3*ox+3 : 3*ox+3]
				x1 := min((ox+1)*k, sw)
				var sy, sb, sr uint32
				for x := ox * k; x < x1; x++ {
					cx := (b.Min.X+x)>>xs - cx0
					sy += uint32(yrow[x])
					sb += uint32(cbrow[cx])
					sr += uint32(crrow[cx])
				}
				s[0] += sy
				s[1] += sb
				s[2] += sr
			}
		}
		d := dst.Pix[oy*dst.Stride:]
		for ox := 0; ox < ow; ox++ {
			n := uint32((min((ox+1)*k, sw) - ox*k) * (y1 - y0))
			s := sums[3*ox : 3*ox+3 : 3*ox+3]
			r, g, bl := color.YCbCrToRGB(uint8((s[0]+n/2)/n), uint8((s[1]+n/2)/n), uint8((s[2]+n/2)/n))
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
		var lut [256][4]uint8
		for i, c := range m.Palette {
			r, g, bl, a := c.RGBA()
			lut[i] = [4]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}
		}
		return func(y int, dst []uint8) {
			i := m.PixOffset(b.Min.X, y)
			for x, v := range m.Pix[i : i+w] {
				copy(dst[4*x:4*x+4], lut[v][:])
			}
		}
	}
	// Everything else (16-bit PNGs, CMYK JPEGs, NYCbCrA WebPs) converts a
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
