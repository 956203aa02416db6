package locale

import "testing"

func TestIsC(t *testing.T) {
	for v, want := range map[string]bool{
		"C": true, "C.UTF-8": true, "C.utf8": true, "POSIX": true, "C@euro": true,
		"en_US.UTF-8": false, "de_DE": false, "Ca": false, "": false,
	} {
		if got := isC(v); got != want {
			t.Errorf("isC(%q) = %v, want %v", v, got, want)
		}
	}
}
