package sessions

import (
	"fmt"
	"strings"

	"lashview/store"
)

// Title is what a person calls a session: its name, else its id, else its
// database file.
func (s *Session) Title() string {
	switch {
	case s == nil:
		return "?"
	case s.Name != "":
		return s.Name
	case s.ID != "":
		return s.ID
	}
	return s.File
}

// Holders are the distinct titles of the sessions that hold id (a manifest
// row or a reference in their graph), in the index's order. The window's
// delete question and the command line's rm refusal both name them.
func (ix *Index) Holders(id store.ID) []string {
	var names []string
	for _, u := range ix.Uses(id) {
		n := u.Session.Title()
		if !contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// UsedBy is "used by 1 session: tidal-cove" or "used by 3 sessions: a, b, c".
func UsedBy(names []string) string {
	if len(names) == 1 {
		return "used by 1 session: " + names[0]
	}
	return fmt.Sprintf("used by %d sessions: %s", len(names), strings.Join(names, ", "))
}
