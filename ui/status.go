package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// ShowTitle sets the window title from the store and its count now.
func (b *Browser) ShowTitle() { b.win.SetTitle(b.title()) }

// title is the window title: the store and its count.
func (b *Browser) title() string {
	where := b.where()
	if where == "" {
		return "lashview"
	}
	t := "lashview — " + where
	if b.isDemo {
		t = "lashview — demo store " + where
	}
	if b.welcome != nil && b.root.Objects[0] == b.welcome.obj {
		return t
	}
	return fmt.Sprintf("%s (%s)", t, thousands(b.cat.total()))
}

// where names the open store (or the one the welcome view is about) for a
// person: its folder, or its bucket's s3:// URL; "" when there is none.
func (b *Browser) where() string {
	switch {
	case b.face != nil && b.st == nil:
		return b.face.Where()
	case b.st != nil:
		return tildePath(b.st.Root())
	}
	return b.storeURL
}

// refreshAll updates everything that shows the catalog.
func (b *Browser) refreshAll() {
	b.win.SetTitle(b.title())
	b.grid.Refresh()
	b.refreshDetails()
	b.refreshStatus()
}

func (b *Browser) refreshStatus() {
	shown, total := len(b.cat.shown), b.cat.total()
	if shown == total {
		b.count.SetText(fmt.Sprintf("%s shown", thousands(total)))
	} else {
		b.count.SetText(fmt.Sprintf("%s of %s shown", thousands(shown), thousands(total)))
	}
	if b.face == nil {
		b.statusL.SetText("")
		return
	}
	noun := "attachments"
	if total == 1 {
		noun = "attachment"
	}
	s := fmt.Sprintf("%s  ·  %s %s  ·  %s", b.where(), thousands(total), noun, humanBytes(b.cat.totalSize))
	if b.loadNote != "" {
		s += "  ·  " + b.loadNote
	}
	if n := b.refs.note(); n != "" {
		s += "  ·  " + n
	}
	b.statusL.SetText(s)
	b.liveL.SetText(b.live.String())
	if b.loading {
		b.progress.Show()
	} else {
		b.progress.Hide()
	}
	b.statusBar.Refresh() // the texts changed width: lay the bar (and its statusLayout) out again
}

func (b *Browser) refreshDetails() {
	a, ok := b.cat.get(b.sel.focus)
	if !ok {
		b.details.show(nil)
		return
	}
	b.details.show(&a)
}

// hover shows why a hovered attachment is not healthy, or why its
// thumbnail could not be made.
func (b *Browser) hover(id store.ID) {
	if id == "" {
		b.hoverL.SetText("")
		return
	}
	a, ok := b.cat.get(id)
	if !ok {
		return
	}
	var note string
	if a.Status != store.StatusOK {
		note = a.Status.Explain()
		if a.Detail != "" {
			note = a.Detail + ". " + note
		}
	}
	if err := b.thumbErrs[id]; err != nil {
		note = "No picture: " + err.Error()
	}
	if note == "" {
		note = oneLine(b.cat.displayLabel(id))
	}
	b.hoverL.SetText(note)
}

// flash shows a passing note in the status bar.
func (b *Browser) flash(s string) {
	b.hoverL.SetText(s)
	time.AfterFunc(4*time.Second, func() {
		b.q.post(func() {
			if b.hoverL.Text == s {
				b.hoverL.SetText("")
			}
		})
	})
}

// showError tells the person what went wrong, in words.
func (b *Browser) showError(err error) {
	b.showDialog(dialog.NewError(err, b.win))
}

// statusLayout puts the status bar's two texts side by side: the store's
// path, count, size and what is being done get the width they need (up to
// three quarters of the bar), the hover and flash notes the rest. Half
// each cut the listing's progress off the end.
type statusLayout struct {
	left    *widget.Label
	measure *widget.Label // the left text untruncated, for its width
}

func (l *statusLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if l.measure == nil {
		l.measure = widget.NewLabel("")
	}
	if l.measure.Text != l.left.Text {
		l.measure.SetText(l.left.Text)
	}
	// Fyne's ellipsis cuts text a padding short of the label's own minimum
	// width, so ask for that much more.
	want := l.measure.MinSize().Width + 2*theme.InnerPadding()
	w := min(want, size.Width*3/4)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(w, size.Height))
	objs[1].Move(fyne.NewPos(w+theme.Padding(), 0))
	objs[1].Resize(fyne.NewSize(max(0, size.Width-w-theme.Padding()), size.Height))
}

func (l *statusLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(a.Width+theme.Padding()+b.Width, max(a.Height, b.Height))
}
