package ui

import (
	"fmt"
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// previewSize is the details panel's preview box, in device-independent pixels.
const previewSize = 260

// detailsPanel shows everything known of the focused attachment.
type detailsPanel struct {
	host    detailsHost
	cat     *catalog
	relabel *relabeler // the title's label field and pencil
	obj     fyne.CanvasObject
	id      store.ID

	empty       *widget.Label
	body        *fyne.Container
	content     *fyne.Container // empty or body, laid out again when one shows
	preview     *canvas.Image
	placeholder *canvas.Rectangle
	broken      *widget.Label
	title       *widget.Label
	fields      map[string]*widget.Label
	status      *widget.Label
	explain     *widget.Label
	selCount    *widget.Label
	usedBy      *usedBySection
}

// detailRows are the panel's fields, in order.
var detailRows = []string{"ID", "Reference", "Media type", "Size", "Dimensions", "Modified", "Path"}

func newDetailsPanel(host detailsHost, cat *catalog, act *actions, relabel *relabeler, usedBy *usedBySection) *detailsPanel {
	d := &detailsPanel{host: host, cat: cat, relabel: relabel, usedBy: usedBy, fields: map[string]*widget.Label{}}
	d.empty = widget.NewLabel("Select an attachment to see its details.")
	d.empty.Wrapping = fyne.TextWrapWord
	d.preview = &canvas.Image{FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScaleSmooth}
	d.preview.SetMinSize(fyne.NewSize(previewSize, previewSize))
	d.preview.Hide()
	d.placeholder = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	d.placeholder.SetMinSize(fyne.NewSize(previewSize, previewSize))
	d.broken = widget.NewLabel("")
	d.broken.Wrapping = fyne.TextWrapWord
	d.broken.Alignment = fyne.TextAlignCenter
	d.broken.Hide()
	d.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.title.Wrapping = fyne.TextWrapWord
	d.selCount = widget.NewLabel("")
	d.selCount.Hide()

	// Caption above value, not a two-column form: ids and paths are long,
	// and wrapped text in a form's narrow value column overlaps.
	form := container.NewVBox()
	caption := func(name string) *widget.Label {
		l := widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.SizeName = theme.SizeNameCaptionText
		return l
	}
	for _, name := range detailRows {
		v := widget.NewLabel("")
		v.Wrapping = fyne.TextWrapBreak
		v.Selectable = true
		d.fields[name] = v
		head := fyne.CanvasObject(caption(name))
		switch name {
		case "ID":
			head = container.NewHBox(caption(name), copyButton(func() { act.copyText("id", string(d.id)) }))
		case "Reference":
			head = container.NewHBox(caption(name), copyButton(act.copyRef))
		}
		form.Add(head)
		form.Add(v)
	}
	d.status = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.explain = widget.NewLabel("")
	d.explain.Wrapping = fyne.TextWrapWord
	form.Add(caption("Status"))
	form.Add(d.status)

	previewBox := container.NewStack(d.placeholder, d.preview, container.NewCenter(d.broken))
	d.body = container.NewVBox(previewBox, relabel.row(d.title), d.selCount, d.usedBy.obj, form, d.explain)
	d.body.Hide()
	d.content = container.NewVBox(d.empty, d.body)
	d.obj = container.NewVScroll(container.NewPadded(d.content))
	return d
}

func copyButton(f func()) *widget.Button {
	btn := widget.NewButtonWithIcon("", theme.ContentCopyIcon(), f)
	btn.Importance = widget.LowImportance
	return btn
}

// show fills the panel with a (nil: nothing selected).
func (d *detailsPanel) show(a *store.Attachment) {
	if a == nil {
		d.id = ""
		d.relabel.follow("")
		if !d.empty.Visible() {
			d.empty.Show()
			d.body.Hide()
			d.content.Refresh()
		}
		return
	}
	if !d.body.Visible() {
		d.empty.Hide()
		d.body.Show()
		d.content.Refresh()
	}
	changed := d.id != a.ID
	d.id = a.ID
	d.relabel.follow(a.ID)
	switch e := d.cat.byID[a.ID]; {
	case a.Label != nil && *a.Label == "":
		d.title.SetText("(empty label)")
	case e != nil && e.named:
		d.title.SetText(oneLine(e.display)) // the store's label, or for a blob alone the sessions'
	case a.Label != nil:
		d.title.SetText(oneLine(*a.Label))
	default:
		d.title.SetText("(no label)")
	}
	if n := d.host.selectedCount(); n > 1 {
		d.selCount.SetText(fmt.Sprintf("%s attachments selected; this one has the focus.", thousands(n)))
		d.selCount.Show()
	} else {
		d.selCount.Hide()
	}
	f := d.fields
	f["ID"].SetText(string(a.ID))
	f["Reference"].SetText(a.Reference())
	if a.MIME != "" {
		f["Media type"].SetText(a.MIME)
	} else {
		f["Media type"].SetText("unknown")
	}
	f["Size"].SetText(fmt.Sprintf("%s bytes (%s)", thousands(int(a.Size)), humanBytes(a.Size)))
	if a.Width > 0 && a.Height > 0 {
		f["Dimensions"].SetText(fmt.Sprintf("%s × %s pixels", thousands(a.Width), thousands(a.Height)))
	} else {
		f["Dimensions"].SetText("unknown")
	}
	f["Modified"].SetText(a.Modified.Local().Format("2006-01-02 15:04:05 MST") + " (" + ago(d.host.clock(), a.Modified) + ")")
	path := placeOf(d.host.current(), store.BlobKey(a.ID))
	if !a.HasBlob {
		path = placeOf(d.host.current(), store.SidecarKey(a.ID)) + " (no blob)"
	}
	f["Path"].SetText(tildePath(path))
	d.status.SetText(string(a.Status))
	explain := a.Status.Explain()
	if a.Detail != "" {
		explain = a.Detail + ". " + explain
	}
	if err := d.host.thumbErr(a.ID); err != nil {
		explain += "\n\nNo picture can be shown: " + err.Error()
	}
	d.explain.SetText(explain)
	d.usedBy.show(a.ID)
	d.content.Refresh() // wrapped values changed height: lay the panel out again
	if changed || d.preview.Image == nil {
		id := a.ID
		if !a.HasBlob || a.Status == store.StatusSymlink {
			d.setPreview(nil, errNoBlob(*a))
		} else if isTypeTile(*a) {
			d.setPreview(nil, nil)
			d.broken.SetText(fmt.Sprintf("%s\n%s\nno picture to show: Open with… hands it to a program for %s", typeWord(a.MIME), humanBytes(a.Size), a.MIME))
			d.broken.Show()
		} else {
			d.host.thumbnail(id, previewSize, d.setPreview)
		}
	}
}

func (d *detailsPanel) setPreview(img image.Image, err error) {
	d.preview.Image = img
	if img == nil {
		d.preview.Hide() // an image object with no image is not drawn by every painter
	} else {
		d.preview.Show()
	}
	d.preview.Refresh()
	if err != nil {
		d.broken.SetText("⚠ No picture\n" + err.Error())
		d.broken.Show()
		d.placeholder.Show()
	} else {
		d.broken.Hide()
		if img != nil {
			d.placeholder.Hide()
		} else {
			d.placeholder.Show()
		}
	}
}

// ago is a rough "how long ago" for a time.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 60*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	case d < 730*24*time.Hour:
		return plural(int(d/(30*24*time.Hour)), "month") + " ago"
	}
	return plural(int(d/(365*24*time.Hour)), "year") + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
