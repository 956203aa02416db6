package thumbs

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"lashview/store"
)

// diskCache lays thumbnails out as DIR/<px>/<id[:2]>/<id>.<ext>, ext jpg
// (opaque), png (with alpha) or fail (a remembered failure and its reason).
//
// Files are written to a temp name and renamed into place, so a reader
// never sees half a thumbnail. They are not fsynced: a thumbnail can always
// be made again, and one lost or emptied by a crash fails to decode and is
// then simply remade. Syncing every file would cost more than making it.
type diskCache struct {
	dir string
}

// failHeader starts every .fail file. The number is the decoder generation:
// when lashview learns to read more images it is raised, and older
// failures are tried again instead of being believed forever. 2: bytes
// that are no image are a NotImage, never written here; generation 1 wrote
// them as failures, which would hide a PDF's type tile behind a broken mark.
const failHeader = "lashview-thumbs-fail 2\n"

// touchAfter is how stale a file's mtime may get before a hit refreshes
// it. The mtime orders the size-cap pruning (least recently used out);
// refreshing it on every hit would cost a syscall per cell per scroll.
const touchAfter = time.Hour

// tempMaxAge is how old a temp file must be before pruning removes it: a
// younger one may belong to a thumbnail another process is writing now.
const tempMaxAge = time.Hour

var cacheExts = []string{".jpg", ".png", ".fail"}

func (d diskCache) base(k key) string {
	return filepath.Join(d.dir, strconv.Itoa(k.px), k.id.Prefix(), string(k.id))
}

// load returns the cached thumbnail or remembered failure for k. found is
// false when there is neither (or what is there is unreadable and has been
// removed so it is made again).
func (d diskCache) load(k key) (img image.Image, fail *Failure, found bool, err error) {
	base := d.base(k)
	for _, ext := range cacheExts {
		p := base + ext
		data, err := readCached(p, k.px)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, false, err
		}
		if ext == ".fail" {
			reason, ok := strings.CutPrefix(string(data), failHeader)
			if !ok {
				return nil, nil, false, nil // an older generation: try again
			}
			return nil, &Failure{ID: k.id, Reason: strings.TrimSpace(reason)}, true, nil
		}
		img, derr := decodeCached(data, ext, k.px)
		if derr != nil {
			// Torn by a crash or edited by hand: remove and remake. The
			// error is not the caller's problem, the remade file fixes it.
			os.Remove(p)
			return nil, nil, false, nil
		}
		return img, nil, true, nil
	}
	return nil, nil, false, nil
}

// readCached reads a cached file, refreshing its mtime when stale.
func readCached(p string, px int) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("open cached thumbnail: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat cached thumbnail: %w", err)
	}
	// A thumbnail of px×px can never be larger than its raw pixels plus
	// headers; a bigger file is not ours to decode.
	limit := int64(px)*int64(px)*4 + 64<<10
	if fi.Size() > limit {
		return nil, nil
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("read cached thumbnail %s: %w", p, err)
	}
	if now := time.Now(); now.Sub(fi.ModTime()) > touchAfter {
		// Best effort: on a read-only cache the hit still counts, only
		// the eviction order stays older.
		_ = os.Chtimes(p, now, now)
	}
	return data, nil
}

// decodeCached decodes a cached thumbnail and checks it fits the box.
func decodeCached(data []byte, ext string, px int) (image.Image, error) {
	var img image.Image
	var err error
	if ext == ".jpg" {
		// The size from the frame header, read in place: image/jpeg's
		// DecodeConfig allocates a whole decoder (some 30 KB) for it, and
		// scrolling a large store reads back a thousand thumbnails a second.
		info := scanJPEG(data)
		if info.width > px || info.height > px || info.width <= 0 || info.height <= 0 {
			return nil, fmt.Errorf("cached %dx%d does not fit %d", info.width, info.height, px)
		}
		if haveLibjpeg && info.components == 3 {
			img, err = libjpegDecode(data, info.width, info.height, 1, false)
		}
		if img == nil {
			img, err = jpeg.Decode(bytes.NewReader(data))
		}
	} else {
		var cfg image.Config
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		if cfg.Width > px || cfg.Height > px || cfg.Width <= 0 || cfg.Height <= 0 {
			return nil, fmt.Errorf("cached %dx%d does not fit %d", cfg.Width, cfg.Height, px)
		}
		img, err = png.Decode(bytes.NewReader(data))
	}
	return img, err
}

// exists reports, without decoding, whether k has a thumbnail or a
// current-generation failure on disk.
func (d diskCache) exists(k key) (thumb, failed bool, err error) {
	base := d.base(k)
	for _, ext := range cacheExts[:2] {
		if _, err := os.Stat(base + ext); err == nil {
			return true, false, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return false, false, fmt.Errorf("stat cached thumbnail: %w", err)
		}
	}
	data, err := os.ReadFile(base + ".fail")
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("read cached failure: %w", err)
	}
	return false, strings.HasPrefix(string(data), failHeader), nil
}

// encoded is a thumbnail ready for disk.
type encoded struct {
	ext  string
	data []byte
}

// encode picks JPEG q85 for opaque thumbnails (a tenth of PNG's size on
// photos) and PNG where alpha matters.
func encode(img *image.NRGBA) (encoded, error) {
	var buf bytes.Buffer
	if opaque(img) {
		if haveLibjpeg {
			data, err := libjpegEncode(img, 85)
			if err == nil {
				return encoded{".jpg", data}, nil
			}
			// Go's encoder below makes an equivalent file, only slower.
		}
		// An opaque NRGBA has the same bytes as an RGBA; image/jpeg has a
		// fast path for *image.RGBA and a slow generic one for NRGBA.
		rgba := &image.RGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
		if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: 85}); err != nil {
			return encoded{}, fmt.Errorf("encode jpeg thumbnail: %w", err)
		}
		return encoded{".jpg", buf.Bytes()}, nil
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return encoded{}, fmt.Errorf("encode png thumbnail: %w", err)
	}
	return encoded{".png", buf.Bytes()}, nil
}

func opaque(img *image.NRGBA) bool { return alphaAllOpaque(img.Pix, img.Stride, img.Rect) }

// store writes a thumbnail and removes what it replaces.
func (d diskCache) store(k key, e encoded) error {
	base := d.base(k)
	if err := writeAtomic(base+e.ext, e.data); err != nil {
		return err
	}
	d.removeOthers(base, e.ext)
	return nil
}

// storeFail remembers why k cannot be made.
func (d diskCache) storeFail(k key, reason string) error {
	base := d.base(k)
	if err := writeAtomic(base+".fail", []byte(failHeader+reason+"\n")); err != nil {
		return err
	}
	d.removeOthers(base, ".fail")
	return nil
}

// removeOthers deletes the other kinds of file for the same thumbnail, so
// lookups (which try jpg, png, fail in order) cannot find a stale one.
func (d diskCache) removeOthers(base, keep string) {
	for _, ext := range cacheExts {
		if ext != keep {
			// Absent is the usual case; anything else will show again
			// when that file is read.
			_ = os.Remove(base + ext)
		}
	}
}

// createTemp is os.CreateTemp, a variable so tests can inject failures.
var createTemp = os.CreateTemp

// writeAtomic writes data to p through a temp file in the same folder and
// a rename, creating the folder on first use.
func writeAtomic(p string, data []byte) (err error) {
	dir, name := filepath.Split(p)
	f, err := createTemp(dir, "."+name+".*.tmp")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create thumbnail folder: %w", err)
		}
		f, err = createTemp(dir, "."+name+".*.tmp")
	}
	if err != nil {
		return fmt.Errorf("create thumbnail temp file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write thumbnail %s: %w", f.Name(), err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close thumbnail %s: %w", f.Name(), err)
	}
	if err = os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("rename thumbnail into place: %w", err)
	}
	return nil
}

// cachedFile is one file found by walk.
type cachedFile struct {
	path  string
	id    store.ID // empty for temp files and strays
	temp  bool
	size  int64
	mtime time.Time
}

// walk lists every file under DIR/<px>/<xx>/. Other things in DIR are left
// alone: they are not lashview's.
func (d diskCache) walk(visit func(cachedFile)) error {
	pxDirs, err := os.ReadDir(d.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list thumbnail cache: %w", err)
	}
	for _, pd := range pxDirs {
		if _, err := strconv.Atoi(pd.Name()); err != nil || !pd.IsDir() {
			continue
		}
		pxPath := filepath.Join(d.dir, pd.Name())
		prefixes, err := os.ReadDir(pxPath)
		if err != nil {
			return fmt.Errorf("list thumbnail cache: %w", err)
		}
		for _, pp := range prefixes {
			if !pp.IsDir() || len(pp.Name()) != 2 {
				continue
			}
			ppPath := filepath.Join(pxPath, pp.Name())
			files, err := os.ReadDir(ppPath)
			if err != nil {
				return fmt.Errorf("list thumbnail cache: %w", err)
			}
			for _, f := range files {
				if !f.Type().IsRegular() {
					continue
				}
				fi, err := f.Info()
				if err != nil {
					continue // removed meanwhile
				}
				cf := cachedFile{path: filepath.Join(ppPath, f.Name()), size: fi.Size(), mtime: fi.ModTime()}
				name := f.Name()
				if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp") {
					cf.temp = true
				} else if ext := filepath.Ext(name); ext == ".jpg" || ext == ".png" || ext == ".fail" {
					if id, err := store.ParseID(strings.TrimSuffix(name, ext)); err == nil && id.Prefix() == pp.Name() {
						cf.id = id
					}
				}
				visit(cf)
			}
		}
	}
	return nil
}

// TrimStats reports what Trim did.
type TrimStats struct {
	Files        int   // thumbnails and failures on disk before trimming
	Bytes        int64 // their total size before trimming
	Removed      int   // files removed (least recently used, and stale temps)
	RemovedBytes int64
}

// trim removes stale temp files and, while the cache is over maxBytes,
// the least recently used thumbnails until it is at 90% of it (so the
// next few writes do not trigger another walk).
func (d diskCache) trim(maxBytes int64) (TrimStats, error) {
	var st TrimStats
	var files []cachedFile
	now := time.Now()
	var firstErr error
	err := d.walk(func(cf cachedFile) {
		if cf.temp {
			if now.Sub(cf.mtime) > tempMaxAge {
				if err := os.Remove(cf.path); err == nil {
					st.Removed++
					st.RemovedBytes += cf.size
				}
			}
			return
		}
		st.Files++
		st.Bytes += cf.size
		files = append(files, cf)
	})
	if err != nil {
		return st, err
	}
	if st.Bytes <= maxBytes {
		return st, nil
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mtime.Before(files[j].mtime) })
	total := st.Bytes
	for _, cf := range files {
		if total <= maxBytes/10*9 {
			break
		}
		if err := os.Remove(cf.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			if firstErr == nil {
				firstErr = fmt.Errorf("trim thumbnail cache: %w", err)
			}
			continue
		}
		total -= cf.size
		st.Removed++
		st.RemovedBytes += cf.size
	}
	return st, firstErr
}
