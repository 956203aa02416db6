package cli

import (
	"fmt"
	"runtime/debug"
)

// releaseVersion and buildNumber are lashview's release and build number.
// FyneApp.toml says them too, for `fyne package`; a test keeps the two
// equal.
const (
	releaseVersion = "0.1.0"
	buildNumber    = 1
)

// commit names the source the binary was built from when the build that
// made it knows better than Go's VCS stamp (a build from a tarball, say):
// go build -ldflags "-X lashview/internal/cli.commit=...".
var commit string

// versionLine is what --version prints: the release, the build number and
// the commit, from any build.
func versionLine() string {
	return fmt.Sprintf("lashview %s (build %d, commit %s)", releaseVersion, buildNumber, revision(commit, debug.ReadBuildInfo))
}

// revision is the commit the binary was built from: set, else the VCS
// revision Go stamps into a build from a git checkout (12 hex digits, as
// Go's pseudo-versions shorten it, with "-dirty" when the work tree held
// changes), else "unknown" (go test binaries and builds outside a
// checkout carry no stamp).
func revision(set string, info func() (*debug.BuildInfo, bool)) string {
	if set != "" {
		return set
	}
	bi, ok := info()
	if !ok {
		return "unknown"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "unknown"
	}
	return rev[:min(12, len(rev))] + dirty
}
