package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"testing"
)

// TestVersionIsFyneApps: FyneApp.toml (read by `fyne package`) and the
// constants (read by --version) say the same release and build.
func TestVersionIsFyneApps(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	version := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]*)"`).FindSubmatch(data)
	build := regexp.MustCompile(`(?m)^\s*Build\s*=\s*(\d+)`).FindSubmatch(data)
	if version == nil || build == nil {
		t.Fatalf("FyneApp.toml has no Version or no Build:\n%s", data)
	}
	if string(version[1]) != releaseVersion {
		t.Errorf("FyneApp.toml says version %s, the constant %s", version[1], releaseVersion)
	}
	if n, _ := strconv.Atoi(string(build[1])); n != buildNumber {
		t.Errorf("FyneApp.toml says build %s, the constant %d", build[1], buildNumber)
	}
}

func TestRevision(t *testing.T) {
	stamp := func(settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) { return &debug.BuildInfo{Settings: settings}, true }
	}
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "3cb4fef2d1a0c0ffee0123456789abcdef012345"}
	for _, c := range []struct {
		set  string
		info func() (*debug.BuildInfo, bool)
		want string
	}{
		{"", stamp(rev, debug.BuildSetting{Key: "vcs.modified", Value: "false"}), "3cb4fef2d1a0"},
		{"", stamp(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), "3cb4fef2d1a0-dirty"},
		{"", stamp(debug.BuildSetting{Key: "vcs.revision", Value: "abc"}), "abc"},
		{"", stamp(debug.BuildSetting{Key: "GOOS", Value: "linux"}), "unknown"},
		{"", func() (*debug.BuildInfo, bool) { return nil, false }, "unknown"},
		{"v0.1.0-tarball", stamp(rev), "v0.1.0-tarball"},
	} {
		if got := revision(c.set, c.info); got != c.want {
			t.Errorf("revision(%q, …) = %q, want %q", c.set, got, c.want)
		}
	}
	if got := versionLine(); !regexp.MustCompile(`^lashview ` + regexp.QuoteMeta(releaseVersion) + ` \(build ` + strconv.Itoa(buildNumber) + `, commit [^ ]+\)$`).MatchString(got) {
		t.Errorf("versionLine() = %q", got)
	}
}
