package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lashview/store"
)

// askAbove is how many images a dropped folder may hold before the window
// asks whether to import them all.
const askAbove = 100

// barAbove is the size from which a single file shows the progress bar.
const barAbove = 8 << 20

// importView is the progress strip of an import: files done of total,
// bytes, and a Cancel button.
type importView struct {
	e      *editor
	box    *fyne.Container
	text   *widget.Label
	bar    *widget.ProgressBar
	cancel context.CancelFunc // ends the import running; nil when none is
	gen    int                // bumps with every import: a late finish of an old one is ignored
}

func newImportView(e *editor) *importView {
	v := &importView{e: e}
	v.text = widget.NewLabel("")
	v.text.Truncation = fyne.TextTruncateEllipsis
	v.bar = widget.NewProgressBar()
	stop := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		if v.cancel != nil {
			v.cancel()
		}
	})
	v.box = container.NewBorder(nil, nil, nil, stop, container.NewGridWithColumns(2, v.text, v.bar))
	v.box.Hide()
	return v
}

// running reports whether an import is in progress.
func (v *importView) running() bool { return v.cancel != nil }

// candidate is one file an import looks at.
type candidate struct {
	path     string
	size     int64
	inFolder bool // found inside a dropped folder, not named itself
}

// refusal is a file an import will not put, and why.
type refusal struct {
	path string
	why  string
}

// plan is what an import will do, worked out before anything is written.
type plan struct {
	files   []candidate
	refused []refusal
	skipped int // files inside folders that are not images
	folders int // folders among what was dropped
	bytes   int64
	// blobOnly: the store takes files of any type as blob-only
	// attachments (its Writes).
	blobOnly bool
}

// importOutcome is what an import did.
type importOutcome struct {
	added    []store.ID
	dups     []duplicate
	failed   []refusal
	canceled bool
	// shown are the added and duplicate attachments as the store holds
	// them now, examined off the UI goroutine.
	shown []store.Attachment
}

// duplicate is a file whose bytes the store already held.
type duplicate struct {
	path  string
	id    store.ID
	label string
}

// chooseImport asks for image files (the Import… button) and imports them
// as a drop would. Fyne's file dialog picks one file, so the desktop's own
// dialog (zenity or kdialog), which picks several, is used when there is one.
func (e *editor) chooseImport() {
	if !e.storeReady("import images") {
		return
	}
	if cmd := nativeMultiOpen(); cmd != nil {
		go func() {
			out, err := cmd.Output()
			e.b.q.post(func() {
				var exit *exec.ExitError
				switch {
				case errors.As(err, &exit) && exit.ExitCode() == 1:
					return // cancelled
				case err != nil:
					e.b.showError(fmt.Errorf("the file dialog %s failed: %w", cmd.Path, err))
					return
				}
				var paths []string
				for _, p := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
					if p != "" {
						paths = append(paths, p)
					}
				}
				e.importPaths(paths)
			})
		}()
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			e.b.showError(fmt.Errorf("cannot open that file: %w", err))
			return
		}
		if r == nil {
			return // cancelled
		}
		path := r.URI().Path()
		if cerr := r.Close(); cerr != nil {
			e.b.showError(fmt.Errorf("cannot read %s: %w", path, cerr))
			return
		}
		e.importPaths([]string{path})
	}, e.b.win)
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// nativeMultiOpen is the desktop's multi-file open dialog, printing one
// path a line, or nil when neither zenity nor kdialog is installed.
func nativeMultiOpen() *exec.Cmd {
	if p, err := exec.LookPath("zenity"); err == nil {
		return exec.Command(p, "--file-selection", "--multiple", "--separator=\n", "--title=Import images",
			"--file-filter=Images | *.png *.PNG *.jpg *.jpeg *.JPG *.JPEG *.gif *.GIF *.webp *.WEBP *.bmp *.BMP", "--file-filter=All files | *")
	}
	if p, err := exec.LookPath("kdialog"); err == nil {
		return exec.Command(p, "--getopenfilename", ".", "image/png image/jpeg image/gif image/webp image/bmp", "--multiple", "--separate-output", "--title", "Import images")
	}
	return nil
}

// chooseImportFolder asks for a folder and imports the images inside it,
// as dropping the folder would.
func (e *editor) chooseImportFolder() {
	if !e.storeReady("import images") {
		return
	}
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			e.b.showError(fmt.Errorf("cannot open that folder: %w", err))
			return
		}
		if u == nil {
			return // cancelled
		}
		e.importPaths([]string{u.Path()})
	}, e.b.win)
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// importPaths is the named drop handler's work (and Import…'s): it puts
// the files, and the images inside folders, into the store in the
// background with store.Put, labelled with the file name as `lashview put`
// does. Nothing at the source is changed. Bytes the store already holds
// are not stored again; files that are not images are refused in one
// message. At the end the new attachments are selected and shown.
func (e *editor) importPaths(paths []string) {
	b := e.b
	if len(paths) == 0 {
		return
	}
	if !e.storeReady("import images") {
		return
	}
	if e.imp.running() {
		b.showError(errors.New("an import is still running: wait for it, or cancel it, before adding more"))
		return
	}
	st := b.face
	ctx, cancel := context.WithCancel(b.storeCtx)
	e.imp.cancel = cancel
	e.imp.gen++
	gen := e.imp.gen
	if manyOrFolder(paths) {
		// Walking a big folder takes a while: show the strip (and Cancel) now.
		e.imp.show("Looking at what was dropped…", 0)
	}
	go func() {
		writes, werr := st.Writes(ctx)
		p := planImport(ctx, paths, writes == store.GenBlobOnly)
		p.blobOnly = writes == store.GenBlobOnly
		b.q.post(func() {
			if st != b.face {
				cancel()
				e.imp.finish(gen)
				return
			}
			if werr != nil && ctx.Err() == nil {
				cancel()
				e.imp.finish(gen)
				b.showError(fmt.Errorf("nothing was imported: what %s holds could not be read: %w", b.where(), werr))
				return
			}
			if ctx.Err() != nil {
				// Cancelled while the drop was being looked at: nothing
				// was put.
				e.imp.finish(gen)
				e.report(p, importOutcome{canceled: true})
				return
			}
			start := func() { e.runImport(ctx, gen, st, p) }
			inFolders := 0
			for _, c := range p.files {
				if c.inFolder {
					inFolders++
				}
			}
			if inFolders > askAbove {
				b.showDialog(dialog.NewConfirm("Import a folder",
					fmt.Sprintf("The folder holds %s images (%s). Import them all into the store?", thousands(inFolders), humanBytes(p.bytes)),
					func(ok bool) {
						if !ok {
							cancel()
							e.imp.finish(gen)
							e.report(p, importOutcome{canceled: true})
							return
						}
						start()
					}, b.win))
				return
			}
			start()
		})
	}()
}

// manyOrFolder reports whether a drop is several files or holds a folder.
func manyOrFolder(paths []string) bool {
	if len(paths) > 1 {
		return true
	}
	fi, err := os.Stat(paths[0])
	return err == nil && fi.IsDir()
}

// planImport walks what was dropped: files are candidates, folders are
// walked for images (without following symbolic links); anything that is
// not a regular image file is refused or, inside a folder, skipped. With
// anyType (a blob-only store, where lash alpha.111 keeps any file) every
// regular file is a candidate.
func planImport(ctx context.Context, paths []string, anyType bool) plan {
	var p plan
	consider := func(path string, inFolder bool) {
		fi, err := os.Stat(path)
		if err != nil {
			p.refused = append(p.refused, refusal{path, unwrapPath(err).Error()})
			return
		}
		if !fi.Mode().IsRegular() {
			if !inFolder {
				p.refused = append(p.refused, refusal{path, "not a regular file"})
			}
			return
		}
		if kind, err := sniffFile(path); err != nil || kind == "" && !anyType {
			if inFolder {
				p.skipped++
				return
			}
			why := "not a " + store.AcceptedTypes + " image"
			if err != nil {
				why = err.Error()
			}
			p.refused = append(p.refused, refusal{path, why})
			return
		}
		p.files = append(p.files, candidate{path: path, size: fi.Size(), inFolder: inFolder})
		p.bytes += fi.Size()
	}
	for _, path := range paths {
		if ctx.Err() != nil {
			return p
		}
		fi, err := os.Stat(path)
		if err == nil && fi.IsDir() {
			p.folders++
			var inside []string
			werr := filepath.WalkDir(path, func(q string, d fs.DirEntry, err error) error {
				if err != nil {
					p.refused = append(p.refused, refusal{q, unwrapPath(err).Error()})
					return nil
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if d.Type().IsRegular() {
					inside = append(inside, q)
				}
				return nil
			})
			if werr != nil && ctx.Err() == nil {
				p.refused = append(p.refused, refusal{path, werr.Error()})
			}
			sort.Strings(inside)
			for _, q := range inside {
				consider(q, true)
			}
			continue
		}
		consider(path, false)
	}
	return p
}

// sniffFile names the image type of a file from its first bytes.
func sniffFile(path string) (store.MediaType, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", unwrapPath(err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	return store.Sniff(head[:n]), nil
}

// runImport puts the planned files one by one, reporting progress to the
// strip at most ten times a second.
func (e *editor) runImport(ctx context.Context, gen int, st store.Face, p plan) {
	b := e.b
	showBar := len(p.files) > 1 || p.bytes >= barAbove
	if showBar {
		e.imp.show(fmt.Sprintf("Importing 0 of %s…", plural(len(p.files), "file")), 0)
	} else {
		e.imp.box.Hide()
		e.layoutBanner()
	}
	var bytesDone atomic.Int64
	var filesDone atomic.Int64
	life := b.lifetime()
	go func() {
		var out importOutcome
		last := time.Time{}
		tick := func(force bool) {
			if !showBar || (!force && time.Since(last) < 100*time.Millisecond) {
				return
			}
			last = time.Now()
			fd, bd := int(filesDone.Load()), bytesDone.Load()
			b.q.post(func() {
				if gen != e.imp.gen {
					return
				}
				frac := 0.0
				if p.bytes > 0 {
					frac = float64(bd) / float64(p.bytes)
				}
				e.imp.show(fmt.Sprintf("Importing %s of %s · %s of %s", thousands(fd), plural(len(p.files), "file"), humanBytes(bd), humanBytes(p.bytes)), frac)
			})
		}
		for _, c := range p.files {
			if ctx.Err() != nil {
				out.canceled = true
				break
			}
			id, dup, err := importOne(ctx, st, c.path, func(n int64) { bytesDone.Add(n); tick(false) })
			switch {
			case errors.Is(err, context.Canceled):
				out.canceled = true
			case err != nil:
				out.failed = append(out.failed, refusal{c.path, err.Error()})
			case dup != nil:
				out.dups = append(out.dups, *dup)
			default:
				out.added = append(out.added, id)
			}
			filesDone.Add(1)
			tick(true)
			if out.canceled {
				break
			}
		}
		if ctx.Err() != nil {
			out.canceled = true // after the last file: it was put, and says so
		}
		ids := slices.Clone(out.added)
		for _, d := range out.dups {
			ids = append(ids, d.id)
		}
		out.shown = examineAll(life, st, ids)
		b.q.post(func() {
			e.imp.finish(gen)
			if st != b.face {
				return
			}
			e.report(p, out)
		})
	}()
}

// importOne puts one file unless the store already holds its bytes.
// progress is told how many bytes were read as they are.
func importOne(ctx context.Context, st store.Face, path string, progress func(int64)) (store.ID, *duplicate, error) {
	sc, have, err := st.PutFile(ctx, path, store.PutFileOptions{KeepExisting: true, Progress: progress})
	switch {
	case errors.Is(err, store.ErrNotImage):
		return "", nil, fmt.Errorf("not a %s image", store.AcceptedTypes)
	case err != nil:
		return "", nil, err
	case have != nil:
		label := "(no label)"
		if have.Label != nil {
			label = "“" + oneLine(*have.Label) + "”"
		}
		return have.ID, &duplicate{path: path, id: have.ID, label: label}, nil
	}
	return store.ID(sc.ID), nil, nil
}

// report tells the person how the import went: a note in the status bar
// when all went well, a message naming duplicates, refusals and failures
// otherwise; and selects what was imported (and what was already there).
func (e *editor) report(p plan, out importOutcome) {
	b := e.b
	fresh := map[store.ID]bool{}
	var sel []store.ID
	for _, id := range out.added {
		fresh[id] = true
		sel = append(sel, id)
	}
	for _, d := range out.dups {
		if !fresh[d.id] {
			sel = append(sel, d.id)
		}
	}
	// In the order of sel: the added ones, then the duplicates.
	pos := make(map[store.ID]int, len(sel))
	for i, id := range sel {
		pos[id] = i
	}
	shown := slices.Clone(out.shown)
	slices.SortStableFunc(shown, func(a, b store.Attachment) int { return pos[a.ID] - pos[b.ID] })
	e.showAttachments(shown, fresh)

	blobOnly := p.blobOnly
	what := "image"
	if blobOnly {
		what = "file"
	}
	summary := fmt.Sprintf("Imported %s into %s", plural(len(out.added), what), b.where())
	if out.canceled {
		summary += " before the import was cancelled"
	}
	var parts []string
	if blobOnly && len(out.added) > 0 {
		parts = append(parts, store.BlobOnlyPutNote)
	}
	if len(out.dups) > 0 {
		var lines []string
		for _, d := range out.dups {
			lines = append(lines, fmt.Sprintf("%s was already in the store, labelled %s", filepath.Base(d.path), d.label))
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	refused := append(append([]refusal{}, p.refused...), out.failed...)
	if len(refused) > 0 {
		head := "1 file was"
		if len(refused) > 1 {
			head = fmt.Sprintf("%d files were", len(refused))
		}
		lines := []string{fmt.Sprintf("%s not imported (lash stores only %s images):", head, store.AcceptedTypes)}
		for _, r := range refused {
			lines = append(lines, fmt.Sprintf("• %s: %s", filepath.Base(r.path), r.why))
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	if p.skipped > 0 {
		what := "1 file in the dropped folders is not an image and was left alone."
		if p.skipped > 1 {
			what = fmt.Sprintf("%d files in the dropped folders are not images and were left alone.", p.skipped)
		}
		parts = append(parts, what)
	}
	b.flash(summary)
	if len(parts) > 0 {
		e.inform("Import", summary+".\n\n"+strings.Join(parts, "\n\n"))
	}
}

// show sets the strip's text and bar and makes it visible.
func (v *importView) show(text string, frac float64) {
	v.text.SetText(text)
	v.bar.SetValue(frac)
	if !v.box.Visible() {
		v.box.Show()
		v.e.layoutBanner()
	}
}

// finish ends import gen, unless another has started since.
func (v *importView) finish(gen int) {
	if gen == v.gen {
		v.done()
	}
}

// done hides the strip and ends the import's context.
func (v *importView) done() {
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
	v.box.Hide()
	v.e.layoutBanner()
}
