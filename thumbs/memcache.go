package thumbs

import (
	"container/list"
	"image"
	"sync"

	"lashview/store"
)

// key names one thumbnail: an id at a box size.
type key struct {
	id store.ID
	px int
}

// memEntry is a decoded thumbnail, or (img nil) a final answer without
// one: a *Failure or a *NotImage.
type memEntry struct {
	key   key
	img   image.Image
	err   error
	bytes int64
}

// memCache keeps decoded thumbnails, least recently used out, within a
// byte bound counted from the pixel buffers. Fyne keeps no thumbnail memory
// of its own that lashview can bound (fyne#4014), so this is the bound.
type memCache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	order *list.List // front: most recently used
	items map[key]*list.Element
}

func newMemCache(max int64) *memCache {
	return &memCache{max: max, order: list.New(), items: map[key]*list.Element{}}
}

// entryOverhead approximates the map, list and header cost of an entry.
const entryOverhead = 256

// imageBytes is the memory an image's pixel buffers take.
func imageBytes(img image.Image) int64 {
	switch m := img.(type) {
	case *image.NRGBA:
		return int64(cap(m.Pix))
	case *image.RGBA:
		return int64(cap(m.Pix))
	case *image.Gray:
		return int64(cap(m.Pix))
	case *image.YCbCr:
		return int64(cap(m.Y) + cap(m.Cb) + cap(m.Cr))
	case *image.Paletted:
		return int64(cap(m.Pix) + 4*len(m.Palette))
	case nil:
		return 0
	}
	b := img.Bounds()
	return 8 * int64(b.Dx()) * int64(b.Dy())
}

func (m *memCache) get(k key) (memEntry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[k]
	if !ok {
		return memEntry{}, false
	}
	m.order.MoveToFront(el)
	return *el.Value.(*memEntry), true
}

// put stores a thumbnail or a final error (*Failure, *NotImage), evicting the least recently used until it fits. An
// entry larger than the whole bound is not stored.
func (m *memCache) put(k key, img image.Image, final error) {
	e := &memEntry{key: k, img: img, err: final, bytes: imageBytes(img) + entryOverhead}
	if final != nil {
		e.bytes += int64(len(final.Error()))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[k]; ok {
		m.removeLocked(el)
	}
	if e.bytes > m.max {
		return
	}
	for m.used+e.bytes > m.max {
		m.removeLocked(m.order.Back())
	}
	m.items[k] = m.order.PushFront(e)
	m.used += e.bytes
}

func (m *memCache) removeLocked(el *list.Element) {
	e := m.order.Remove(el).(*memEntry)
	delete(m.items, e.key)
	m.used -= e.bytes
}

// forget drops every size of an id.
func (m *memCache) forget(id store.ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, el := range m.items {
		if k.id == id {
			m.removeLocked(el)
		}
	}
}

// size returns the bytes in use and the number of entries.
func (m *memCache) size() (int64, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used, len(m.items)
}
