package s3store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"lashview/store"
)

// headMax is the most of an object's first bytes the head cache keeps: a
// sidecar whole (lash's are a few hundred bytes), or what judging a blob
// reads of its start (its type and pixel size: the first 512 bytes for
// most images). A JPEG whose EXIF block comes before its size needs more;
// past headMax it is not cached and is fetched again at each listing.
const headMax = 16 << 10

// headFileMax is the most the cache file of one store grows to (about
// 100,000 images' heads); past it, the heads already kept are still
// served and no more are added.
const headFileMax = 96 << 20

// headCache keeps, on disk, the first bytes lashview read of each object of
// one store, under the object's key and ETag: an object whose listing
// shows the same ETag is not fetched again to be judged. Blobs never change
// (their key is their content's hash) and a rewritten sidecar has a new
// ETag, so a cached head is never stale. It is one append-only file; a
// later entry of a key replaces an earlier one, and the file is rewritten
// with the live entries when most of it is stale.
type headCache struct {
	path string

	mu     sync.Mutex
	loaded bool
	heads  map[string]head // by key
	stale  int             // entries in the file that a later one replaced
	f      *os.File        // open for appending, nil until the first add
	broken error           // the file cannot be written: the cache only reads
	size   int64           // the file's length
}

// head is what the cache holds of one object.
type head struct {
	etag string
	data []byte
	// whole: data is the whole object (the reader met its end).
	whole bool
}

// HeadCacheDir is where the head caches of every bucket store live:
// <user cache folder>/lashview/s3heads.
func HeadCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "lashview", "s3heads"), nil
}

// newHeadCache is the head cache of the store at url (on the server at
// endpoint) in dir.
func newHeadCache(dir, endpoint, url string) *headCache {
	sum := sha256.Sum256([]byte(endpoint + "\n" + url))
	return &headCache{path: filepath.Join(dir, hex.EncodeToString(sum[:12])+".heads")}
}

// The file: a magic line, then entries of
// uvarint(len key) key uvarint(len etag) etag byte(whole) uvarint(len data) data.
const headMagic = "lashview s3 heads 1\n"

// load reads the file once; a missing or damaged file is an empty cache
// (a damaged tail is cut off at the next write).
func (c *headCache) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	c.heads = map[string]head{}
	data, err := os.ReadFile(c.path)
	if err != nil || !bytes.HasPrefix(data, []byte(headMagic)) {
		return
	}
	r := bytes.NewReader(data[len(headMagic):])
	field := func() ([]byte, bool) {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > uint64(r.Len()) {
			return nil, false
		}
		b := make([]byte, n)
		_, err = io.ReadFull(r, b)
		return b, err == nil
	}
	for r.Len() > 0 {
		key, ok1 := field()
		etag, ok2 := field()
		whole, err := r.ReadByte()
		body, ok3 := field()
		if !ok1 || !ok2 || err != nil || !ok3 {
			break
		}
		if _, had := c.heads[string(key)]; had {
			c.stale++
		}
		c.heads[string(key)] = head{etag: string(etag), data: body, whole: whole == 1}
	}
}

// get is the cached head of key with this etag.
func (c *headCache) get(key, etag string) (head, bool) {
	if etag == "" {
		return head{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	h, ok := c.heads[key]
	return h, ok && h.etag == etag
}

// add records a head. Failing to write the file is not an error of the
// store: the cache then only serves what it has.
func (c *headCache) add(key string, h head) {
	if h.etag == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	if old, had := c.heads[key]; had {
		if old.etag == h.etag && len(old.data) >= len(h.data) {
			return
		}
		c.stale++
	}
	c.heads[key] = h
	if c.broken != nil {
		return
	}
	if c.f == nil {
		if err := c.open(); err != nil {
			c.broken = err
			return
		}
	}
	var buf bytes.Buffer
	put := func(b []byte) {
		buf.Write(binary.AppendUvarint(nil, uint64(len(b))))
		buf.Write(b)
	}
	put([]byte(key))
	put([]byte(h.etag))
	if h.whole {
		buf.WriteByte(1)
	} else {
		buf.WriteByte(0)
	}
	put(h.data)
	if c.size+int64(buf.Len()) > headFileMax {
		c.broken = fmt.Errorf("the head cache %s is full (%d bytes)", c.path, c.size)
		return
	}
	n, err := c.f.Write(buf.Bytes())
	c.size += int64(n)
	if err != nil {
		c.broken = err
	}
}

// open opens the file for appending, rewriting it with the live entries
// first when it is damaged or mostly stale.
func (c *headCache) open() error {
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	if c.stale > 1000 && c.stale > len(c.heads) || !c.validFile() {
		if err := c.rewrite(); err != nil {
			return err
		}
		c.stale = 0
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	c.f, c.size = f, fi.Size()
	return nil
}

// validFile says the file exists and ends after a whole entry.
func (c *headCache) validFile() bool {
	data, err := os.ReadFile(c.path)
	if err != nil || !bytes.HasPrefix(data, []byte(headMagic)) {
		return false
	}
	r := bytes.NewReader(data[len(headMagic):])
	skip := func() bool {
		l, err := binary.ReadUvarint(r)
		if err != nil || l > uint64(r.Len()) {
			return false
		}
		_, err = r.Seek(int64(l), io.SeekCurrent)
		return err == nil
	}
	for r.Len() > 0 {
		key, etag := skip(), skip()
		if !key || !etag {
			return false
		}
		if _, err := r.ReadByte(); err != nil || !skip() {
			return false
		}
	}
	return true
}

// rewrite writes the live entries to a new file and renames it into place.
func (c *headCache) rewrite() error {
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".heads-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	w.WriteString(headMagic)
	put := func(b []byte) {
		w.Write(binary.AppendUvarint(nil, uint64(len(b))))
		w.Write(b)
	}
	for key, h := range c.heads {
		put([]byte(key))
		put([]byte(h.etag))
		if h.whole {
			w.WriteByte(1)
		} else {
			w.WriteByte(0)
		}
		put(h.data)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), c.path)
}

// close closes the file.
func (c *headCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}

// Cached is a bucket's objects with a head cache: what judging an object
// reads of its start (a sidecar whole, a blob's first bytes) is kept on
// disk under the object's key and ETag, so listing a store again fetches
// only the objects that are new or changed since. Everything else is the
// Backend's.
type Cached struct {
	*Backend
	heads *headCache

	mu    sync.Mutex
	known map[string]seen // from the last listing or look
}

// seen is what the last listing or look said of an object.
type seen struct {
	etag string
	size int64
}

// NewCached is b with the head cache kept in dir (HeadCacheDir for the
// user's).
func NewCached(b *Backend, dir string) *Cached {
	return &Cached{Backend: b, heads: newHeadCache(dir, b.client.EndpointURL().String(), b.URL()), known: map[string]seen{}}
}

// BackendOf is the S3 backend of a bucket store, with or without its
// head cache.
func BackendOf(o *store.Objects) (*Backend, bool) {
	switch b := o.Backend().(type) {
	case *Backend:
		return b, true
	case *Cached:
		return b.Backend, true
	}
	return nil, false
}

// note remembers what a listing or look said of an object; forget, that
// it is gone or changed.
func (c *Cached) note(o store.Object) {
	c.mu.Lock()
	if o.ETag == "" {
		delete(c.known, o.Key)
	} else {
		c.known[o.Key] = seen{etag: o.ETag, size: o.Size}
	}
	c.mu.Unlock()
}

func (c *Cached) forget(key string) { c.note(store.Object{Key: key}) }

func (c *Cached) seen(key string) (seen, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.known[key]
	return s, ok
}

// List lists as the Backend does and remembers each object's ETag.
func (c *Cached) List(ctx context.Context, dir string, each func(store.Object) error) error {
	return c.Backend.List(ctx, dir, func(o store.Object) error {
		c.note(o)
		return each(o)
	})
}

// Stat asks as the Backend does and remembers the ETag.
func (c *Cached) Stat(ctx context.Context, key string) (store.Object, error) {
	o, err := c.Backend.Stat(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		c.forget(key)
	} else if err == nil {
		c.note(o)
	}
	return o, err
}

// Open serves a read from the object's start out of the cache when the
// object's ETag, as last listed, has a cached head; a read past the cached
// bytes fetches the rest. Other reads, and reads of objects whose ETag is
// not known, go to the server, and what they read of the object's first
// headMax bytes is cached.
func (c *Cached) Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, store.Object, error) {
	if off != 0 {
		return c.Backend.Open(ctx, key, off, n)
	}
	known, ok := c.seen(key)
	if h, hit := c.heads.get(key, known.etag); ok && hit {
		o := store.Object{Key: key, Size: known.size, ETag: known.etag}
		switch {
		case h.whole:
			data := h.data
			if n >= 0 && int64(len(data)) > n {
				data = data[:n]
			}
			return io.NopCloser(bytes.NewReader(data)), o, nil
		case n >= 0 && int64(len(h.data)) >= n:
			return io.NopCloser(bytes.NewReader(h.data[:n])), o, nil
		case n >= 0:
			return &restReader{ctx: ctx, c: c, key: key, head: bytes.NewReader(h.data), off: int64(len(h.data)), n: n}, o, nil
		}
		// A whole read of an object cached only in part: from the server.
	}
	r, o, err := c.Backend.Open(ctx, key, off, n)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			c.forget(key)
		}
		return nil, o, err
	}
	// A range ends before the object's end unless it reaches its size as
	// last listed (a ranged answer's own size is the range's).
	limited := n >= 0 && (!ok || known.etag != o.ETag || n < known.size)
	return &recorder{r: r, c: c.heads, key: key, etag: o.ETag, limited: limited}, o, nil
}

// recorder keeps what is read of an object's start and caches it on Close.
type recorder struct {
	r       io.ReadCloser
	c       *headCache
	key     string
	etag    string
	limited bool // a range shorter than the object: its end is not the object's
	buf     []byte
	over    bool // more than headMax was read: not cached
	eof     bool
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if !r.over {
		if len(r.buf)+n > headMax {
			r.over, r.buf = true, nil
		} else {
			r.buf = append(r.buf, p[:n]...)
		}
	}
	if err == io.EOF {
		r.eof = true
	}
	return n, err
}

func (r *recorder) Close() error {
	err := r.r.Close()
	if !r.over && (len(r.buf) > 0 || r.eof && !r.limited) {
		r.c.add(r.key, head{etag: r.etag, data: r.buf, whole: r.eof && !r.limited})
	}
	return err
}

// restReader serves a cached head, then fetches the rest of the range from
// the server.
type restReader struct {
	ctx  context.Context
	c    *Cached
	key  string
	head *bytes.Reader
	off  int64 // where the rest starts
	n    int64 // the range's length (< 0: to the end)
	rest io.ReadCloser
}

func (r *restReader) Read(p []byte) (int, error) {
	if r.head.Len() > 0 {
		return r.head.Read(p)
	}
	if r.rest == nil {
		n := int64(-1)
		if r.n >= 0 {
			n = r.n - r.off
		}
		rest, _, err := r.c.Backend.Open(r.ctx, r.key, r.off, n)
		if err != nil {
			return 0, fmt.Errorf("read %s past its cached start: %w", r.c.Where(r.key), err)
		}
		r.rest = rest
	}
	return r.rest.Read(p)
}

func (r *restReader) Close() error {
	if r.rest != nil {
		return r.rest.Close()
	}
	return nil
}

// Put writes as the Backend does and remembers the new ETag.
func (c *Cached) Put(ctx context.Context, key string, rd io.Reader, size int64) (store.Object, error) {
	c.forget(key)
	o, err := c.Backend.Put(ctx, key, rd, size)
	if err == nil {
		c.note(o)
	}
	return o, err
}

// Delete deletes as the Backend does and forgets the ETag.
func (c *Cached) Delete(ctx context.Context, key string) error {
	c.forget(key)
	return c.Backend.Delete(ctx, key)
}

// Copy copies as the Backend does; the copy's ETag is asked for when next
// listed.
func (c *Cached) Copy(ctx context.Context, src, dst string) error {
	c.forget(dst)
	return c.Backend.Copy(ctx, src, dst)
}

// Touch refreshes the object's time as the Backend does; its ETag is
// asked for when next listed.
func (c *Cached) Touch(ctx context.Context, key string) error {
	c.forget(key)
	return c.Backend.Touch(ctx, key)
}

// Close closes the cache's file.
func (c *Cached) Close() error { return c.heads.close() }

var (
	_ store.Backend = (*Cached)(nil)
	_ store.Uploads = (*Cached)(nil)
)
