package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// kindExplain is a sentence about each kind of stray path doctor finds.
// (Attachment statuses explain themselves: store.Status.Explain.)
var kindExplain = map[string]string{
	string(store.FindingTempLitter): "A temporary file left by a write that never finished (a crash or a killed process). Nothing reads it.",
	string(store.FindingMisplaced):  "A blob or sidecar outside its prefix folder, where lash will never look for it.",
	string(store.FindingSymlink):    "A symbolic link. lash and lashview never follow links in the store; only a person can tell whether it belongs there.",
	string(store.FindingForeign):    "A file or folder lash did not write. lashview leaves it alone for a person to look at.",
}

// verifyExplain is a sentence about each verify outcome that is a problem.
var verifyExplain = map[store.VerifyStatus]string{
	store.VerifyCorrupt:      "The bytes no longer hash to the blob's name: the file was changed or damaged after lash wrote it. Move it to the Trash from the grid if it cannot be recovered.",
	store.VerifyUndecodable:  "The bytes are not an image that can be decoded, so lash cannot show it.",
	store.VerifyTypeMismatch: "The image decodes, but as another type than its sidecar says.",
	store.VerifyTooLarge:     "The image claims more pixels than lashview decodes, so it was not checked.",
	store.VerifyUnreadable:   "The blob could not be read.",
	store.VerifySymlink:      "The blob is a symbolic link, which is never followed or checked.",
}

// healthView is the Store Health dialog: doctor's findings grouped by kind,
// each with what it means and the fix proposed; Fix selected and Fix all
// apply the store's recoverable fixes (as `lashview doctor --fix`); Verify
// re-hashes every blob (as `lashview verify`).
type healthView struct {
	e   *editor
	st  store.Face
	dlg dialog.Dialog

	summary  *widget.Label
	result   *widget.Label
	list     *fyne.Container
	scroll   *container.Scroll
	bar      *widget.ProgressBar
	barBox   *fyne.Container
	scanBtn  *widget.Button
	verBtn   *widget.Button
	fixSel   *widget.Button
	fixAll   *widget.Button
	checks   map[string]*widget.Check // by problem path
	report   *store.DoctorReport
	verified []store.VerifyResult // problems of the last verify
	inTrash  map[store.ID]bool    // blobs of this store in lashview's Trash (dangling.go)
	cancel   context.CancelFunc   // ends the scan, fix or verify running
}

// showHealth opens the Store Health dialog and scans the store.
func (e *editor) showHealth() {
	if !e.storeReady("check the store's health") {
		return
	}
	if e.health == nil || e.health.st != e.b.face {
		e.health = newHealthView(e)
		e.setHealthBadge(0) // the badge was about another store
	}
	e.b.showDialog(e.health.dlg)
	e.health.scan()
}

func newHealthView(e *editor) *healthView {
	h := &healthView{e: e, st: e.b.face, checks: map[string]*widget.Check{}}
	h.summary = widget.NewLabel("")
	h.summary.Wrapping = fyne.TextWrapWord
	h.result = widget.NewLabel("")
	h.result.Wrapping = fyne.TextWrapWord
	h.result.Hide()
	h.scanBtn = widget.NewButtonWithIcon("Scan again", theme.ViewRefreshIcon(), h.scan)
	h.verBtn = widget.NewButtonWithIcon("Verify blobs", theme.SearchIcon(), h.verify)
	h.fixSel = widget.NewButton("Fix selected", func() { h.fix(h.chosen()) })
	h.fixAll = widget.NewButton("Fix all", func() { h.fix(nil) })
	h.fixAll.Importance = widget.HighImportance
	h.bar = widget.NewProgressBar()
	stop := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if h.cancel != nil {
			h.cancel()
		}
	})
	h.barBox = container.NewBorder(nil, nil, nil, stop, h.bar)
	h.barBox.Hide()
	h.list = container.NewVBox()
	h.scroll = container.NewVScroll(h.list)
	top := container.NewVBox(
		container.NewHBox(h.scanBtn, h.verBtn, widget.NewSeparator(), h.fixSel, h.fixAll),
		h.barBox, h.summary, h.result, widget.NewSeparator())
	content := container.NewBorder(top, nil, nil, nil, h.scroll)
	h.dlg = dialog.NewCustom("Store health — "+e.b.where(), "Close", content, e.b.win)
	h.dlg.SetOnClosed(func() {
		if h.cancel != nil {
			h.cancel()
		}
	})
	h.dlg.Resize(fyne.NewSize(820, 600))
	return h
}

// busy reports whether a scan, fix or verify is running.
func (h *healthView) busy() bool { return h.cancel != nil }

// begin starts background work: buttons off, the bar shown.
func (h *healthView) begin(what string, determinate bool) context.Context {
	ctx, cancel := context.WithCancel(h.e.b.storeCtx)
	h.cancel = cancel
	for _, btn := range []*widget.Button{h.scanBtn, h.verBtn, h.fixSel, h.fixAll} {
		btn.Disable()
	}
	h.summary.SetText(what)
	h.bar.SetValue(0)
	if determinate {
		h.barBox.Show()
	}
	return ctx
}

// end finishes background work.
func (h *healthView) end() {
	if h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
	h.barBox.Hide()
	h.scanBtn.Enable()
	h.verBtn.Enable()
	h.updateFixButtons()
}

// scan runs doctor without fixing (as `lashview doctor`).
func (h *healthView) scan() {
	if h.busy() {
		return
	}
	ctx := h.begin("Looking through the store…", false)
	st, tc := h.st, h.e.b.cfg.Trash
	h.e.b.background(func(context.Context) func() {
		rep, err := st.Doctor(ctx, store.DoctorOptions{Can: tc})
		inTrash, terr := trashedOf(ctx, st, tc)
		return func() {
			h.end()
			if err != nil {
				h.summary.SetText("The store could not be checked: " + err.Error())
				return
			}
			if terr != nil {
				h.e.b.flash("What is in " + h.e.b.trashName() + " could not be read: " + terr.Error())
			}
			h.report, h.inTrash = rep, inTrash
			h.show()
		}
	})
}

// fix applies the fixes of the problems at paths (nil: all) with
// store.Doctor{Fix}, reports what was done, and scans again.
func (h *healthView) fix(paths []string) {
	if h.busy() || h.report == nil {
		return
	}
	if paths != nil && len(paths) == 0 {
		h.e.b.flash("Tick the problems to fix first")
		return
	}
	ctx := h.begin("Fixing…", true)
	b := h.e.b
	st, tc := h.st, b.cfg.Trash
	h.e.b.background(func(context.Context) func() {
		rep, err := st.Doctor(ctx, store.DoctorOptions{Fix: true, Only: paths, Can: tc,
			Progress: func(done, total int) {
				b.q.post(func() { h.bar.SetValue(float64(done) / float64(max(total, 1))) })
			}})
		return func() {
			h.end()
			if rep != nil {
				h.result.SetText(fixSummary(rep, b.trashName()))
				h.result.Show()
			}
			if err != nil {
				b.showError(fmt.Errorf("the repairs stopped: %w", err))
			}
			h.scan()
			b.rescan()
		}
	})
}

// fixSummary says what a doctor --fix did, in words.
func fixSummary(rep *store.DoctorReport, trash string) string {
	var done, failed []string
	for _, p := range rep.Problems {
		switch {
		case p.Err != nil:
			failed = append(failed, fmt.Sprintf("• %s: %v", p.Path, p.Err))
		case p.Fixed:
			line := "• " + p.Path + ": " + p.FixDetail
			if p.Outcome != "" {
				line = "• " + p.Path + ": " + p.Outcome
			}
			done = append(done, line)
		}
	}
	var s []string
	if len(done) == 0 && len(failed) == 0 {
		s = append(s, "Nothing needed fixing.")
	}
	if len(done) > 0 {
		s = append(s, fmt.Sprintf("Fixed %s:\n%s", plural(len(done), "problem"), strings.Join(done, "\n")))
	}
	if len(failed) > 0 {
		s = append(s, fmt.Sprintf("%s could not be fixed:\n%s", plural(len(failed), "problem"), strings.Join(failed, "\n")))
	}
	if rep.Batch != nil {
		s = append(s, "What was removed or replaced is in "+trash+"; `lashview restore` undoes the whole repair.")
	}
	return strings.Join(s, "\n\n")
}

// verify re-hashes and decodes every blob (as `lashview verify`), with
// progress and Cancel, and adds what it finds to the list.
func (h *healthView) verify() {
	if h.busy() {
		return
	}
	ctx := h.begin("Verifying every blob…", true)
	b := h.e.b
	st := h.st
	h.e.b.background(func(context.Context) func() {
		rep, err := st.Verify(ctx, store.VerifyOptions{Progress: func(p store.VerifyProgress) {
			b.q.post(func() {
				if p.TotalBytes > 0 {
					h.bar.SetValue(float64(p.Bytes) / float64(p.TotalBytes))
				}
				h.summary.SetText(fmt.Sprintf("Verifying: %s of %s blobs, %s of %s", thousands(p.Files), thousands(p.TotalFiles), humanBytes(p.Bytes), humanBytes(p.TotalBytes)))
			})
		}})
		return func() {
			h.end()
			if err != nil {
				h.summary.SetText("Verify stopped: " + err.Error())
				return
			}
			h.verified = rep.Problems()
			verdict := "all hash to their names and decode"
			if len(h.verified) > 0 {
				verdict = plural(len(h.verified), "problem") + " found"
			}
			h.result.SetText(fmt.Sprintf("Verified %s (%s) in %s: %s.", plural(len(rep.Results), "blob"), humanBytes(rep.Bytes),
				rep.Elapsed.Round(10*time.Millisecond), verdict))
			h.result.Show()
			h.show()
		}
	})
}

// show lists the last report's problems grouped by kind, and the last
// verify's, and sets the toolbar badge.
func (h *healthView) show() {
	h.list.RemoveAll()
	h.checks = map[string]*widget.Check{}
	rep := h.report
	var problems []store.Problem
	if rep != nil {
		problems = rep.Problems
	}
	groups := map[string][]store.Problem{}
	var kinds []string
	for _, p := range problems {
		if groups[p.Kind] == nil {
			kinds = append(kinds, p.Kind)
		}
		groups[p.Kind] = append(groups[p.Kind], p)
	}
	sort.Strings(kinds)
	fixable := 0
	for _, k := range kinds {
		ps := groups[k]
		h.list.Add(heading(fmt.Sprintf("%s (%d)", badgeText(store.Status(k)), len(ps))))
		h.list.Add(wrapped(explainKind(k)))
		for _, p := range ps {
			text := p.Path
			if p.Detail != "" {
				text += " — " + p.Detail
			}
			fixText := "Fix: " + p.FixDetail
			if !p.Fix.Changes() {
				fixText = "Left as it is: " + p.FixDetail
			}
			if p.Fix.Changes() {
				fixable++
				c := widget.NewCheck(text, func(bool) { h.updateFixButtons() })
				h.checks[p.Path] = c
				h.list.Add(c)
			} else {
				h.list.Add(wrapped("• " + text))
			}
			h.list.Add(indent(wrapped(fixText)))
		}
		h.list.Add(widget.NewSeparator())
	}
	byStatus := map[store.VerifyStatus][]store.VerifyResult{}
	var statuses []store.VerifyStatus
	for _, r := range h.verified {
		if byStatus[r.Status] == nil {
			statuses = append(statuses, r.Status)
		}
		byStatus[r.Status] = append(byStatus[r.Status], r)
	}
	sort.Slice(statuses, func(i, j int) bool { return statuses[i] < statuses[j] })
	for _, s := range statuses {
		rs := byStatus[s]
		h.list.Add(heading(fmt.Sprintf("Verify: %s (%d)", badgeText(store.Status(s)), len(rs))))
		h.list.Add(wrapped(verifyExplain[s]))
		for _, r := range rs {
			h.list.Add(wrapped(fmt.Sprintf("• %s — %s", r.ID, r.Detail)))
		}
		h.list.Add(indent(wrapped("Left as it is: verify only reports; nothing is changed.")))
		h.list.Add(widget.NewSeparator())
	}
	n := len(problems) + len(h.verified) + h.showDangling()
	switch {
	case n == 0:
		h.summary.SetText("The store is healthy: nothing needs care.")
	case fixable == 0:
		h.summary.SetText(fmt.Sprintf("%s found; none has a fix lashview can apply: a person should look at them.", plural(n, "problem")))
	default:
		h.summary.SetText(fmt.Sprintf("%s found; %d can be fixed. Fixes never delete: what they remove or replace goes to %s.", plural(n, "problem"), fixable, h.e.b.trashName()))
	}
	h.list.Refresh()
	h.updateFixButtons()
	h.e.setHealthBadge(n)
}

// chosen are the paths of the ticked problems.
func (h *healthView) chosen() []string {
	paths := []string{}
	for p, c := range h.checks {
		if c.Checked {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	return paths
}

func (h *healthView) updateFixButtons() {
	if h.busy() || len(h.checks) == 0 {
		h.fixSel.Disable()
		h.fixAll.Disable()
		return
	}
	h.fixAll.Enable()
	if len(h.chosen()) > 0 {
		h.fixSel.Enable()
	} else {
		h.fixSel.Disable()
	}
}

// setHealthBadge marks the toolbar's Health button when the last scan
// found problems.
func (e *editor) setHealthBadge(n int) {
	e.healthFound = n
	if n > 0 {
		e.healthBtn.SetText(fmt.Sprintf("Health · %d", n))
		e.healthBtn.Importance = widget.DangerImportance
	} else {
		e.healthBtn.SetText("Health")
		e.healthBtn.Importance = widget.MediumImportance
	}
	e.healthBtn.Refresh()
}

// explainKind is the sentence about a kind of problem.
func explainKind(k string) string {
	if s, ok := kindExplain[k]; ok {
		return s
	}
	return store.Status(k).Explain()
}

func heading(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func wrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func indent(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, widget.NewLabel("   "), nil, o)
}
