package thumbs_test

import (
	"context"
	"fmt"
	"io"
	"os"

	"lashview/store"
	"lashview/thumbs"
)

// How the grid uses a Cache: results arrive by id on a worker goroutine,
// to be handed to the UI thread (fyne.Do) and matched to whichever cell
// shows that id now.
func ExampleCache() {
	layout := store.Layout{Root: "/path/to/attachments"}
	c, err := thumbs.New(thumbs.Options{
		Open: func(id store.ID) (io.ReadCloser, error) { return os.Open(layout.Blob(id)) },
		OnResult: func(r thumbs.Result) {
			// fyne.Do(func() { grid.show(r.ID, r.Image, r.Err) })
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	var onScreen []store.ID // the ids of the cells visible now
	c.SetVisible(onScreen)  // on every scroll: what scrolled away is dropped
	for _, id := range onScreen {
		if r, done := c.Request(id, 2*thumbs.DefaultSize); done {
			_ = r // in memory already: show r.Image (or r.Err) now
		}
	}

	// lashview thumbs: fill the disk cache for the whole store.
	var all []store.ID
	st, err := c.Fill(context.Background(), all, thumbs.DefaultSize, func(done, total, generated int) {
		fmt.Printf("\r%d/%d", done, total)
	})
	fmt.Println(st.Generated, err)
}
