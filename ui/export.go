package ui

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"lashview/store"
)

// saveCopy writes the focused attachment's bytes to a file the person
// names, with the extension of its media type; the store is not changed.
func (e *editor) saveCopy() {
	b := e.b
	a, ok := b.cat.get(b.sel.focus)
	if !ok || b.face == nil {
		b.flash("Select an attachment to save a copy of")
		return
	}
	if !a.HasBlob {
		b.showError(fmt.Errorf("%s has no blob: there are no bytes to save", a.ID.Short()))
		return
	}
	st := b.face
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			b.showError(fmt.Errorf("cannot save there: %w", err))
			return
		}
		if w == nil {
			return // cancelled
		}
		dest := w.URI().Path()
		e.b.background(func(ctx context.Context) func() {
			werr := copyBlob(ctx, st, a.ID, w)
			return func() {
				if werr != nil {
					b.showError(fmt.Errorf("the copy of %s could not be written to %s: %w", a.ID.Short(), dest, werr))
					return
				}
				b.flash("Saved a copy to " + tildePath(dest))
			}
		})
	}, b.win)
	d.SetFileName(copyName(a))
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// copyName is the file name a saved copy is offered under: the label
// (made safe for a file name) with the type's extension, else the short id.
func copyName(a store.Attachment) string {
	name := a.ID.Short()
	if a.Label != nil && strings.TrimSpace(*a.Label) != "" {
		name = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
			switch {
			case r == '/':
				return '_'
			case r < ' ' || r == 0x7f:
				return ' '
			}
			return r
		}, *a.Label)), " ")
	}
	ext := a.MediaType.Ext()
	if a.MediaType == "" {
		// Not an image (lash alpha.111 stores any file): the extension
		// its MIME type is known by, if any.
		exts, _ := mime.ExtensionsByType(a.MIME)
		if len(exts) == 0 {
			return name
		}
		ext = exts[0]
	}
	if !strings.EqualFold(filepath.Ext(name), ext) {
		name = strings.TrimSuffix(name, filepath.Ext(name)) + ext
	}
	return name
}

// copyBlob streams a blob into w and closes it.
func copyBlob(ctx context.Context, st store.Face, id store.ID, w io.WriteCloser) error {
	f, _, err := openBlobOf(ctx, st, id)
	if err != nil {
		w.Close()
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// openWith hands the focused attachment to the desktop's default
// application for its type. The blob has no extension, which desktop
// applications go by, so a copy with the right extension is written to a
// private temporary folder and that is opened; the store is not touched.
func (e *editor) openWith() {
	b := e.b
	a, ok := b.cat.get(b.sel.focus)
	if !ok || b.face == nil {
		b.flash("Select an attachment to open")
		return
	}
	if !a.HasBlob || a.Status == store.StatusSymlink {
		b.showError(fmt.Errorf("%s has no blob lashview can read: there is nothing to open", a.ID.Short()))
		return
	}
	st := b.face
	e.b.background(func(ctx context.Context) func() {
		path, err := exportTemp(ctx, st, a)
		return func() {
			if err != nil {
				b.showError(fmt.Errorf("%s could not be prepared for another application: %w", a.ID.Short(), err))
				return
			}
			u := &url.URL{Scheme: "file", Path: path}
			if oerr := b.app.OpenURL(u); oerr != nil {
				if xerr := exec.Command("xdg-open", path).Start(); xerr != nil {
					b.showError(fmt.Errorf("no application could open %s: %v; xdg-open: %v", path, oerr, xerr))
					return
				}
			}
			b.flash("Opened " + copyName(a) + " with the default application")
		}
	})
}

// exportTemp writes a's bytes to lashview's temporary folder under a name
// with the right extension, and returns its path.
func exportTemp(ctx context.Context, st store.Face, a store.Attachment) (string, error) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("lashview-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, a.ID.Short()+"-"+copyName(a))
	tmp, err := os.CreateTemp(dir, ".open-*")
	if err != nil {
		return "", err
	}
	if err := copyBlob(ctx, st, a.ID, tmp); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return path, nil
}
