package s3test

import "syscall"

// procAttr kills the server with the test process, should that die
// before its cleanup runs.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
