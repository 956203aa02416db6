package sessions

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"lashview/store"
)

// TestCompactAccessors: on every fixture set, Named and Holding say what
// Uses says, ids that are no id or that no session names have nothing, and
// appending to one Use's labels or messages changes no other Use.
func TestCompactAccessors(t *testing.T) {
	for _, set := range fixtureSets {
		t.Run(set, func(t *testing.T) {
			home := copyHome(t, set)
			ix, err := Load(context.Background(), filepath.Join(home, "sessions"))
			if err != nil {
				t.Fatal(err)
			}
			ids := ix.IDs()
			if len(ids) == 0 {
				t.Fatal("the fixture names no id")
			}
			for _, id := range ids {
				uses := ix.Uses(id)
				if len(uses) == 0 || !ix.Named(id) {
					t.Fatalf("%s: IDs lists it, Uses has %d, Named %v", id.Short(), len(uses), ix.Named(id))
				}
				var want, got []*Session
				for _, u := range uses {
					want = append(want, u.Session)
				}
				ix.Holding(id, func(s *Session) { got = append(got, s) })
				if !slices.Equal(got, want) {
					t.Errorf("%s: Holding gives %d sessions, Uses %d", id.Short(), len(got), len(want))
				}
				for i := range uses {
					uses[i].Labels = append(uses[i].Labels, "scribble")
					uses[i].Messages = append(uses[i].Messages, Message{Text: "scribble"})
				}
			}
			for _, id := range ids {
				for _, u := range ix.Uses(id) {
					if slices.Contains(u.Labels, "scribble") || slices.ContainsFunc(u.Messages, func(m Message) bool { return m.Text == "scribble" }) {
						t.Fatalf("%s: an append to another Use's slices changed this one", id.Short())
					}
				}
			}
			for _, id := range []store.ID{"", "not an id", store.ID(string(make([]byte, 64))), "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"} {
				if ix.Named(id) || ix.Uses(id) != nil {
					t.Errorf("%q: named %v, %d uses", id, ix.Named(id), len(ix.Uses(id)))
				}
				if _, ok := ix.Meta(id); ok {
					t.Errorf("%q has a Meta", id)
				}
				ix.Holding(id, func(*Session) { t.Errorf("%q is held", id) })
			}
		})
	}
}
