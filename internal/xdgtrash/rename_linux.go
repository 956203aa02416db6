package xdgtrash

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// RenameNoReplace renames from to to, failing with fs.ErrExist when to
// exists: a move into the Trash or back must never replace a file. Linux
// does the check and the rename as one step (renameat2 RENAME_NOREPLACE).
func RenameNoReplace(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		// Old kernels and some filesystems (older NFS, FUSE) lack the flag:
		// check, then rename; the window between the two is tiny.
		return renameCheckFirst(from, to)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}
