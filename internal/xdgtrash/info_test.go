package xdgtrash

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestInfoEscaping(t *testing.T) {
	for _, p := range []string{"/a b/ü%#?&=+;,.png", "/plain/path-x_y.~z", "/tab\there/\x01"} {
		info := EncodeInfo(p, time.Date(2024, 2, 3, 4, 5, 6, 0, time.Local))
		got, when, err := ParseInfo(info)
		if err != nil || got != p || when.Format("2006-01-02T15:04:05") != "2024-02-03T04:05:06" {
			t.Errorf("%q: round trip %q %v %v", p, got, when, err)
		}
		line := strings.Split(string(info), "\n")[1]
		if strings.ContainsAny(line[len("Path="):], " %#?&=+;,\t\x01ü") && !strings.Contains(line, "%") {
			t.Errorf("%q not escaped: %s", p, line)
		}
		if u, err := url.PathUnescape(line[len("Path="):]); err != nil || u != p {
			t.Errorf("%q: a URL decoder reads %q (%v)", p, u, err)
		}
	}
	if _, _, err := ParseInfo([]byte("[Other]\nPath=/x\n")); err == nil {
		t.Error("a Path outside [Trash Info] was accepted")
	}
}

// TestEncodeInfoBytes pins the exact bytes: file managers and the trashed
// files of earlier lashview versions read this form.
func TestEncodeInfoBytes(t *testing.T) {
	got := string(EncodeInfo("/home/u/a b/ü.png", time.Date(2024, 12, 31, 23, 5, 9, 0, time.Local)))
	want := "[Trash Info]\nPath=/home/u/a%20b/%C3%BC.png\nDeletionDate=2024-12-31T23:05:09\n"
	if got != want {
		t.Errorf("EncodeInfo:\n%q\nwant\n%q", got, want)
	}
}

func TestParseInfoLenient(t *testing.T) {
	// Comments, blank lines, other groups and unknown keys are skipped, as
	// file managers write them.
	data := "# written by hand\n[Other]\nPath=/not/this\n\n[Trash Info]\nX-Extra=1\n  Path=/x%2Fy/z  \nDeletionDate=2020-01-02T03:04:05\n"
	p, d, err := ParseInfo([]byte(data))
	if err != nil || p != "/x/y/z" || d.Format("2006-01-02T15:04:05") != "2020-01-02T03:04:05" {
		t.Errorf("ParseInfo: %q %v %v", p, d, err)
	}
	for _, bad := range []string{
		"[Trash Info]\nPath=/a%4\n",
		"[Trash Info]\nPath=/a%zz\n",
		"[Trash Info]\nPath=/a\nDeletionDate=yesterday\n",
		"",
	} {
		if _, _, err := ParseInfo([]byte(bad)); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
