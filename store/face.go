package store

import (
	"context"
	"io"
)

// Face is what the command line and the window do with a store, whichever
// backend holds it: a folder (Folder) or a bucket (an *Objects over
// s3store's Backend). Every method takes the context that cancels it.
type Face interface {
	// Where names the store for a person: its path or its s3:// URL.
	Where() string
	// Scan lists every attachment and every stray name (Store.Scan).
	Scan(ctx context.Context, opt ScanOptions) (*ScanResult, error)
	// Examine looks at one id as Scan would; false when nothing of it is
	// there.
	Examine(ctx context.Context, id ID) (Attachment, bool, error)
	// Open streams an attachment's bytes with its metadata, failing as
	// lash's get does.
	Open(ctx context.Context, id ID) (io.ReadCloser, Sidecar, error)
	// Put stores r's bytes atomically (Store.Put).
	Put(ctx context.Context, r io.Reader, opt PutOptions) (Sidecar, error)
	// PutFile puts the regular file at path (Store.PutFile).
	PutFile(ctx context.Context, path string, opt PutFileOptions) (Sidecar, *Attachment, error)
	// SetLabel rewrites the label of an attachment of the sidecar
	// generation (Store.SetLabel).
	SetLabel(ctx context.Context, id ID, label string) (Sidecar, error)
	// Trash moves attachments somewhere they can be restored from, as one
	// batch (Store.Trash: the desktop Trash; a bucket: its trash area).
	Trash(ctx context.Context, ids []ID, opt TrashOptions) (*Batch, error)
	// Restore puts trashed attachments back; no ids undoes the newest
	// pending batch (Store.Restore).
	Restore(ctx context.Context, ids []ID, opt TrashOptions) (*RestoreReport, error)
	// Verify hashes every blob and checks it decodes (Store.Verify).
	Verify(ctx context.Context, opt VerifyOptions) (*VerifyReport, error)
	// Doctor finds, and with Fix repairs, what crashes and hand edits left
	// (Store.Doctor).
	Doctor(ctx context.Context, opt DoctorOptions) (*DoctorReport, error)
	// Sidecarless is the generation of a blob without a sidecar here.
	Sidecarless(ctx context.Context) (Generation, error)
	// Writes is the generation lashview writes into this store.
	Writes(ctx context.Context) (Generation, error)
}

// Folder is a folder store as a Face.
func Folder(s *Store) Face { return folderFace{s} }

// FolderOf is the folder store behind f, if it is one.
func FolderOf(f Face) (*Store, bool) {
	ff, ok := f.(folderFace)
	return ff.s, ok
}

type folderFace struct{ s *Store }

func (f folderFace) Where() string { return f.s.Root() }
func (f folderFace) Scan(ctx context.Context, opt ScanOptions) (*ScanResult, error) {
	return f.s.Scan(ctx, opt)
}
func (f folderFace) Examine(_ context.Context, id ID) (Attachment, bool, error) {
	a, ok := f.s.Examine(id)
	return a, ok, nil
}
func (f folderFace) Open(_ context.Context, id ID) (io.ReadCloser, Sidecar, error) {
	return f.s.Open(id)
}
func (f folderFace) Put(ctx context.Context, r io.Reader, opt PutOptions) (Sidecar, error) {
	return f.s.Put(ctx, r, opt)
}
func (f folderFace) PutFile(ctx context.Context, path string, opt PutFileOptions) (Sidecar, *Attachment, error) {
	return f.s.PutFile(ctx, path, opt)
}
func (f folderFace) SetLabel(_ context.Context, id ID, label string) (Sidecar, error) {
	return f.s.SetLabel(id, label)
}
func (f folderFace) Trash(ctx context.Context, ids []ID, opt TrashOptions) (*Batch, error) {
	return f.s.Trash(ctx, ids, opt)
}
func (f folderFace) Restore(ctx context.Context, ids []ID, opt TrashOptions) (*RestoreReport, error) {
	return f.s.Restore(ctx, ids, opt)
}
func (f folderFace) Verify(ctx context.Context, opt VerifyOptions) (*VerifyReport, error) {
	return f.s.Verify(ctx, opt)
}
func (f folderFace) Doctor(ctx context.Context, opt DoctorOptions) (*DoctorReport, error) {
	return f.s.Doctor(ctx, opt)
}
func (f folderFace) Sidecarless(context.Context) (Generation, error) { return f.s.Sidecarless(), nil }
func (f folderFace) Writes(context.Context) (Generation, error)      { return f.s.Writes(), nil }
