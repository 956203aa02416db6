package xdgtrash

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// infoDate is the DeletionDate layout: local time without a zone, as the
// spec and file managers want it.
const infoDate = "2006-01-02T15:04:05"

// EncodeInfo is the .trashinfo for a file at path deleted at t: the
// original absolute path, percent-encoded, and the local time of deletion.
func EncodeInfo(path string, t time.Time) []byte {
	return []byte("[Trash Info]\nPath=" + escapePath(path) + "\nDeletionDate=" + t.Local().Format(infoDate) + "\n")
}

// escapePath percent-encodes every byte outside RFC 2396's unreserved
// set (and "/"): stricter than needed, so any file manager decodes it.
func escapePath(p string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

// ParseInfo reads a .trashinfo: the original path and the deletion time
// (read as local time, as it was written).
func ParseInfo(data []byte) (path string, deleted time.Time, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	inGroup := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			inGroup = line == "[Trash Info]"
		case inGroup:
			k, v, _ := strings.Cut(line, "=")
			switch k {
			case "Path":
				if path, err = unescapePath(v); err != nil {
					return "", time.Time{}, err
				}
			case "DeletionDate":
				if deleted, err = time.ParseInLocation(infoDate, v, time.Local); err != nil {
					return "", time.Time{}, fmt.Errorf("DeletionDate %q: %w", v, err)
				}
			}
		}
	}
	if path == "" {
		return "", time.Time{}, errors.New("not a trash info file: no Path in a [Trash Info] group")
	}
	return path, deleted, nil
}

func unescapePath(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			//lint:ignore ST1005 Path is the .trashinfo key, spelled as the file spells it
			return "", fmt.Errorf("Path %q: a %% is not followed by two hex digits", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			//lint:ignore ST1005 Path is the .trashinfo key, spelled as the file spells it
			return "", fmt.Errorf("Path %q: a %% is not followed by two hex digits", s)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}
