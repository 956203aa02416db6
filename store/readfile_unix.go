//go:build unix

package store

import (
	"errors"
	"io/fs"
	"time"

	"golang.org/x/sys/unix"
)

// readSmallFileAt reads a whole regular file of at most limit bytes with
// the fewest system calls (open, fstat, read, close): Scan reads one sidecar
// per attachment, and on a store of 100,000 the syscalls are the cost. It
// never follows a symbolic link and never blocks on a FIFO. name is relative
// to the open folder dirfd: the kernel then resolves one name, not the whole
// path. path is only for messages.
//
// The calls are golang.org/x/sys/unix's, not package syscall's, so this
// builds on every Unix (syscall has no Openat on macOS, and names Stat_t's
// times differently on each system).
func readSmallFileAt(dirfd int, name, path string, limit int64) ([]byte, time.Time, error) {
	const flags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	fd, err := unix.Openat(dirfd, name, flags, 0)
	for errors.Is(err, unix.EINTR) {
		fd, err = unix.Openat(dirfd, name, flags, 0)
	}
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			err = errors.New("is a symbolic link; lashview does not follow links")
		}
		return nil, time.Time{}, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, time.Time{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	mtime := time.Unix(st.Mtim.Unix())
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, mtime, &fs.PathError{Op: "open", Path: path, Err: errors.New("is not a regular file")}
	}
	if st.Size > limit {
		return nil, mtime, ErrSidecarTooLarge
	}
	// One byte more than fstat said, so a file that grew is still read to
	// its end (or past the limit) rather than cut short.
	buf := make([]byte, st.Size+1)
	n := 0
	for {
		k, err := unix.Read(fd, buf[n:])
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		if err != nil {
			return nil, mtime, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if k == 0 {
			return buf[:n], mtime, nil
		}
		n += k
		if int64(n) > limit {
			return nil, mtime, ErrSidecarTooLarge
		}
		if n == len(buf) {
			buf = append(buf, make([]byte, len(buf))...)
		}
	}
}

// lstatAt is lstat of name inside the open folder dirfd.
func lstatAt(dirfd int, name string) (size int64, mtime time.Time, regular bool, err error) {
	var st unix.Stat_t
	for {
		err = unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return 0, time.Time{}, false, err
	}
	return st.Size, time.Unix(st.Mtim.Unix()), st.Mode&unix.S_IFMT == unix.S_IFREG, nil
}
