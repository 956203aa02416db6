package imgfmt

import (
	"strings"
	"testing"
	"unsafe"
)

// A format read from a file comes back as the package's constant, sharing
// its bytes, and its MIME type is a constant too: a store of 100,000 holds
// no copy of either per attachment.
func TestCanonicalAndMIMEShareBytes(t *testing.T) {
	for _, f := range Formats {
		read := Format(strings.Clone(string(f)))
		if unsafe.StringData(string(read)) == unsafe.StringData(string(f)) {
			t.Fatal("the clone shares bytes already")
		}
		c := read.Canonical()
		if c != f || unsafe.StringData(string(c)) != unsafe.StringData(string(f)) {
			t.Errorf("%s: Canonical does not return the constant", f)
		}
		if got, want := read.MIME(), "image/"+string(f); got != want {
			t.Errorf("%s: MIME %q, want %q", f, got, want)
		}
		if n := testing.AllocsPerRun(100, func() { _ = read.MIME() }); n != 0 {
			t.Errorf("%s: MIME allocates %.0f times", f, n)
		}
	}
	if got := Format("tiff").Canonical(); got != "tiff" {
		t.Errorf("an unknown format became %q", got)
	}
	if Format("").MIME() != "" || Format("tiff").MIME() != "image/tiff" {
		t.Error("MIME of the zero or an unknown format")
	}
}
