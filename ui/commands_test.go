package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
)

// The main menu the command table builds, item by item: a label, its
// shortcut after a tab, "---" for a separator, "✓" before a ticked item.
func TestMainMenu(t *testing.T) {
	dir, _ := cleanStore(t)
	h := newHarness(t, dir)
	h.loaded()
	var got []string
	for _, m := range h.w.MainMenu().Items {
		got = append(got, "# "+m.Label)
		for _, it := range m.Items {
			line := it.Label
			switch {
			case it.IsSeparator:
				line = "---"
			case it.Checked:
				line = "✓ " + line
			}
			if it.Shortcut != nil {
				line += "\t" + it.Shortcut.ShortcutName()
			}
			got = append(got, line)
		}
	}
	want := []string{
		"# Store", "Open Store…\tCustomDesktop:Control+O", "Rescan (F5)", "Clean Up…", "---",
		"Import Images…", "Import a Folder of Images…", "Store Health…",
		"# Edit", "Copy Reference\tCopy", "Find…\tCustomDesktop:Control+F", "---",
		"Select All (Ctrl+A)", "Rename… (F2)", "Move to Trash (Delete)", "Undo Move to Trash (Ctrl+Z)",
		"✓ Ask Before Moving to the Trash", "---", "Save a Copy…", "Open With Default Application",
		"# View", "Larger Thumbnails\tCustomDesktop:Control+=", "Smaller Thumbnails\tCustomDesktop:Control+-",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the main menu is\n%s\n\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The tick follows the preference, whichever way it changes.
	h.b.cmds.items["confirm-trash"].Action()
	if h.b.prefs.confirmTrash() || h.b.cmds.items["confirm-trash"].Checked {
		t.Error("the menu item did not switch the question off")
	}
	h.b.ed.setConfirmTrash(true)
	if !h.b.cmds.items["confirm-trash"].Checked {
		t.Error("the menu item does not tick again")
	}

	// Ctrl shortcuts typed into the search field reach the window.
	size := h.b.cellSize
	h.w.Canvas().Focus(h.b.search)
	h.b.search.TypedShortcut(ctrl(fyne.KeyPlus))
	if h.b.cellSize != size+thumbStep {
		t.Errorf("Ctrl++ in the search field: cell size %v, want %v", h.b.cellSize, size+thumbStep)
	}
	h.w.Canvas().(fyne.Shortcutable).TypedShortcut(ctrl(fyne.KeyMinus))
	if h.b.cellSize != size {
		t.Errorf("Ctrl+- on the canvas: cell size %v, want %v", h.b.cellSize, size)
	}
}

// Every command has its own name, and a key means one command where it works.
func TestCommandTable(t *testing.T) {
	names := map[string]bool{}
	keys := map[keyPlace]map[fyne.KeyName]string{}
	for _, c := range windowCommands() {
		if c.name == "" || names[c.name] {
			t.Errorf("command %q: no name, or one taken", c.name)
		}
		names[c.name] = true
		if c.run == nil {
			t.Errorf("command %q runs nothing", c.name)
		}
		if (c.menu == "") != (c.label == "") {
			t.Errorf("command %q: a menu needs a label and a label a menu", c.name)
		}
		if len(c.keys) > 0 && c.where == 0 {
			t.Errorf("command %q has keys that work nowhere", c.name)
		}
		for _, p := range []keyPlace{inGrid, inSearch, inViewer} {
			if c.where&p == 0 {
				continue
			}
			if keys[p] == nil {
				keys[p] = map[fyne.KeyName]string{}
			}
			for _, k := range c.keys {
				if other, ok := keys[p][k]; ok {
					t.Errorf("%s is both %q and %q", k, other, c.name)
				}
				keys[p][k] = c.name
			}
		}
	}
}
