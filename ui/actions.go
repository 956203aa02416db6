package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"lashview/store"
)

// actions are the things a person can do to the store or with an
// attachment, apart from the widgets that trigger them, so menus, keys,
// buttons (and later drag-and-drop, delete-to-trash and relabel) share one
// path to the store and one way of reporting failure.
type actions struct{ b *Browser }

// copyText puts s on the clipboard and says so in the status bar.
func (a *actions) copyText(what, s string) {
	a.b.app.Clipboard().SetContent(s)
	a.b.flash(fmt.Sprintf("Copied the %s: %s", what, s))
}

// copyRef copies the focused attachment's reference, sha256:<id>.
func (a *actions) copyRef() {
	if id := a.b.sel.focus; id != "" {
		a.copyText("reference", id.Ref())
	}
}

// createStore makes the store folder and opens it.
func (a *actions) createStore(dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		a.b.showError(fmt.Errorf("cannot create the store folder %s: %w", dir, unwrapPath(err)))
		return
	}
	a.b.Open(dir)
}

// openDemo writes the demo store (once) in the background and opens it.
func (a *actions) openDemo() {
	dir := a.b.cfg.DemoDir
	if dir == "" {
		a.b.showError(fmt.Errorf("there is no place for the demo store (no data folder)"))
		return
	}
	a.b.welcome.busy("Writing the demo store…")
	go func() {
		err := writeDemoStore(context.Background(), store.New(dir))
		a.b.q.post(func() {
			a.b.welcome.busy("")
			if err != nil {
				a.b.showError(fmt.Errorf("cannot write the demo store in %s: %w", dir, err))
				return
			}
			a.b.Open(dir)
		})
	}()
}

// importFiles puts image files into the store in the background, each
// labelled with its file name (labels, not hashes, are what people read).
// The watcher shows them as they land; the status bar says how it went
// and a dialog names every file that could not be put.
func (a *actions) importFiles(paths []string) {
	st := a.b.st
	if st == nil || len(paths) == 0 {
		return
	}
	a.b.flash(fmt.Sprintf("Importing %s…", plural(len(paths), "file")))
	go func() {
		var problems []string
		done := 0
		for _, p := range paths {
			if err := putFile(st, p); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", filepath.Base(p), err))
				continue
			}
			done++
		}
		a.b.q.post(func() {
			a.b.flash(fmt.Sprintf("Imported %s into %s", plural(done, "image"), tildePath(st.Root())))
			if len(problems) > 0 {
				a.b.showError(fmt.Errorf("%s could not be imported:\n%s", plural(len(problems), "file"), strings.Join(problems, "\n")))
			}
		})
	}()
}

// putFile stores one file, labelled with its name without the extension.
func putFile(st *store.Store, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return unwrapPath(err)
	}
	if fi.IsDir() {
		return fmt.Errorf("is a folder; drop the images inside it")
	}
	f, err := os.Open(path)
	if err != nil {
		return unwrapPath(err)
	}
	defer f.Close()
	label := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	_, err = st.Put(context.Background(), f, store.PutOptions{Label: &label})
	return err
}
