package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"time"

	"lashview/internal/format"
	"lashview/store"
	"lashview/thumbs"
)

var thumbsCommand = &command{
	name:  "thumbs",
	usage: "[--store DIR] [--size PX] [--prune] [--cache DIR]",
	help:  "fill the thumbnail cache for a whole store; --prune drops thumbnails of removed attachments",
	flags: func(fs *flag.FlagSet) action {
		size := fs.Int("size", thumbs.DefaultSize, "the thumbnail box in `pixels`")
		cacheDir := fs.String("cache", thumbs.DefaultDir(), "the thumbnail cache `folder`")
		prune := fs.Bool("prune", false, "remove cached thumbnails whose attachment is no longer in the store, and keep the cache under its size cap")
		return action{
			check: func() string {
				if *size < 16 || *size > 2048 {
					return fmt.Sprintf("--size must be between 16 and 2048 pixels, not %d", *size)
				}
				return ""
			},
			run: func(c *call) int { return runThumbs(c, *size, *cacheDir, *prune) },
		}
	},
}

// bucketFetches is how many blobs of a bucket are fetched at once to make
// thumbnails: requests wait on the network more than on the processor.
const bucketFetches = 8

// thumbOptions is the thumbnail cache of a store: a folder's blobs are
// opened by path (an *os.File, so the cache can check the header against
// the file's size); a bucket's are fetched through the store, bucketFetches
// at once. The cache is keyed by content id, so a blob whose thumbnail is
// cached is never fetched again.
func thumbOptions(ctx context.Context, f store.Face, dir string) thumbs.Options {
	if s, ok := store.FolderOf(f); ok {
		return thumbs.Options{Dir: dir, Open: func(id store.ID) (io.ReadCloser, error) { return s.OpenBlob(id) }}
	}
	opt := thumbs.Options{Dir: dir, Workers: max(bucketFetches, runtime.GOMAXPROCS(0))}
	if o, ok := f.(*store.Objects); ok {
		opt.Open = func(id store.ID) (io.ReadCloser, error) {
			r, _, err := o.OpenBlob(ctx, id)
			return r, err
		}
		return opt
	}
	opt.Open = func(id store.ID) (io.ReadCloser, error) {
		r, _, err := f.Open(ctx, id)
		return r, err
	}
	return opt
}

func runThumbs(c *call, size int, cacheDir string, prune bool) int {
	ctx, stop := interruptible()
	defer stop()
	res, err := c.store.Scan(ctx, c.scanOptions())
	if err != nil {
		return c.fail(err)
	}
	cache, err := thumbs.New(thumbOptions(ctx, c.store, cacheDir))
	if err != nil {
		return c.fail(err)
	}
	defer cache.Close()
	out := c.env.Stdout
	if prune {
		keep := make(map[store.ID]bool, len(res.Attachments))
		for _, a := range res.Attachments {
			keep[a.ID] = true
		}
		ps, err := cache.Prune(keep)
		if err != nil {
			return c.fail(err)
		}
		ts, err := cache.Trim()
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(out, "removed %d cached files (%s) of attachments no longer in the store; kept %d\n", ps.Removed, format.Bytes(ps.RemovedBytes), ps.Kept)
		if ts.Removed > 0 {
			fmt.Fprintf(out, "removed %d least recently used files (%s) to stay under the cache's size cap\n", ts.Removed, format.Bytes(ts.RemovedBytes))
		}
		return exitOK
	}
	var ids []store.ID
	for _, a := range res.Attachments {
		// Only a blob that is a file can have a thumbnail.
		if a.HasBlob && a.Status != store.StatusSymlink {
			ids = append(ids, a.ID)
		}
	}
	var line *progressLine
	if c.env.StdoutTTY {
		line = &progressLine{w: c.env.Stderr, start: time.Now()}
	}
	st, err := cache.Fill(ctx, ids, size, func(done, total, generated int) {
		line.draw(fmt.Sprintf("thumbs: %d/%d, %d made", done, total, generated))
	})
	line.clear()
	if err != nil {
		return c.fail(err)
	}
	switch {
	case st.Generated == 0 && st.Failed == 0:
		fmt.Fprintf(out, "nothing to do: all %d thumbnails at %d px are already in %s\n", st.Cached+st.Remembered, size, cache.Dir())
	default:
		fmt.Fprintf(out, "made %d thumbnails at %d px in %s (%d were already cached, %d images cannot be decoded) into %s\n",
			st.Generated, size, st.Elapsed.Round(time.Millisecond), st.Cached, st.Failed+st.Remembered, cache.Dir())
	}
	for _, p := range st.Problems {
		c.warn(p)
	}
	if st.Unreadable > 0 {
		fmt.Fprintf(c.env.Stderr, "lashview thumbs: %d blobs could not be read\n", st.Unreadable)
		return exitProblems
	}
	return exitOK
}
