// Package desktop opens lashview's window with Fyne's desktop (GLFW)
// driver. It is the only package that needs cgo and a display; package ui
// is tested without either through Fyne's test driver.
package desktop

import (
	"path/filepath"

	"fyne.io/fyne/v2/app"
	"github.com/adrg/xdg"

	"lashview/ui"
)

// Run opens the window and returns when it is closed.
func Run(cfg ui.Config) {
	a := app.NewWithID(ui.AppID)
	a.SetIcon(ui.Icon)
	if cfg.DemoDir == "" {
		cfg.DemoDir = filepath.Join(xdg.DataHome, "lashview", "demo-store")
	}
	w := a.NewWindow("lashview")
	w.SetIcon(ui.Icon)
	b := ui.New(a, w, cfg)
	w.SetOnClosed(b.Close)
	w.SetMaster()
	a.Lifecycle().SetOnStopped(b.Close)
	w.ShowAndRun()
}
