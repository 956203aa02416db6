package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
)

// Fyne's dialogs take no keys of their own: a key nothing focused took goes
// to the canvas, and so to the grid behind the dialog (Return opened the
// viewer under a "Move to Trash?" question). The window shows its dialogs
// through showDialog and, while one is over it, gives it the keys: Return
// or Enter answers a question yes, Escape closes it (no, cancel, close).

// showDialog shows d and keeps it as the dialog the keys go to until it
// closes.
// A dialog shown again (the health and clean-up views are kept) is hooked
// once.
func (b *Browser) showDialog(d dialog.Dialog) {
	b.dialogs = append(b.dialogs, d)
	if b.dialogHooked == nil {
		b.dialogHooked = map[dialog.Dialog]bool{}
	}
	if !b.dialogHooked[d] {
		b.dialogHooked[d] = true
		d.SetOnClosed(func() {
			for i := len(b.dialogs) - 1; i >= 0; i-- {
				if b.dialogs[i] == d {
					b.dialogs = append(b.dialogs[:i], b.dialogs[i+1:]...)
					break
				}
			}
		})
	}
	d.Show()
}

// dialogKey is a key typed while a dialog or pop-up is over the window: it
// goes to the newest dialog shown with showDialog, never to the grid.
func (b *Browser) dialogKey(ev *fyne.KeyEvent) {
	if len(b.dialogs) == 0 {
		return
	}
	d := b.dialogs[len(b.dialogs)-1]
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if c, ok := d.(*dialog.ConfirmDialog); ok {
			c.Confirm()
		}
	case fyne.KeyEscape:
		d.Dismiss()
	}
}
