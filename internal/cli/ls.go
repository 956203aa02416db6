package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"lashview/internal/format"
	"lashview/store"
)

var lsCommand = &command{
	name:  "ls",
	usage: "[--store DIR] [--json]",
	help:  "list the attachments, newest first",
	flags: func(fs *flag.FlagSet) action {
		asJSON := fs.Bool("json", false, "one JSON object per line")
		return action{run: func(c *call) int { return runLs(c, *asJSON) }}
	},
}

// lsRecord is one line of `ls --json`.
type lsRecord struct {
	ID        string  `json:"id"`
	Status    string  `json:"status"`
	MediaType *string `json:"media_type"`
	ByteLen   int64   `json:"byte_len"`
	Width     *int    `json:"width"`
	Height    *int    `json:"height"`
	Label     *string `json:"label"`
	Modified  string  `json:"modified"`
}

func runLs(c *call, asJSON bool) int {
	res, err := c.store.Scan(context.Background(), store.ScanOptions{})
	if err != nil {
		return c.fail(err)
	}
	if asJSON {
		enc := json.NewEncoder(c.env.Stdout)
		enc.SetEscapeHTML(false)
		for _, a := range res.Attachments {
			r := lsRecord{ID: string(a.ID), Status: string(a.Status), ByteLen: a.Size, Label: a.Label,
				Modified: a.Modified.Format(time.RFC3339)}
			if a.MediaType != "" {
				m := a.MediaType.MIME()
				r.MediaType = &m
			}
			if a.Width > 0 {
				r.Width = &a.Width
			}
			if a.Height > 0 {
				r.Height = &a.Height
			}
			if err := enc.Encode(r); err != nil {
				return c.fail(err)
			}
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODIFIED\tID\tTYPE\tSIZE\tPIXELS\tSTATUS\tLABEL")
	for _, a := range res.Attachments {
		pix := "-"
		if a.Width > 0 && a.Height > 0 {
			pix = fmt.Sprintf("%d×%d", a.Width, a.Height)
		}
		typ := string(a.MediaType)
		if typ == "" {
			typ = "-"
		}
		label := "-"
		if a.Label != nil {
			label = format.OneLine(*a.Label)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Modified.Local().Format("2006-01-02 15:04"), a.ID.Short(),
			typ, format.Bytes(a.Size), pix, a.Status, label)
	}
	tw.Flush()
	fmt.Fprintf(c.env.Stdout, "%d attachments in %s\n", len(res.Attachments), c.store.Root())
	return exitOK
}
