package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"lashview/store"
)

var putCommand = &command{
	name:       "put",
	usage:      "[--store DIR] [--label L] FILE...",
	help:       "store files (atomic, streaming): images, or any file in a blob-only store",
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
// file it cannot put is named on stderr and the rest still go in. In a
// blob-only store it writes the blob alone, prints the reference in newer
// lash's form and says once what lash does with blobs no session uses.
func runPut(c *call, opt store.PutFileOptions) int {
	gen, err := c.store.Writes(c.ctx())
	if err != nil {
		return c.fail(err)
	}
	blobOnly := gen == store.GenBlobOnly
	if blobOnly && opt.Label != nil {
		return c.fail(fmt.Errorf("cannot record the label: %w (nothing was put)", store.ErrBlobOnlyLabel))
	}
	code := exitOK
	put := 0
	for _, path := range c.args {
		ref, _, err := c.store.PutFile(c.ctx(), path, opt)
		if err != nil {
			fmt.Fprintf(c.env.Stderr, "lashview put: %s: %v\n", path, err)
			code = exitProblems
			continue
		}
		put++
		if !blobOnly {
			fmt.Fprintf(c.env.Stdout, "%s\n", ref.EncodeCompact())
			continue
		}
		line, err := json.Marshal(newerRef(c.ctx(), c.store, ref))
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.env.Stdout, "%s\n", line)
	}
	if blobOnly && put > 0 {
		fmt.Fprintf(c.env.Stderr, "lashview put: %s\n", store.BlobOnlyPutNote)
	}
	return code
}

// attachmentRef is the AttachmentRef of lash alpha.111, which puts into a
// blob-only store: the media type as a MIME name, pixels in type_metadata.
type attachmentRef struct {
	ID           string        `json:"id"`
	MediaType    string        `json:"media_type"`
	ByteLen      uint64        `json:"byte_len"`
	TypeMetadata *typeMetadata `json:"type_metadata,omitempty"`
}

type typeMetadata struct {
	Type   string  `json:"type"`
	Width  *uint32 `json:"width,omitempty"`
	Height *uint32 `json:"height,omitempty"`
}

// newerRef is what lash alpha.111 returns for a put of these bytes.
func newerRef(ctx context.Context, s store.Face, ref store.Sidecar) attachmentRef {
	r := attachmentRef{ID: ref.ID, MediaType: ref.MediaType.MIME(), ByteLen: ref.ByteLen}
	if ref.MediaType != "" {
		r.TypeMetadata = &typeMetadata{Type: "image", Width: ref.Width, Height: ref.Height}
	} else if a, ok, err := s.Examine(ctx, store.ID(ref.ID)); err == nil && ok {
		r.MediaType = a.MIME
	}
	return r
}
