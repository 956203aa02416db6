package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/sessions"
	"lashview/store"
)

// prefGrace is the Clean up view's grace period, as time.Duration text.
const prefGrace = "cleanup.grace"

// cleanupView is the Clean up dialog: what lash's own attachment sweep
// would reclaim from the open store (sessions.Collect, the rule of
// `lashview gc`), with a grace period the person sets, the count and size,
// a preview, and one action that moves them all to the Trash as one batch
// that Undo brings back.
type cleanupView struct {
	b   *Browser
	st  store.Face
	dlg dialog.Dialog

	grace    time.Duration
	graceIn  *widget.Entry
	graceErr *widget.Label
	summary  *widget.Label
	list     *widget.List
	moveBtn  *widget.Button

	items []cleanupItem // the preview, by id
	size  int64
	gen   int // bumps on every computation: a late result is dropped
}

// cleanupItem is one blob lash would reclaim, and why.
type cleanupItem struct {
	id  store.ID
	why string
}

// graceOf reads the remembered grace period (lash's default without one).
func (p prefs) grace() time.Duration {
	if d, err := time.ParseDuration(p.p.String(prefGrace)); err == nil && d >= 0 {
		return d
	}
	return sessions.DefaultGrace
}

// showCleanup opens the Clean up view of the open store.
func (e *editor) showCleanup() {
	b := e.b
	if !e.storeReady("clean up the store") {
		return
	}
	c := b.refs.cleanup
	if c == nil || c.st != b.face {
		c = newCleanupView(b)
		b.refs.cleanup = c
	}
	c.b.showDialog(c.dlg)
	c.compute()
}

func newCleanupView(b *Browser) *cleanupView {
	c := &cleanupView{b: b, st: b.face, grace: b.prefs.grace()}
	intro := wrapped("lash deletes, by itself, every blob that no session keeps once it is older than a grace period (its default is 1 hour). Here is what that clean-up would take from this store now. Moving them to " + b.trashName() + " can be undone.")
	c.graceIn = widget.NewEntry()
	c.graceIn.SetText(formatGrace(c.grace))
	c.graceIn.OnChanged = c.onGrace
	c.graceIn.OnSubmitted = c.onGrace
	c.graceErr = widget.NewLabel("")
	c.graceErr.Importance = widget.DangerImportance
	c.graceErr.Hide()
	hint := widget.NewLabel("like 90m, 1h, 36h; Enter or typing previews again")
	hint.SizeName = theme.SizeNameCaptionText
	graceRow := container.NewHBox(widget.NewLabel("Grace period:"), container.NewGridWrap(fyne.NewSize(110, c.graceIn.MinSize().Height), c.graceIn),
		hint, c.graceErr)
	c.summary = wrapped("")
	c.moveBtn = widget.NewButtonWithIcon(moveTo(b.trashName()), theme.DeleteIcon(), c.move)
	c.moveBtn.Importance = widget.HighImportance
	c.moveBtn.Disable()
	c.list = widget.NewList(
		func() int { return len(c.items) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(c.items) {
				o.(*widget.Label).SetText(c.row(c.items[i]))
			}
		})
	top := container.NewVBox(intro, graceRow, c.summary, widget.NewSeparator())
	bottom := container.NewVBox(widget.NewSeparator(), container.NewHBox(c.moveBtn))
	content := container.NewBorder(top, bottom, nil, nil, c.list)
	c.dlg = dialog.NewCustom("Clean up — "+b.where(), "Close", content, b.win)
	c.dlg.Resize(fyne.NewSize(820, 560))
	return c
}

// formatGrace writes a duration as a person would type it: 1h, 90m, 36h.
func formatGrace(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0s"
	}
	return s
}

// onGrace takes a new grace period as it is typed, remembers it, and
// previews again.
func (c *cleanupView) onGrace(s string) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		c.graceErr.SetText("not a duration")
		c.graceErr.Show()
		return
	}
	c.graceErr.Hide()
	if d == c.grace {
		return
	}
	c.grace = d
	c.b.prefs.p.SetString(prefGrace, d.String())
	c.compute()
}

// row is a preview line: label, size, age, and why lash would take it.
func (c *cleanupView) row(it cleanupItem) string {
	a, _ := c.b.cat.get(it.id)
	name := it.id.Short()
	if l := c.b.cat.displayLabel(it.id); l != name {
		name += "  “" + oneLine(l) + "”"
	}
	return fmt.Sprintf("%s  ·  %s  ·  modified %s  ·  %s", name, humanBytes(a.Size), ago(c.b.now(), a.Modified), it.why)
}

// blobs are the store's blobs as the catalog knows them.
func (c *cleanupView) blobs() []sessions.Blob {
	out := make([]sessions.Blob, 0, len(c.b.cat.byID))
	for id, e := range c.b.cat.byID {
		if e.att.HasBlob {
			out = append(out, sessions.Blob{ID: id, ModTime: e.att.Modified})
		}
	}
	return out
}

// refusal is why nothing can be judged without an index, or "".
func (c *cleanupView) refusal() string {
	r := c.b.refs
	switch {
	case r.loading:
		return "Reading lash's sessions… the preview follows."
	case r.missing:
		return "There are no lash sessions at " + tildePath(r.src.String()) + ", so lashview cannot tell which blobs are still in use. Nothing is offered for deletion."
	case r.err != nil:
		return "lash's sessions could not be read, so lashview cannot tell which blobs are still in use: " + r.err.Error() + ". Nothing is offered for deletion."
	case r.ix == nil:
		return "lash's sessions have not been read yet."
	}
	return ""
}

// compute previews the sweep in the background (Collect over 100,000
// blobs is work for no UI goroutine), at the window's clock.
func (c *cleanupView) compute() {
	c.gen++
	gen, storeGen := c.gen, c.b.storeGen
	c.items, c.size = nil, 0
	c.moveBtn.Disable()
	c.list.Refresh()
	if why := c.refusal(); why != "" {
		c.summary.SetText(why)
		return
	}
	c.summary.SetText("Working out what lash would reclaim…")
	ix, blobs, now, grace := c.b.refs.ix, c.blobs(), c.b.now(), c.grace
	go func() {
		sw, err := sessions.Collect(ix, blobs, now, grace)
		c.b.q.post(func() {
			if gen != c.gen || storeGen != c.b.storeGen {
				return
			}
			c.show(ix, sw, err)
		})
	}()
}

// show fills the view with a sweep, or Collect's refusal in words.
func (c *cleanupView) show(ix *sessions.Index, sw sessions.Sweep, err error) {
	var refused *sessions.RefusedError
	switch {
	case errors.As(err, &refused):
		var lines []string
		for _, p := range refused.Problems {
			lines = append(lines, "• "+p.File+": "+p.Reason)
		}
		c.summary.SetText("Nothing can be cleaned up safely: " + plural(len(refused.Problems), "session database") +
			" could not be read, and an unread session may use any blob (lash's own clean-up stops here too):\n" + strings.Join(lines, "\n"))
		return
	case err != nil:
		c.summary.SetText("Nothing can be cleaned up: " + err.Error())
		return
	}
	for _, id := range sw.Reclaimable {
		a, ok := c.b.cat.get(id)
		if !ok {
			continue
		}
		c.items = append(c.items, cleanupItem{id: id, why: reclaimWhy(ix.Uses(id))})
		c.size += a.Size
	}
	grace := formatGrace(c.grace)
	s := fmt.Sprintf("%s (%s) would be reclaimed: no session keeps them and they are older than the grace period of %s.",
		plural(len(c.items), "attachment"), humanBytes(c.size), grace)
	if len(c.items) == 0 {
		s = fmt.Sprintf("Nothing to clean up: every blob older than the grace period of %s is kept by a session.", grace)
	}
	if n := len(sw.Spared); n > 0 {
		what := plural(n, "attachment") + " that no session keeps"
		if len(c.items) > 0 {
			what = plural(n, "more attachment") + " that no session keeps"
		}
		verb := "were"
		if n == 1 {
			verb = "was"
		}
		s += fmt.Sprintf(" %s %s modified within the grace period: lash spares them for now.", what, verb)
	}
	c.summary.SetText(s)
	c.list.Refresh()
	if len(c.items) > 0 {
		c.moveBtn.SetText(fmt.Sprintf("Move %s (%s) to %s", plural(len(c.items), "attachment"), humanBytes(c.size), c.b.trashName()))
		c.moveBtn.Enable()
	} else {
		c.moveBtn.SetText(moveTo(c.b.trashName()))
	}
}

// reclaimWhy says why lash would take a blob some session may still name.
func reclaimWhy(uses []sessions.Use) string {
	for _, u := range uses {
		if u.Manifest && !u.Committed {
			return fmt.Sprintf("an old intent of %s, never committed", u.Session.Title())
		}
	}
	if len(uses) > 0 {
		return "shown by " + uses[0].Session.Title() + " without a manifest row"
	}
	return "no session names it"
}

// move sends what the preview lists to the Trash in one batch, after
// judging again with the catalog and clock of now: only what lash would
// still reclaim goes.
func (c *cleanupView) move() {
	b := c.b
	if b.ed.busy || len(c.items) == 0 || b.refs.ix == nil || c.st != b.face {
		return
	}
	sw, err := sessions.Collect(b.refs.ix, c.blobs(), b.now(), c.grace)
	if err != nil {
		c.show(b.refs.ix, sw, err)
		return
	}
	still := map[store.ID]bool{}
	for _, id := range sw.Reclaimable {
		still[id] = true
	}
	var ids []store.ID
	var size int64
	for _, it := range c.items {
		if still[it.id] {
			a, _ := b.cat.get(it.id)
			ids = append(ids, it.id)
			size += a.Size
		}
	}
	if len(ids) == 0 {
		c.compute()
		return
	}
	c.dlg.Hide()
	b.ed.trash(ids, size, b.ed.describe(ids))
}

// moveTo is the clean-up button's words: "Move to Trash", "Move to the
// bucket's trash area".
func moveTo(trash string) string {
	if trash == "the Trash" {
		return "Move to Trash"
	}
	return "Move to " + trash
}
