package ui

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"lashview/sessions"
	"lashview/store"
	"lashview/store/s3store"

	"github.com/adrg/xdg"
)

// blobOpener is a store that streams a blob without its sidecar, with
// its length (*store.Objects).
type blobOpener interface {
	OpenBlob(ctx context.Context, id store.ID) (io.ReadCloser, int64, error)
}

// openBlobOf streams id's blob of the store v with its length: a folder's
// *os.File (seekable, as the viewer and the thumbnail decoder like), or a
// bucket's object stream.
func openBlobOf(ctx context.Context, v store.Face, id store.ID) (io.ReadCloser, int64, error) {
	if st, ok := store.FolderOf(v); ok {
		file, err := st.OpenBlob(id)
		if err != nil {
			return nil, 0, err
		}
		fi, err := file.Stat()
		if err != nil {
			file.Close()
			return nil, 0, err
		}
		return file, fi.Size(), nil
	}
	if o, ok := v.(blobOpener); ok {
		return o.OpenBlob(ctx, id)
	}
	// Any other store: its Open, which reads the metadata too.
	r, m, err := v.Open(ctx, id)
	return r, int64(m.ByteLen), err
}

// sizedReader is a blob stream that tells its length, so the thumbnail
// decoder can check an image's header against it as it does a file's.
type sizedReader struct {
	io.ReadCloser
	n int64
}

func (r sizedReader) Size() int64 { return r.n }

// openBucket opens the bucket at url in the background (the first request
// may take a while, or time out) and shows it once it answers.
func (b *Browser) openBucket(url string) {
	gen := b.storeGen
	b.storeURL = url
	b.loading, b.loadNote = true, "connecting to "+url+"…"
	flag := b.cfg.Sessions
	go func() {
		obj, warn, err := connectBucket(url, flag)
		b.q.post(func() {
			if gen != b.storeGen {
				obj = nil
				return
			}
			b.loading, b.loadNote = false, ""
			if err != nil {
				b.showWelcome(url, fmt.Sprintf("The bucket %s cannot be opened: %v.", url, err), false)
				return
			}
			b.opened(obj, nil, url, warn)
		})
	}()
	b.showWelcome(url, "Connecting to "+url+"…", false)
}

// bucketConnectTimeout bounds the first request to a bucket's server.
const bucketConnectTimeout = 30 * time.Second

// connectBucket opens the store at url as the sessions at flag describe it
// (else those Locate finds with no store folder to go by); a store whose
// sessions could not be read comes back with the error as a warning.
func connectBucket(url, flag string) (*store.Objects, error, error) {
	opt, warn := sessions.StoreOptions(sessions.LocateForBucket(flag))
	ctx, cancel := context.WithTimeout(context.Background(), bucketConnectTimeout)
	defer cancel()
	obj, err := s3store.Open(ctx, url, opt)
	if err != nil {
		return nil, nil, err
	}
	return obj, warn, nil
}

// listRemote lists a store that has no prefix folders to read one by one
// (a bucket) with its Scan, reporting how far it got every loadBatchEvery
// and everything once it is done. Its findings go to the Health view,
// which scans for itself.
//
// What the bucket held when it was last listed (kept in cacheFile) is
// reported first, so the grid shows at once what it most likely still
// holds; the listing then replaces it. Without one, and when the sort
// order lets the keys' times and sizes tell which come first, the
// bucketFirst that sort first are examined and reported before the whole
// Scan (which reads every sidecar). shown, when not nil, is closed once
// that first screen is drawn: the listing waits for it (at most
// firstScreenWait) so its requests do not compete with the thumbnails'.
func listRemote(ctx context.Context, v store.Face, order sortOrder, cacheFile string, shown <-chan struct{}, report func(loadProgress)) {
	first := false
	if l, ok := loadListing(cacheFile, v.Where()); ok && len(l.Attachments) > 0 {
		report(loadProgress{found: l.Attachments, remembered: l.Taken})
		first = true
	} else if o, ok := v.(*store.Objects); ok {
		if less := hintLess(order); less != nil {
			if top := bucketTop(ctx, o, less); len(top) > 0 {
				report(loadProgress{found: top})
				first = true
			}
		}
	}
	if first {
		waitFirstScreen(ctx, shown)
	}
	taken := time.Now()
	var (
		mu          sync.Mutex
		done, total int
		last        time.Time
	)
	res, err := v.Scan(ctx, store.ScanOptions{Progress: func(d, t int) {
		mu.Lock()
		defer mu.Unlock()
		if d > done {
			done, total = d, t
		}
		if now := time.Now(); now.Sub(last) >= loadBatchEvery {
			last = now
			report(loadProgress{done: done, total: total})
		}
	}})
	if ctx.Err() != nil {
		return // a newer listing or another store replaced this one
	}
	if err != nil {
		report(loadProgress{finished: true, err: fmt.Errorf("cannot list %s: %w", v.Where(), err)})
		return
	}
	// Kept before it is shown: a window closed as soon as it shows the
	// listing has kept it. One that cannot be kept is only slower to show
	// next time.
	_ = saveListing(cacheFile, savedListing{URL: v.Where(), Taken: taken, Attachments: res.Attachments})
	mu.Lock()
	defer mu.Unlock()
	report(loadProgress{found: res.Attachments, done: total, total: total, finished: true})
}

// bucketFirst is how many attachments of a bucket are examined before the
// rest: a few screens (each costs requests, the rest come in one Scan).
var bucketFirst = 120

// bucketTop lists the keys of the bucket store o (one request per 1,000)
// and examines the bucketFirst blobs that sort first by less, as a folder
// listing does with its hints (topHints). A listing that fails here is
// left to the Scan to report.
func bucketTop(ctx context.Context, o *store.Objects, less func(a, b store.Hint) bool) []store.Attachment {
	var hints []store.Hint
	err := o.Backend().List(ctx, "sha256/", func(obj store.Object) error {
		k := store.ParseKey(obj.Key)
		if k.Folder != "" || k.Marker {
			return nil
		}
		if n := store.ParseName(k.Name, k.Prefix); n.Kind == store.NameBlob {
			hints = append(hints, store.Hint{ID: n.ID, Size: obj.Size, Modified: obj.ModTime})
		}
		return nil
	})
	if err != nil || ctx.Err() != nil {
		return nil
	}
	slices.SortFunc(hints, cmpOf(less))
	hints = hints[:min(len(hints), bucketFirst)]
	out := make([]store.Attachment, len(hints))
	keep := make([]bool, len(hints))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range remoteFetches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(hints) && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				a, ok, err := o.Examine(ctx, hints[i].ID)
				out[i], keep[i] = a, ok && err == nil
			}
		}()
	}
	wg.Wait()
	found := out[:0]
	for i, a := range out {
		if keep[i] {
			found = append(found, a)
		}
	}
	return found
}

// savedListing is a bucket's listing as kept between runs.
type savedListing struct {
	URL         string
	Taken       time.Time // when the listing began
	Attachments []store.Attachment
}

// listingFile is where the open bucket's last listing is kept.
func (b *Browser) listingFile() string {
	dir := b.cfg.ListingDir
	if dir == "" {
		dir = filepath.Join(xdg.CacheHome, "lashview", "listings")
	}
	sum := sha256.Sum256([]byte(b.face.Where()))
	return filepath.Join(dir, hex.EncodeToString(sum[:12])+".gob")
}

// loadListing reads the listing kept at path, if it is one of url.
func loadListing(path, url string) (savedListing, bool) {
	f, err := os.Open(path)
	if err != nil {
		return savedListing{}, false
	}
	defer f.Close()
	var l savedListing
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&l); err != nil || l.URL != url {
		return savedListing{}, false
	}
	return l, true
}

// saveListing keeps l at path, replacing what was there whole.
func saveListing(path string, l savedListing) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".listing-*")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(tmp)
	err = gob.NewEncoder(w).Encode(l)
	if err == nil {
		err = w.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// trashName is where the open store's deleted attachments go, for a
// sentence: the desktop Trash, or the bucket's trash area.
func (b *Browser) trashName() string {
	if b.st == nil && b.face != nil {
		return "the bucket's trash area"
	}
	return "the Trash"
}
