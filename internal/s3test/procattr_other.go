//go:build !linux

package s3test

import "syscall"

// procAttr: only Linux can tie the server's life to the test process;
// elsewhere the test's cleanup stops it.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
