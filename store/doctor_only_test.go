package store

import (
	"context"
	"path/filepath"
	"testing"
)

// DoctorOptions.Only fixes the problems at the paths named and no others;
// the rest are still reported.
func TestDoctorFixOnly(t *testing.T) {
	root := copyFixture(t, "messy")
	ageTemps(t, root)
	base := t.TempDir()
	can := NewTrashCan(filepath.Join(base, "data"), filepath.Join(base, "state"))
	s := New(root)
	plan, err := s.Doctor(context.Background(), DoctorOptions{Can: can})
	if err != nil {
		t.Fatal(err)
	}
	var pick Problem
	for _, p := range plan.Problems {
		if p.Fix == FixWriteSidecar {
			pick = p
			break
		}
	}
	if pick.Path == "" {
		t.Fatal("messy/ has no missing sidecar to write")
	}
	rep, err := s.Doctor(context.Background(), DoctorOptions{Fix: true, Only: []string{pick.Path}, Can: can})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		if p.Fixed != (p.Path == pick.Path) {
			t.Errorf("%s (%s): fixed %v", p.Path, p.Fix, p.Fixed)
		}
	}
	after, err := s.Doctor(context.Background(), DoctorOptions{Can: can})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Problems) != len(plan.Problems)-1 {
		t.Errorf("%d problems after fixing one of %d", len(after.Problems), len(plan.Problems))
	}
	for _, p := range after.Problems {
		if p.Path == pick.Path {
			t.Errorf("%s is still a problem", p.Path)
		}
	}
}
