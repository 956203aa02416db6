//go:build cgo && !lashview_purego

package thumbs

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>

// libwebp is loaded at run time, not linked: Debian ships its shared
// library with every desktop (vips, browsers and image viewers depend on
// it) but its headers only in libwebp-dev, which a lashview build must not
// need. Only the simple decoding API is used; its signatures have been
// stable since libwebp 0.1 (decode.h).
typedef int (*lv_getinfo_fn)(const uint8_t *, size_t, int *, int *);
typedef uint8_t *(*lv_rgba_into_fn)(const uint8_t *, size_t, uint8_t *, size_t, int);
typedef uint8_t *(*lv_yuv_into_fn)(const uint8_t *, size_t, uint8_t *, size_t, int,
	uint8_t *, size_t, int, uint8_t *, size_t, int);

// The advanced API (scaled decoding) takes a WebPDecoderConfig. These
// declarations copy its layout from decode.h of libwebp 1.x (decoder ABI
// 0x0209); the library accepts any 0x02xx caller, and the pad fields keep
// the layout fixed within that major ABI.
#define LV_WEBP_ABI 0x0209
#define LV_MODE_RGBA 1
typedef struct {
	int width, height, has_alpha, has_animation, format;
	uint32_t pad[5];
} lv_webp_features;
typedef struct {
	uint8_t *y, *u, *v, *a;
	int y_stride, u_stride, v_stride, a_stride;
	size_t y_size, u_size, v_size, a_size;
} lv_webp_yuva;
typedef struct {
	int colorspace;
	int width, height;
	int is_external_memory;
	union {
		struct {
			uint8_t *rgba;
			int stride;
			size_t size;
		} RGBA;
		lv_webp_yuva YUVA;
	} u;
	uint32_t pad[4];
	uint8_t *private_memory;
} lv_webp_buffer;
typedef struct {
	int bypass_filtering, no_fancy_upsampling, use_cropping;
	int crop_left, crop_top, crop_width, crop_height;
	int use_scaling, scaled_width, scaled_height;
	int use_threads, dithering_strength, flip, alpha_dithering_strength;
	uint32_t pad[5];
} lv_webp_options;
typedef struct {
	lv_webp_features input;
	lv_webp_buffer output;
	lv_webp_options options;
} lv_webp_config;
typedef int (*lv_init_config_fn)(lv_webp_config *, int);
typedef int (*lv_decode_fn)(const uint8_t *, size_t, lv_webp_config *);

static lv_init_config_fn lv_webp_init_config;
static lv_decode_fn lv_webp_decode;
static lv_getinfo_fn lv_webp_getinfo;
static lv_rgba_into_fn lv_webp_rgba_into;
static lv_yuv_into_fn lv_webp_yuv_into;

static int lv_webp_load(void) {
	static const char *names[] = {"libwebp.so.7", "libwebp.so.6", "libwebp.so", NULL};
	for (int i = 0; names[i] != NULL; i++) {
		void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
		if (h == NULL) {
			continue;
		}
		lv_webp_getinfo = (lv_getinfo_fn)dlsym(h, "WebPGetInfo");
		lv_webp_rgba_into = (lv_rgba_into_fn)dlsym(h, "WebPDecodeRGBAInto");
		lv_webp_yuv_into = (lv_yuv_into_fn)dlsym(h, "WebPDecodeYUVInto");
		lv_webp_init_config = (lv_init_config_fn)dlsym(h, "WebPInitDecoderConfigInternal");
		lv_webp_decode = (lv_decode_fn)dlsym(h, "WebPDecode");
		if (lv_webp_getinfo != NULL && lv_webp_rgba_into != NULL && lv_webp_yuv_into != NULL &&
				lv_webp_init_config != NULL && lv_webp_decode != NULL) {
			return 1;
		}
		dlclose(h);
	}
	return 0;
}

static int lv_webp_info(const uint8_t *data, size_t len, int *w, int *h) {
	return lv_webp_getinfo(data, len, w, h);
}

static int lv_webp_rgba(const uint8_t *data, size_t len, uint8_t *out, size_t outlen, int stride) {
	return lv_webp_rgba_into(data, len, out, outlen, stride) != NULL;
}

// lv_webp_scaled decodes straight to sw×sh: libwebp's rescaler averages
// the source rows as it decodes them, so the full-size picture never
// exists. Returns 0 on success, else libwebp's status (or -1 when the
// library refuses the ABI).
static int lv_webp_scaled(const uint8_t *data, size_t len, int sw, int sh, uint8_t *out, size_t outlen, int stride) {
	lv_webp_config c;
	if (!lv_webp_init_config(&c, LV_WEBP_ABI)) {
		return -1;
	}
	c.options.use_scaling = 1;
	c.options.scaled_width = sw;
	c.options.scaled_height = sh;
	c.output.colorspace = LV_MODE_RGBA;
	c.output.is_external_memory = 1;
	c.output.u.RGBA.rgba = out;
	c.output.u.RGBA.stride = stride;
	c.output.u.RGBA.size = outlen;
	return lv_webp_decode(data, len, &c);
}

static int lv_webp_yuv(const uint8_t *data, size_t len, uint8_t *y, size_t ylen, int ystride,
		uint8_t *u, uint8_t *v, size_t clen, int cstride) {
	return lv_webp_yuv_into(data, len, y, ylen, ystride, u, clen, cstride, v, clen, cstride) != NULL;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"unsafe"
)

var (
	libwebpOnce sync.Once
	libwebpOK   bool
)

// haveLibwebp reports whether libwebp could be loaded.
func haveLibwebp() bool {
	libwebpOnce.Do(func() { libwebpOK = C.lv_webp_load() == 1 })
	return libwebpOK
}

// libwebpCheck makes sure libwebp is there and reads data as a WebP of
// the w×h the guard read from its header.
func libwebpCheck(data []byte, w, h int) error {
	if !haveLibwebp() {
		return errors.New("libwebp: not installed")
	}
	if len(data) == 0 {
		return errors.New("libwebp: no data")
	}
	var cw, ch C.int
	if C.lv_webp_info((*C.uint8_t)(unsafe.Pointer(&data[0])), C.size_t(len(data)), &cw, &ch) == 0 {
		return errors.New("libwebp: invalid WebP")
	}
	if int(cw) != w || int(ch) != h {
		return fmt.Errorf("%w: webp header says %dx%d, libwebp %dx%d", ErrHeaderLies, w, h, int(cw), int(ch))
	}
	return nil
}

// libwebpDecode decodes a still WebP of w×h, as the guard read it. A lossy
// picture without alpha comes back as its YCbCr planes (no conversion, a
// third of the memory traffic of RGBA; the box shrink converts once per
// output pixel); anything else as non-premultiplied RGBA.
func libwebpDecode(data []byte, w, h int) (image.Image, error) {
	if err := libwebpCheck(data, w, h); err != nil {
		return nil, err
	}
	const failed = "libwebp: decoding failed (damaged or truncated data)"
	if webpOpaqueLossy(data) {
		m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		if C.lv_webp_yuv((*C.uint8_t)(unsafe.Pointer(&data[0])), C.size_t(len(data)),
			(*C.uint8_t)(unsafe.Pointer(&m.Y[0])), C.size_t(len(m.Y)), C.int(m.YStride),
			(*C.uint8_t)(unsafe.Pointer(&m.Cb[0])), (*C.uint8_t)(unsafe.Pointer(&m.Cr[0])),
			C.size_t(len(m.Cb)), C.int(m.CStride)) == 0 {
			return nil, errors.New(failed)
		}
		return &vp8Image{YCbCr: m}, nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if C.lv_webp_rgba((*C.uint8_t)(unsafe.Pointer(&data[0])), C.size_t(len(data)),
		(*C.uint8_t)(unsafe.Pointer(&img.Pix[0])), C.size_t(len(img.Pix)), C.int(img.Stride)) == 0 {
		return nil, errors.New(failed)
	}
	return img, nil
}

// libwebpDecodeScaled decodes a still WebP of w×h straight to sw×sh
// (non-premultiplied RGBA).
func libwebpDecodeScaled(data []byte, w, h, sw, sh int) (*image.NRGBA, error) {
	if err := libwebpCheck(data, w, h); err != nil {
		return nil, err
	}
	img := image.NewNRGBA(image.Rect(0, 0, sw, sh))
	if st := C.lv_webp_scaled((*C.uint8_t)(unsafe.Pointer(&data[0])), C.size_t(len(data)), C.int(sw), C.int(sh),
		(*C.uint8_t)(unsafe.Pointer(&img.Pix[0])), C.size_t(len(img.Pix)), C.int(img.Stride)); st != 0 {
		return nil, fmt.Errorf("libwebp: scaled decoding failed (status %d)", int(st))
	}
	return img, nil
}
