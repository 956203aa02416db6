package format

import (
	"strings"
	"testing"
	"time"
)

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"},
		{1, "1 byte"},
		{275, "275 bytes"},
		{1023, "1023 bytes"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{10 * 1024, "10 KiB"},
		{1023 * 1024, "1023 KiB"},
		{1 << 20, "1.0 MiB"},
		{3*(1<<20) + 400*1024, "3.4 MiB"},
		{1100 * (1 << 20), "1.1 GiB"},
		{5 << 40, "5.0 TiB"},
		{1<<63 - 1, "8.0 EiB"},
	} {
		if got := Bytes(c.n); got != c.want {
			t.Errorf("Bytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain label", "plain label"},
		{"", ""},
		{"a\nb", "a ⏎ b"},
		{"a\r\nb", "a ⏎ b"},
		{"a\rb", "a ⏎ b"},
		{"col\tcol", "col ⇥ col"},
		{"\n\n", " ⏎  ⏎ "},
	} {
		got := OneLine(c.in)
		if got != c.want {
			t.Errorf("OneLine(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.ContainsAny(got, "\t\n\r") {
			t.Errorf("OneLine(%q) = %q still breaks the line", c.in, got)
		}
	}
}

func TestIntervalAndAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{3 * time.Second: "3 s", 1500 * time.Millisecond: "1.5 s", 2 * time.Minute: "2 min", 90 * time.Second: "90 s"} {
		if got := Interval(d); got != want {
			t.Errorf("Interval(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{0: "just now", 2 * time.Second: "2 s ago", 3 * time.Minute: "3 min ago", 5 * time.Hour: "5 h ago"} {
		if got := Ago(d); got != want {
			t.Errorf("Ago(%v) = %q, want %q", d, got, want)
		}
	}
}
