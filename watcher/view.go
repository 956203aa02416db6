package watcher

import (
	"context"
	"fmt"
	"sort"

	"lashview/store"
)

// View is a consumer's picture of the store: the attachments by id, kept
// equal to a fresh Scan by applying every batch in order. It is not safe for
// concurrent use; a UI keeps it on its own goroutine.
type View struct {
	byID map[store.ID]store.Attachment
}

// NewView starts a view from a listing, normally the one New returned.
func NewView(res *store.ScanResult) *View {
	v := &View{}
	v.Replace(res)
	return v
}

// Apply brings the view up to date with one batch. A batch that holds a
// rescan replaces the view with the batch's fresh listing.
func (v *View) Apply(b Batch) {
	if b.Scan != nil {
		v.Replace(b.Scan)
		return
	}
	for _, e := range b.Events {
		switch e.Kind {
		case Added, Changed:
			v.byID[e.ID] = e.Attachment
		case Removed:
			delete(v.byID, e.ID)
		}
	}
}

// Replace makes the view hold exactly a listing's attachments.
func (v *View) Replace(res *store.ScanResult) {
	v.byID = map[store.ID]store.Attachment{}
	if res == nil {
		return
	}
	for _, a := range res.Attachments {
		v.byID[a.ID] = a
	}
}

// Rescan replaces the view with a fresh listing of s. A store folder that
// does not exist lists as empty, as the watcher sees it.
func (v *View) Rescan(ctx context.Context, s *store.Store) error {
	res, err := scanStore(ctx, s, store.ScanOptions{})
	if err != nil {
		return err
	}
	v.Replace(res)
	return nil
}

// Len is the number of attachments.
func (v *View) Len() int { return len(v.byID) }

// Get returns the attachment with the id.
func (v *View) Get(id store.ID) (store.Attachment, bool) {
	a, ok := v.byID[id]
	return a, ok
}

// Attachments returns every attachment, newest first (as Scan sorts them).
func (v *View) Attachments() []store.Attachment {
	out := make([]store.Attachment, 0, len(v.byID))
	for _, a := range v.byID {
		out = append(out, a)
	}
	store.SortNewest(out)
	return out
}

// Diff says, one line per id, how the view differs from a listing; it is
// empty when they agree (a check of convergence, for tests and diagnostics).
func (v *View) Diff(res *store.ScanResult) []string {
	var out []string
	seen := map[store.ID]bool{}
	if res != nil {
		for _, a := range res.Attachments {
			seen[a.ID] = true
			got, ok := v.byID[a.ID]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s: in the listing (%s), not in the view", a.ID, a.Status))
			case !got.Same(a):
				out = append(out, fmt.Sprintf("%s: view has %s, the listing %s", a.ID, describe(got), describe(a)))
			}
		}
	}
	for id, a := range v.byID {
		if !seen[id] {
			out = append(out, fmt.Sprintf("%s: in the view (%s), not in the listing", id, a.Status))
		}
	}
	sort.Strings(out)
	return out
}

func describe(a store.Attachment) string {
	label := "no label"
	if a.Label != nil {
		label = fmt.Sprintf("label %q", *a.Label)
	}
	return fmt.Sprintf("{%s, %d bytes, modified %s, %s, %s %dx%d, blob %t, sidecar %t}",
		a.Status, a.Size, a.Modified.Format("15:04:05.000000000"), label, a.MediaType, a.Width, a.Height, a.HasBlob, a.HasSidecar)
}
