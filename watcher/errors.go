package watcher

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/fsnotify/fsnotify"
	"golang.org/x/sys/unix"
)

// ErrWatchLimit matches (errors.Is) a *LimitError: the kernel refused an
// inotify watch or instance because a per-user limit is reached.
var ErrWatchLimit = errors.New("inotify limit reached")

// ErrUnreliableEvents matches (errors.Is) a *FilesystemError: the store is on
// a filesystem whose changes the kernel does not all report.
var ErrUnreliableEvents = errors.New("the filesystem does not report every change")

// The kernel's inotify limits, as files under /proc.
const (
	maxUserWatches   = "/proc/sys/fs/inotify/max_user_watches"
	maxUserInstances = "/proc/sys/fs/inotify/max_user_instances"
	maxQueuedEvents  = "/proc/sys/fs/inotify/max_queued_events"
)

// LimitError is an inotify limit the kernel enforced, with how to raise it.
type LimitError struct {
	// Path is the folder that could not be watched; empty when no inotify
	// instance could be made at all.
	Path string
	// More counts further folders refused for the same reason.
	More int
	// Limit is the file under /proc/sys/fs/inotify that sets the limit.
	Limit string
	// Value is the limit's current value, when it could be read.
	Value string
	// Err is the kernel's error (ENOSPC for watches, EMFILE for instances).
	Err error
}

func (e *LimitError) Error() string {
	what := "cannot watch " + e.Path
	if e.Path == "" {
		what = "cannot start watching for changes"
	}
	if e.More > 0 {
		what += fmt.Sprintf(" (and %d more folders)", e.More)
	}
	sysctl, raise, also := "fs.inotify.max_user_watches", 524288, ""
	if e.Limit == maxUserInstances {
		sysctl, raise = "fs.inotify.max_user_instances", 1024
		also = " (or the process's open-file limit, `ulimit -n`, is reached)"
	}
	limit := e.Limit
	if e.Value != "" {
		limit += " = " + e.Value
		// Suggest more than there is: the usual value may be below it.
		if n, err := strconv.Atoi(e.Value); err == nil && 2*n > raise {
			raise = 2 * n
		}
	}
	return fmt.Sprintf("%s: the per-user inotify limit %s is reached%s; changes there will not show until it is raised, e.g. `sudo sysctl %s=%d` (put %s=%d in /etc/sysctl.d/90-lashview.conf to keep it)",
		what, limit, also, sysctl, raise, sysctl, raise)
}

// Is makes errors.Is(err, ErrWatchLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrWatchLimit }

// Unwrap returns the kernel's error.
func (e *LimitError) Unwrap() error { return e.Err }

// limitWithValue names a limit file with its current value.
func limitWithValue(path string) string {
	if v := readLimit(path); v != "" {
		return fmt.Sprintf("%s = %s", path, v)
	}
	return path
}

func readLimit(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// addWatch is fsnotify's Add, replaceable so tests can make the kernel
// refuse a watch.
var addWatch = func(fsw *fsnotify.Watcher, path string) error { return fsw.Add(path) }

// addWatch watches one folder. ENOENT and ENOTDIR come back bare (the
// folder went away, which callers expect); a limit is a *LimitError; any
// other error names the path.
func (w *Watcher) addWatch(path string) error {
	err := addWatch(w.fsw, path)
	switch {
	case err == nil:
		return nil
	case isGone(err):
		return err
	case errors.Is(err, syscall.ENOSPC):
		return &LimitError{Path: path, Limit: maxUserWatches, Value: readLimit(maxUserWatches), Err: err}
	case errors.Is(err, fsnotify.ErrClosed):
		return nil // closing
	}
	return fmt.Errorf("watch %s: %w", path, err)
}

// instanceError explains a failure to make an inotify instance.
func instanceError(err error) error {
	if errors.Is(err, syscall.EMFILE) {
		return &LimitError{Limit: maxUserInstances, Value: readLimit(maxUserInstances), Err: err}
	}
	return fmt.Errorf("cannot start watching for changes: %w", err)
}

func isGone(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR)
}

// FilesystemError says that the store lies on a filesystem where the
// kernel sees only the changes made through this machine.
type FilesystemError struct {
	Path string // the store root
	Type string // the filesystem, e.g. "NFS"
}

func (e *FilesystemError) Error() string {
	return fmt.Sprintf("%s is on a %s filesystem, where the kernel reports only the changes made through this machine: attachments another machine (or the server) writes will not show until the store is rescanned (reopen it)", e.Path, e.Type)
}

// Is makes errors.Is(err, ErrUnreliableEvents) true.
func (e *FilesystemError) Is(target error) bool { return target == ErrUnreliableEvents }

// statfs is unix.Statfs, replaceable so tests can pretend to be on NFS.
var statfs = unix.Statfs

// remoteFilesystems are the statfs magic numbers of filesystems whose
// changes can come from elsewhere (a server, another client, a FUSE daemon,
// a hypervisor's host), which inotify does not see.
var remoteFilesystems = map[uint32]string{
	0x6969:     "NFS",
	0x517b:     "SMB",
	0xff534d42: "CIFS",
	0xfe534d42: "SMB2",
	0x65735546: "FUSE",
	0x01021997: "9p (v9fs)",
	0x00c36400: "Ceph",
	0x6b414653: "AFS",
	0x5346414f: "AFS",
	0x73757245: "Coda",
	0x01161970: "GFS2",
	0x7461636f: "OCFS2",
	0x0bd00bd0: "Lustre",
	0x47504653: "GPFS",
	0x786f4256: "VirtualBox shared folder",
	0x7c7c6673: "Parallels shared folder",
}

// checkFilesystem reports, once per filesystem, a store root on a remote
// or FUSE filesystem.
func (w *Watcher) checkFilesystem() error {
	var st unix.Statfs_t
	if err := statfs(w.root, &st); err != nil {
		return nil // the root went away; the events say so
	}
	// Type is int64 or int32 by architecture; the magic numbers are 32-bit.
	kind, remote := remoteFilesystems[uint32(st.Type)]
	if !remote || kind == w.fsKind {
		if !remote {
			w.fsKind = ""
		}
		return nil
	}
	w.fsKind = kind
	return &FilesystemError{Path: w.root, Type: kind}
}

// joinProblems joins a batch's problems, folding the many watches one
// limit refuses into one error.
func joinProblems(errs []error) error {
	var out []error
	limits := map[string]*LimitError{}
	seen := map[string]bool{}
	for _, err := range errs {
		var le *LimitError
		if errors.As(err, &le) {
			if first := limits[le.Limit]; first != nil {
				first.More += 1 + le.More
				continue
			}
			cp := *le
			limits[le.Limit] = &cp
			out = append(out, &cp)
			continue
		}
		if msg := err.Error(); !seen[msg] {
			seen[msg] = true
			out = append(out, err)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return errors.Join(out...)
}
