package sessions

import "lashview/store"

// Where a description's media type and label come from.
const (
	SourceSidecar = "sidecar" // the attachment's sidecar (lash alpha.43–86)
	SourceSession = "session" // the newest reference in a session's messages
	SourceSniffed = "sniffed" // the bytes themselves
)

// Description is what a person is told an attachment is: its media type,
// size in pixels and label, from the best place that says. The command
// line's ls and the window's grid both take it from Describe.
type Description struct {
	MediaType     string // MIME; "" when nothing says
	Width, Height int    // 0 when unknown
	Label         *string
	Source        string // SourceSidecar, SourceSession or SourceSniffed
}

// Describe takes the media type from the sidecar, else the newest session
// reference, else the sniffed bytes; the label from the sidecar, else the
// newest reference in a live node (a blob-only store keeps none); the size
// in pixels from the sidecar or reference, else the bytes. ix may be nil.
func Describe(a store.Attachment, ix *Index) Description {
	d := Description{MediaType: a.MIME, Width: a.Width, Height: a.Height, Label: a.Label, Source: SourceSniffed}
	if a.Meta != nil {
		d.Source = SourceSidecar
		return d
	}
	if ix == nil || a.HasSidecar {
		// A sidecar lash cannot read is a problem to show, not to paper
		// over with what a session says.
		return d
	}
	m, ok := ix.Meta(a.ID)
	if !ok || m.MediaType == "" {
		return d
	}
	d.MediaType, d.Source = m.MediaType, SourceSession
	if m.Width > 0 && m.Height > 0 {
		d.Width, d.Height = m.Width, m.Height
	}
	if l, ok := ix.Label(a.ID); ok && d.Label == nil {
		d.Label = &l
	}
	return d
}

// Label is the label the newest reference in a live node gives id; false
// when none does (a tombstoned node is hidden from lash's reads).
func (ix *Index) Label(id store.ID) (string, bool) {
	m, ok := ix.Meta(id)
	if !ok || !m.Labelled || m.Tombstoned {
		return "", false
	}
	return m.Label, true
}
