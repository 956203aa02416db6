//go:build !linux

package xdgtrash

// RenameNoReplace renames from to to, failing with fs.ErrExist when to
// exists. Without renameat2 the check and the rename are two steps.
func RenameNoReplace(from, to string) error { return renameCheckFirst(from, to) }
