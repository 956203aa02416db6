package xdgtrash

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Trash is one user's trash: the home trash and the per-user trash folders
// on other mounts, named by UID.
type Trash struct {
	// Home is the home trash, $XDG_DATA_HOME/Trash.
	Home string
	// UID names the per-user trash folders on other mounts (.Trash/$uid,
	// .Trash-$uid).
	UID int

	// Device and MountTop are the filesystem look-ups: a path's device
	// number and the top folder of its mount. nil means the real ones
	// (stat, and a walk up to the last ancestor on the same device); tests
	// replace them to put a path on "another mount" without mounting one.
	Device   func(path string) (uint64, error)
	MountTop func(path string) (string, error)
}

// New returns the Trash of the current user for the XDG data home.
func New(dataHome string) *Trash {
	return &Trash{Home: filepath.Join(dataHome, "Trash"), UID: os.Getuid()}
}

// ErrNoTrash is returned (wrapped) when a file lies on a mount that has no
// Trash that may be used: it is then left where it is.
var ErrNoTrash = errors.New("no usable Trash")

// DirFor returns the trash folder (holding files/ and info/) that a file
// at path goes to, making it if needed: the home trash when it is on the
// same mount, else the mount's .Trash/$uid or .Trash-$uid (spec 1.0,
// "Trash directories"). A rename never crosses a mount, so nothing is
// copied.
func (t *Trash) DirFor(path string) (string, error) {
	device, mountTop := t.Device, t.MountTop
	if device == nil {
		device = deviceOf
	}
	if mountTop == nil {
		mountTop = mountTopOf
	}
	dir := filepath.Dir(path)
	dev, err := device(dir)
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", dir, cause(err))
	}
	homeDev, err := device(existingAncestor(t.Home))
	if err == nil && homeDev == dev {
		if err := ensureDir(t.Home, -1, true); err != nil {
			return "", err
		}
		return t.Home, nil
	}
	top, err := mountTop(dir)
	if err != nil {
		return "", fmt.Errorf("find the mount of %s: %w", dir, cause(err))
	}
	uid := strconv.Itoa(t.UID)
	admin := filepath.Join(top, ".Trash")
	// The shared .Trash counts only as a real sticky folder: a link or a
	// folder anyone may rename in could hand our files to another user.
	if fi, err := os.Lstat(admin); err == nil && fi.IsDir() && fi.Mode()&fs.ModeSticky != 0 {
		if d := filepath.Join(admin, uid); ensureDir(d, t.UID, false) == nil {
			return d, nil
		}
	}
	own := filepath.Join(top, ".Trash-"+uid)
	if err := ensureDir(own, t.UID, false); err == nil {
		return own, nil
	}
	return "", fmt.Errorf("%w for %s: it is on another mount (%s) than the home Trash %s, and neither %s nor %s can be used there",
		ErrNoTrash, path, top, t.Home, filepath.Join(admin, uid), own)
}

// ensureDir makes a trash folder with its files/ and info/ (mode 0700)
// and checks that none of them is a link or a file. uid >= 0 also requires
// the folder to belong to that user (a per-user trash on a shared mount).
func ensureDir(dir string, uid int, parents bool) error {
	if parents {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return err
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "files"), filepath.Join(dir, "info")} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		fi, err := os.Lstat(d)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return &fs.PathError{Op: "use trash folder", Path: d, Err: errors.New("is not a folder")}
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && uid >= 0 && int(st.Uid) != uid {
			return &fs.PathError{Op: "use trash folder", Path: d, Err: errors.New("belongs to another user")}
		}
	}
	return nil
}

// Trashed is where one file went.
type Trashed struct {
	File string // the file's path inside files/
	Info string // its .trashinfo
}

// maxName bounds a trashed file's name: NAME_MAX is 255 bytes, and the
// info file adds ".trashinfo" and a collision counter " (99999)".
const maxName = 230

// Put moves the file (or folder) at path into its Trash (see DirFor) under
// the name stem+ext, or "stem (n)ext" when that is taken, with the stem
// shortened to fit. The .trashinfo is written first with O_EXCL, as the
// spec asks, so two trashers never claim the same name; the move is a
// rename that never replaces a file.
func (t *Trash) Put(path, stem, ext string) (Trashed, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return Trashed{}, err
	}
	dir, err := t.DirFor(path)
	if err != nil {
		return Trashed{}, err
	}
	files, info := filepath.Join(dir, "files"), filepath.Join(dir, "info")
	body := EncodeInfo(path, time.Now())
	for n := 1; n < 100000; n++ {
		name := fitName(stem, ext, n)
		target := filepath.Join(files, name)
		if _, err := os.Lstat(target); err == nil {
			continue // a leftover in files/ without its info
		}
		infoPath := filepath.Join(info, name+".trashinfo")
		f, err := os.OpenFile(infoPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return Trashed{}, fmt.Errorf("create %s: %w", infoPath, cause(err))
		}
		_, err = f.Write(body)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(infoPath)
			return Trashed{}, fmt.Errorf("write %s: %w", infoPath, cause(err))
		}
		err = RenameNoReplace(path, target)
		if errors.Is(err, fs.ErrExist) {
			os.Remove(infoPath) // ours, just made: the name went to another trasher
			continue
		}
		if err != nil {
			os.Remove(infoPath)
			if errors.Is(err, syscall.EXDEV) {
				// Same device, different mount point: a bind mount.
				return Trashed{}, fmt.Errorf("%w for %s: the Trash %s is on the same disk but another mount point (a bind mount), and lashview never copies to trash", ErrNoTrash, path, dir)
			}
			return Trashed{}, fmt.Errorf("move %s to the Trash: %w", path, cause(err))
		}
		// The rename is what matters; folder syncs make it durable.
		syncDir(info)
		syncDir(files)
		syncDir(filepath.Dir(path))
		return Trashed{File: target, Info: infoPath}, nil
	}
	return Trashed{}, fmt.Errorf("move %s to the Trash: no free name like %q in %s", path, stem+ext, files)
}

// fitName is stem+ext for the n-th try ("stem (n)ext" after the first),
// with the stem shortened at a rune boundary to fit a file name.
func fitName(stem, ext string, n int) string {
	suffix := ""
	if n > 1 {
		suffix = " (" + strconv.Itoa(n) + ")"
	}
	room := maxName - len(ext) - len(suffix)
	if len(stem) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		stem = strings.TrimRight(stem[:cut], " ")
	}
	return stem + suffix + ext
}

// syncDir makes a rename in dir durable. Failures are ignored by the
// caller: the rename has happened, and some filesystems (FUSE) cannot sync
// a folder at all.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// cause strips the operation and path a *fs.PathError or *os.LinkError
// adds, for an error that names them itself.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
