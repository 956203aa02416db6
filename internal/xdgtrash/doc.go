// Package xdgtrash is the freedesktop.org Trash (Trash specification 1.0)
// for one user: which trash folder a path belongs in (the home trash, or a
// mount's .Trash/$uid or .Trash-$uid), moving a path there under a name
// that fits beside the others (Trash.Put), and the .trashinfo file that
// lets a file manager show it and put it back (EncodeInfo, ParseInfo).
//
// It only ever renames: a path whose mount has no usable trash is refused
// with ErrNoTrash rather than copied across, so nothing is ever deleted.
// It knows nothing of what it trashes; the caller picks the name (a stem
// and an extension) a person will recognise in a file manager.
package xdgtrash
