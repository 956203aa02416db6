package main

import (
	"strings"
	"testing"
)

// A new table replaces the old one and keeps every section written below
// it; a file with no section, or none at all, gets the table alone.
func TestNotesSurviveANewTable(t *testing.T) {
	old := "# lashview benchmarks\n\nWritten by make bench then.\n\n| benchmark |\n|---|\n| BenchmarkOld |\n\n## Camera photos (issue 16)\n\nWhat changed.\n\n## Peak RSS\n\n302 MB.\n"
	got := render([]result{{name: "BenchmarkNew", metrics: [][2]string{{"1.5", "x-walk"}}}}, "load 1") + notes(old)
	if strings.Contains(got, "BenchmarkOld") {
		t.Error("the old table is still there")
	}
	for _, want := range []string{"BenchmarkNew", "## Camera photos (issue 16)\n\nWhat changed.", "## Peak RSS\n\n302 MB.\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the new file lacks %q:\n%s", want, got)
		}
	}
	if n := notes("# lashview benchmarks\n\n| a |\n"); n != "" {
		t.Errorf("a file without sections gives notes %q", n)
	}
	if n := notes(""); n != "" {
		t.Errorf("no file gives notes %q", n)
	}
}
