package xdgtrash

import (
	"io/fs"
	"os"
)

// renameCheckFirst renames from to to after checking that to is free.
func renameCheckFirst(from, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
	}
	return os.Rename(from, to)
}
