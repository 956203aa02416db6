package ui

import (
	"context"
	"fmt"
	"os"

	"lashview/store"
)

// actions are the things a person can do to the store or with an
// attachment, apart from the widgets that trigger them, so menus, keys,
// buttons share one path to the store and one way of reporting failure.
// (Drop-in, delete to the Trash, relabel and repairs are the editor's:
// edit.go.)
type actions struct{ b *Browser }

// copyText puts s on the clipboard and says so in the status bar.
func (a *actions) copyText(what, s string) {
	a.b.app.Clipboard().SetContent(s)
	a.b.flash(fmt.Sprintf("Copied the %s: %s", what, s))
}

// copyRef copies the focused attachment's reference in the form its
// generation's lash records: sha256:<id>, or lash-attachment://sha256/<id>.
func (a *actions) copyRef() {
	if at, ok := a.b.cat.get(a.b.sel.focus); ok {
		a.copyText("reference", at.Reference())
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
