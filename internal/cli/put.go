package cli

import (
	"context"
	"flag"
	"fmt"

	"lashview/store"
)

var putCommand = &command{
	name:       "put",
	usage:      "[--store DIR] [--label L] FILE...",
	help:       "store image files (atomic, streaming)",
	args:       argSpec{min: 1, max: -1, wrong: "name at least one file to put"},
	makesStore: true,
	flags: func(fs *flag.FlagSet) action {
		label := fs.String("label", "", "the label (default: each file's base name)")
		return action{run: func(c *call) int {
			opt := store.PutFileOptions{}
			if isSet(c.fs, "label") {
				opt.Label = label
			}
			return runPut(c, opt)
		}}
	},
}

// runPut puts each file and prints the AttachmentRef lash would return; a
// file it cannot put is named on stderr and the rest still go in.
func runPut(c *call, opt store.PutFileOptions) int {
	code := exitOK
	for _, path := range c.args {
		ref, _, err := c.store.PutFile(context.Background(), path, opt)
		if err != nil {
			fmt.Fprintf(c.env.Stderr, "lashview put: %s: %v\n", path, err)
			code = exitProblems
			continue
		}
		fmt.Fprintf(c.env.Stdout, "%s\n", ref.EncodeCompact())
	}
	return code
}
