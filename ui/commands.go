package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// command is one thing a person can ask of the window, however it is
// asked: from the main menu, by a shortcut, or by a key. windowCommands is
// the one list of them: installCommands builds the main menu from it and
// puts its shortcuts on the canvas, and the grid, the search field and the
// viewer look their keys up in it. Adding a command is adding an entry.
//
// Keys that move about inside one widget (the grid's arrows and page
// keys, the search field's Down and Escape, the viewer's steps and zoom)
// stay with that widget: they are how it is used, not commands.
type command struct {
	name  string // tells commands apart (commandNamed, tests)
	menu  string // the main menu it is in: "Store", "Edit" or "View"; "" for none
	label string // its menu item
	// group starts a group in its menu: a separator line above the item.
	group bool
	// shortcut is shown beside the menu item. The desktop driver tries
	// the main menu's shortcuts first, whatever has the focus; it is put
	// on the canvas too, which is where the test driver looks.
	shortcut fyne.Shortcut
	// canvas are more shortcuts that run it, on the canvas only: a
	// focused widget keeps these for itself (the search field its own
	// select-all and undo).
	canvas []fyne.Shortcut
	// keys are the unmodified keys that run it where says.
	keys  []fyne.KeyName
	where keyPlace
	// checked, when set, makes the menu item a tick that shows it.
	checked func(b *Browser) bool
	// enabled, when set, says when the command applies: asked for at
	// another time, by any of its ways, it does nothing.
	enabled func(b *Browser) bool
	run     func(b *Browser)
}

// keyPlace is where a command's keys work.
type keyPlace uint8

const (
	inGrid   keyPlace = 1 << iota // the grid has the focus, or nothing has
	inSearch                      // the search field has the focus
	inViewer                      // the full-size viewer is open
)

// The main menus, in the order the menu bar shows them.
const (
	menuStore = "Store"
	menuEdit  = "Edit"
	menuView  = "View"
)

var menuOrder = []string{menuStore, menuEdit, menuView}

// ctrl is Ctrl+k (Cmd+k on macOS).
func ctrl(k fyne.KeyName) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
}

// viewerClosed is the enabled-when of commands on the grid's selection
// that the viewer covers.
func viewerClosed(b *Browser) bool { return !b.viewer.visible() }

// windowCommands are the window's commands, each menu's in its order.
// (A function, not a variable: the commands reach code that looks them up.)
func windowCommands() []*command {
	bigger := func(b *Browser) { b.setThumbSize(b.cellSize + thumbStep) }
	return []*command{
		{name: "open", menu: menuStore, label: "Open Store…", shortcut: ctrl(fyne.KeyO),
			run: (*Browser).chooseStore},
		{name: "rescan", menu: menuStore, label: "Rescan (F5)",
			keys: []fyne.KeyName{fyne.KeyF5}, where: inGrid | inSearch | inViewer,
			run: (*Browser).rescan},
		{name: "cleanup", menu: menuStore, label: "Clean Up…",
			run: func(b *Browser) { b.ed.showCleanup() }},
		{name: "import", menu: menuStore, label: "Import Images…", group: true,
			run: func(b *Browser) { b.ed.chooseImport() }},
		{name: "import-folder", menu: menuStore, label: "Import a Folder of Images…",
			run: func(b *Browser) { b.ed.chooseImportFolder() }},
		{name: "health", menu: menuStore, label: "Store Health…",
			run: func(b *Browser) { b.ed.showHealth() }},

		{name: "copy", menu: menuEdit, label: "Copy Reference", shortcut: &fyne.ShortcutCopy{},
			run: (*Browser).copyShortcut},
		{name: "find", menu: menuEdit, label: "Find…", shortcut: ctrl(fyne.KeyF),
			run: (*Browser).focusSearch},
		{name: "select-all", menu: menuEdit, label: "Select All (Ctrl+A)", group: true,
			canvas: []fyne.Shortcut{&fyne.ShortcutSelectAll{}}, enabled: viewerClosed,
			run: func(b *Browser) { b.ed.selectAll() }},
		{name: "rename", menu: menuEdit, label: "Rename… (F2)",
			keys: []fyne.KeyName{fyne.KeyF2}, where: inGrid,
			run: func(b *Browser) { b.ed.relabel.start() }},
		{name: "trash", menu: menuEdit, label: "Move to Trash (Delete)",
			keys: []fyne.KeyName{fyne.KeyDelete}, where: inGrid, enabled: viewerClosed,
			run: func(b *Browser) { b.ed.trashSelection() }},
		{name: "undo-trash", menu: menuEdit, label: "Undo Move to Trash (Ctrl+Z)",
			canvas: []fyne.Shortcut{&fyne.ShortcutUndo{}},
			run:    func(b *Browser) { b.ed.undoTrash() }},
		{name: "confirm-trash", menu: menuEdit, label: "Ask Before Moving to the Trash",
			checked: func(b *Browser) bool { return b.ed.confirmTrash() },
			run:     func(b *Browser) { b.ed.setConfirmTrash(!b.ed.confirmTrash()) }},
		{name: "save-copy", menu: menuEdit, label: "Save a Copy…", group: true,
			run: func(b *Browser) { b.ed.saveCopy() }},
		{name: "open-with", menu: menuEdit, label: "Open With Default Application",
			run: func(b *Browser) { b.ed.openWith() }},

		// Ctrl++ is Ctrl+Shift+= on most keyboards, and the keypad has its own key.
		{name: "bigger", menu: menuView, label: "Larger Thumbnails", shortcut: ctrl(fyne.KeyEqual),
			canvas: []fyne.Shortcut{
				&desktop.CustomShortcut{KeyName: fyne.KeyEqual, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift},
				ctrl(fyne.KeyPlus),
			},
			run: bigger},
		{name: "smaller", menu: menuView, label: "Smaller Thumbnails", shortcut: ctrl(fyne.KeyMinus),
			run: func(b *Browser) { b.setThumbSize(b.cellSize - thumbStep) }},

		// Keys only.
		{name: "view", keys: []fyne.KeyName{fyne.KeyReturn, fyne.KeyEnter}, where: inGrid,
			run: func(b *Browser) {
				if b.sel.focus != "" {
					b.openViewer(b.sel.focus)
				}
			}},
		{name: "clear-search", keys: []fyne.KeyName{fyne.KeyEscape}, where: inGrid,
			run: func(b *Browser) {
				if b.search.Text != "" {
					b.search.SetText("")
				}
			}},
		{name: "close-viewer", keys: []fyne.KeyName{fyne.KeyEscape, fyne.KeyBackspace}, where: inViewer,
			run: (*Browser).closeViewer},
	}
}

// commandSet is the window's commands and the menu items made of them.
type commandSet struct {
	list  []*command
	items map[string]*fyne.MenuItem // by command name
	menu  *fyne.MainMenu
}

// do runs c unless it does not apply now.
func (b *Browser) do(c *command) {
	if c.enabled != nil && !c.enabled(b) {
		return
	}
	c.run(b)
}

// commandNamed is the command called name; it panics on a name the table
// lacks, which is a mistake in the code.
func (b *Browser) commandNamed(name string) *command {
	for _, c := range b.cmds.list {
		if c.name == name {
			return c
		}
	}
	panic("ui: no command " + name)
}

// action is the function a button calls to run the command called name.
func (b *Browser) action(name string) func() {
	c := b.commandNamed(name)
	return func() { b.do(c) }
}

// doKey runs the command of key k where the keyboard is, and reports
// whether there was one.
func (b *Browser) doKey(where keyPlace, k fyne.KeyName) bool {
	for _, c := range b.cmds.list {
		if c.where&where == 0 {
			continue
		}
		for _, ck := range c.keys {
			if ck == k {
				b.do(c)
				return true
			}
		}
	}
	return false
}

// doShortcut runs the command whose Ctrl shortcut s is, and reports
// whether there was one. The search field hands these on to the window
// (its own editing shortcuts, copy, select all and undo, it keeps).
func (b *Browser) doShortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok || cs.Modifier != fyne.KeyModifierShortcutDefault {
		return false
	}
	for _, c := range b.cmds.list {
		for _, sc := range append([]fyne.Shortcut{c.shortcut}, c.canvas...) {
			if sc != nil && sc.ShortcutName() == cs.ShortcutName() {
				b.do(c)
				return true
			}
		}
	}
	return false
}

// installCommands builds the main menu from the commands and adds their
// shortcuts to the canvas.
func (b *Browser) installCommands() {
	b.cmds.items = map[string]*fyne.MenuItem{}
	menus := map[string]*fyne.Menu{}
	for _, c := range b.cmds.list {
		run := func() { b.do(c) }
		for _, sc := range append([]fyne.Shortcut{c.shortcut}, c.canvas...) {
			if sc != nil {
				b.win.Canvas().AddShortcut(sc, func(fyne.Shortcut) { run() })
			}
		}
		if c.menu == "" {
			continue
		}
		m := menus[c.menu]
		if m == nil {
			m = fyne.NewMenu(c.menu)
			menus[c.menu] = m
		}
		if c.group && len(m.Items) > 0 {
			m.Items = append(m.Items, fyne.NewMenuItemSeparator())
		}
		item := fyne.NewMenuItem(c.label, run)
		item.Shortcut = c.shortcut
		if c.checked != nil {
			item.Checked = c.checked(b)
		}
		m.Items = append(m.Items, item)
		b.cmds.items[c.name] = item
	}
	var bar []*fyne.Menu
	for _, name := range menuOrder {
		if m := menus[name]; m != nil {
			bar = append(bar, m)
		}
	}
	b.cmds.menu = fyne.NewMainMenu(bar...)
	b.win.SetMainMenu(b.cmds.menu)
}

// refreshMenu ticks the menu's check items as their state is now.
func (b *Browser) refreshMenu() {
	if b.cmds.menu == nil {
		return
	}
	for _, c := range b.cmds.list {
		if item := b.cmds.items[c.name]; item != nil && c.checked != nil {
			item.Checked = c.checked(b)
		}
	}
	b.cmds.menu.Refresh()
}
