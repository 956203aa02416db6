package cli

import (
	"flag"
	"fmt"
	"io"

	"lashview/store"
)

var getCommand = &command{
	name:  "get",
	usage: "[--store DIR] ID [-o FILE]",
	help:  "write an attachment's bytes to stdout or FILE",
	args:  argSpec{min: 1, max: 1, wrong: "name exactly one attachment id", ids: 1},
	flags: func(fs *flag.FlagSet) action {
		out := fs.String("o", "", "write to `FILE` instead of stdout")
		return action{run: func(c *call) int { return runGet(c, *out) }}
	},
}

// runGet writes the attachment's bytes to stdout, or to the file out
// crash-atomically (a failed get never leaves half a file under that name).
func runGet(c *call, out string) int {
	r, _, err := c.store.Open(c.ctx(), c.ids[0])
	if err != nil {
		return c.fail(err)
	}
	defer r.Close()
	if out == "" {
		if _, err := io.Copy(c.env.Stdout, r); err != nil {
			return c.fail(fmt.Errorf("write to stdout: %w", err))
		}
		return exitOK
	}
	if err := store.WriteFile(out, r); err != nil {
		return c.fail(err)
	}
	return exitOK
}
