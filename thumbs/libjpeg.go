//go:build cgo && !lashview_purego

package thumbs

/*
#cgo LDFLAGS: -ljpeg
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
	struct jpeg_error_mgr pub;
	jmp_buf jmp;
	char *msg;      // caller's buffer, JMSG_LENGTH_MAX bytes
	int truncated;  // libjpeg warned that the data ended early
} lv_error;

static void lv_error_exit(j_common_ptr c) {
	lv_error *e = (lv_error *)c->err;
	(*c->err->format_message)(c, e->msg);
	longjmp(e->jmp, 1);
}

// libjpeg's default prints warnings to stderr and goes on; a truncated file
// then decodes with a grey bottom. Go's decoder refuses such a file, so the
// wrapper records the warning and refuses too: both paths agree on what is
// undecodable.
static void lv_emit_message(j_common_ptr c, int level) {
	if (level < 0) {
		lv_error *e = (lv_error *)c->err;
		c->err->num_warnings++;
		if (c->err->msg_code == JWRN_JPEG_EOF) {
			e->truncated = 1;
		}
	}
}

static void lv_output_message(j_common_ptr c) { (void)c; }

// lv_decode decodes data scaled by 1/denom straight into out (RGBA, or one
// byte per pixel when gray). It checks the scaled size against want_w and
// want_h, which the caller computed from the header it already read, so the
// buffer can never be overrun. Everything happens in one call, so libjpeg
// never holds Go memory after returning. Returns 0 on success, 1 on error
// (message in msg), 2 when the data ended early.
static int lv_decode(const unsigned char *data, unsigned long len, int denom, int gray,
		unsigned char *out, int stride, int want_w, int want_h, char *msg) {
	struct jpeg_decompress_struct d;
	lv_error err;
	volatile int created = 0;
	memset(&err, 0, sizeof err);
	d.err = jpeg_std_error(&err.pub);
	err.pub.error_exit = lv_error_exit;
	err.pub.emit_message = lv_emit_message;
	err.pub.output_message = lv_output_message;
	err.msg = msg;
	if (setjmp(err.jmp)) {
		if (created) {
			jpeg_destroy_decompress(&d);
		}
		return 1;
	}
	jpeg_create_decompress(&d);
	created = 1;
	jpeg_mem_src(&d, data, len);
	jpeg_read_header(&d, TRUE);
	d.scale_num = 1;
	d.scale_denom = denom;
	d.out_color_space = gray ? JCS_GRAYSCALE : JCS_EXT_RGBA;
	d.dct_method = JDCT_ISLOW;
	jpeg_start_decompress(&d);
	if ((int)d.output_width != want_w || (int)d.output_height != want_h) {
		snprintf(msg, JMSG_LENGTH_MAX, "libjpeg output %ux%u, expected %dx%d",
			d.output_width, d.output_height, want_w, want_h);
		jpeg_destroy_decompress(&d);
		return 1;
	}
	JSAMPROW rows[16];
	while (d.output_scanline < d.output_height && !err.truncated) {
		int n = d.rec_outbuf_height;
		if (n > 16) {
			n = 16;
		}
		for (int k = 0; k < n; k++) {
			unsigned int y = d.output_scanline + k;
			if (y >= d.output_height) {
				y = d.output_height - 1;
			}
			rows[k] = out + (size_t)y * (size_t)stride;
		}
		jpeg_read_scanlines(&d, rows, n);
	}
	if (!err.truncated) {
		jpeg_finish_decompress(&d);
	}
	jpeg_destroy_decompress(&d);
	return err.truncated ? 2 : 0;
}

// lv_encode compresses RGBX rows (the fourth byte ignored) to a JPEG in
// memory that libjpeg allocates; the caller copies it and frees *out.
// full_chroma keeps chroma at full resolution (4:4:4) instead of libjpeg's
// default 4:2:0.
static int lv_encode(const unsigned char *pix, int w, int h, int stride, int quality, int full_chroma,
		unsigned char **out, unsigned long *outlen, char *msg) {
	struct jpeg_compress_struct c;
	lv_error err;
	volatile int created = 0;
	memset(&err, 0, sizeof err);
	*out = NULL;
	*outlen = 0;
	c.err = jpeg_std_error(&err.pub);
	err.pub.error_exit = lv_error_exit;
	err.pub.emit_message = lv_emit_message;
	err.pub.output_message = lv_output_message;
	err.msg = msg;
	if (setjmp(err.jmp)) {
		if (created) {
			jpeg_destroy_compress(&c);
		}
		free(*out);
		*out = NULL;
		return 1;
	}
	jpeg_create_compress(&c);
	created = 1;
	jpeg_mem_dest(&c, out, outlen);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 4;
	c.in_color_space = JCS_EXT_RGBX;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	if (full_chroma) {
		c.comp_info[0].h_samp_factor = 1;
		c.comp_info[0].v_samp_factor = 1;
	}
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)(pix + (size_t)c.next_scanline * (size_t)stride);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

// haveLibjpeg tells the decoder that scaled JPEG decoding is available.
const haveLibjpeg = true

// errLibjpegTruncated is libjpeg's "premature end of JPEG file".
var errLibjpegTruncated = errors.New("unexpected EOF")

// libjpegDecode decodes a JPEG of w×h (as its header says) scaled by
// 1/denom, denom one of 1, 2, 4, 8. It returns *image.Gray for gray files
// and *image.RGBA otherwise; CMYK files must go to Go's decoder.
func libjpegDecode(data []byte, w, h, denom int, gray bool) (image.Image, error) {
	if len(data) == 0 {
		return nil, errors.New("libjpeg: no data")
	}
	ow, oh := (w+denom-1)/denom, (h+denom-1)/denom
	var pix []byte
	var stride int
	var img image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, ow, oh))
		pix, stride, img = g.Pix, g.Stride, g
	} else {
		m := image.NewRGBA(image.Rect(0, 0, ow, oh))
		pix, stride, img = m.Pix, m.Stride, m
	}
	msg := make([]byte, C.JMSG_LENGTH_MAX)
	g := 0
	if gray {
		g = 1
	}
	rc := C.lv_decode((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), C.int(denom), C.int(g),
		(*C.uchar)(unsafe.Pointer(&pix[0])), C.int(stride), C.int(ow), C.int(oh),
		(*C.char)(unsafe.Pointer(&msg[0])))
	switch rc {
	case 0:
		return img, nil
	case 2:
		return nil, errLibjpegTruncated
	default:
		return nil, fmt.Errorf("libjpeg: %s", C.GoString((*C.char)(unsafe.Pointer(&msg[0]))))
	}
}

// libjpegEncode compresses an opaque NRGBA image (its alpha is ignored) at
// the given quality, chroma subsampled 4:2:0.
func libjpegEncode(img *image.NRGBA, quality int) ([]byte, error) {
	return libjpegEncodeChroma(img, quality, false)
}

// libjpegEncodeChroma is libjpegEncode with a choice of 4:4:4 chroma (the
// benchmark makes camera-like files of both kinds with it).
func libjpegEncodeChroma(img *image.NRGBA, quality int, fullChroma bool) ([]byte, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w == 0 || h == 0 {
		return nil, errors.New("libjpeg: empty image")
	}
	msg := make([]byte, C.JMSG_LENGTH_MAX)
	var out *C.uchar
	var n C.ulong
	pix := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y):]
	fc := 0
	if fullChroma {
		fc = 1
	}
	if C.lv_encode((*C.uchar)(unsafe.Pointer(&pix[0])), C.int(w), C.int(h), C.int(img.Stride), C.int(quality), C.int(fc),
		&out, &n, (*C.char)(unsafe.Pointer(&msg[0]))) != 0 {
		return nil, fmt.Errorf("libjpeg: %s", C.GoString((*C.char)(unsafe.Pointer(&msg[0]))))
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}
