package xdgtrash

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// deviceOf is the device number of the filesystem holding path.
func deviceOf(path string) (uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("stat %s: no device number on this system", path)
	}
	return uint64(st.Dev), nil
}

// mountTopOf finds the top folder of the mount that holds path: the last
// ancestor on the same device.
func mountTopOf(path string) (string, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	dev, err := deviceOf(path)
	if err != nil {
		return "", err
	}
	for {
		parent := filepath.Dir(path)
		if parent == path {
			return path, nil
		}
		pdev, err := deviceOf(parent)
		if err != nil || pdev != dev {
			return path, nil
		}
		path = parent
	}
}

// existingAncestor is path or its nearest ancestor that exists, so the home
// trash's device is known before the Trash folder is made.
func existingAncestor(path string) string {
	for {
		if _, err := os.Stat(path); err == nil {
			return path
		}
		parent := filepath.Dir(path)
		if parent == path {
			return path
		}
		path = parent
	}
}
