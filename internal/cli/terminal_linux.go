package cli

import "golang.org/x/sys/unix"

// ioctlGetTermios reads a terminal's settings; the request's name and
// number differ between Linux and the BSDs.
const ioctlGetTermios = unix.TCGETS
