// Package testbin gives tests that run lashview as a process the binary:
// the one LASHVIEW_TEST_BINARY names (make test builds it once for every
// package; an installed or packaged build works too), else one it builds
// for this test process.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Env names the binary to test instead of building one.
const Env = "LASHVIEW_TEST_BINARY"

var (
	once  sync.Once
	path  string
	built string // the temp folder of a binary built here, for Remove
	err   error
)

// Path returns the absolute path of the lashview binary, building it on
// the first call when LASHVIEW_TEST_BINARY is not set.
func Path() (string, error) {
	once.Do(func() {
		if b := os.Getenv(Env); b != "" {
			path, err = filepath.Abs(b)
			return
		}
		built, err = os.MkdirTemp("", "lashview-test-bin-")
		if err != nil {
			return
		}
		path = filepath.Join(built, "lashview")
		out, berr := exec.Command("go", "build", "-o", path, "lashview").CombinedOutput()
		if berr != nil {
			err = fmt.Errorf("go build lashview: %v\n%s", berr, out)
		}
	})
	return path, err
}

// Lashview is Path for a test: a binary that cannot be had fails it.
func Lashview(t testing.TB) string {
	t.Helper()
	bin, err := Path()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Remove deletes a binary Path built; one LASHVIEW_TEST_BINARY named is
// left alone. Call it from TestMain after the tests.
func Remove() {
	if built != "" {
		os.RemoveAll(built)
	}
}
