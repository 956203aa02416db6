package main

import (
	"fmt"
	"io"
	"time"

	"lashview/store"
	"lashview/thumbs"
)

func init() {
	commands["thumbs"] = command{"[--store DIR] [--size PX] [--prune] [--cache DIR]", "fill the thumbnail cache for a whole store; --prune drops thumbnails of removed attachments", runThumbs}
}

func runThumbs(args []string, env *cliEnv) int {
	fs, dir := newFlags("thumbs", env)
	size := fs.Int("size", thumbs.DefaultSize, "the thumbnail box in `pixels`")
	cacheDir := fs.String("cache", thumbs.DefaultDir(), "the thumbnail cache `folder`")
	prune := fs.Bool("prune", false, "remove cached thumbnails whose attachment is no longer in the store, and keep the cache under its size cap")
	pos, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(pos) > 0 {
		return usageError(env, "thumbs", "unexpected argument %q", pos[0])
	}
	if *size < 16 || *size > 2048 {
		return usageError(env, "thumbs", "--size must be between 16 and 2048 pixels, not %d", *size)
	}
	s, ok := openStore(env, "thumbs", *dir)
	if !ok {
		return exitProblems
	}
	ctx, stop := interruptible()
	defer stop()
	res, err := s.Scan(ctx, store.ScanOptions{})
	if err != nil {
		return fail(env, "thumbs", err)
	}
	cache, err := thumbs.New(thumbs.Options{Dir: *cacheDir, Open: func(id store.ID) (io.ReadCloser, error) { return s.OpenBlob(id) }})
	if err != nil {
		return fail(env, "thumbs", err)
	}
	defer cache.Close()
	if *prune {
		keep := make(map[store.ID]bool, len(res.Attachments))
		for _, a := range res.Attachments {
			keep[a.ID] = true
		}
		ps, err := cache.Prune(keep)
		if err != nil {
			return fail(env, "thumbs", err)
		}
		ts, err := cache.Trim()
		if err != nil {
			return fail(env, "thumbs", err)
		}
		fmt.Fprintf(env.stdout, "removed %d cached files (%s) of attachments no longer in the store; kept %d\n", ps.Removed, HumanBytes(ps.RemovedBytes), ps.Kept)
		if ts.Removed > 0 {
			fmt.Fprintf(env.stdout, "removed %d least recently used files (%s) to stay under the cache's size cap\n", ts.Removed, HumanBytes(ts.RemovedBytes))
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
	if env.stdoutTTY {
		line = &progressLine{w: env.stderr, start: time.Now()}
	}
	st, err := cache.Fill(ctx, ids, *size, func(done, total, generated int) {
		if line != nil {
			line.draw(fmt.Sprintf("thumbs: %d/%d, %d made", done, total, generated))
		}
	})
	line.clear()
	if err != nil {
		return fail(env, "thumbs", err)
	}
	switch {
	case st.Generated == 0 && st.Failed == 0:
		fmt.Fprintf(env.stdout, "nothing to do: all %d thumbnails at %d px are already in %s\n", st.Cached+st.Remembered, *size, cache.Dir())
	default:
		fmt.Fprintf(env.stdout, "made %d thumbnails at %d px in %s (%d were already cached, %d images cannot be decoded) into %s\n",
			st.Generated, *size, st.Elapsed.Round(time.Millisecond), st.Cached, st.Failed+st.Remembered, cache.Dir())
	}
	for _, p := range st.Problems {
		fmt.Fprintf(env.stderr, "lashview thumbs: %v\n", p)
	}
	if st.Unreadable > 0 {
		fmt.Fprintf(env.stderr, "lashview thumbs: %d blobs could not be read\n", st.Unreadable)
		return exitProblems
	}
	return exitOK
}
