// Package store reads and writes the lash attachment store on disk: a
// content-addressed folder of blobs named by their SHA-256, each with a JSON
// sidecar beside it (see ../shared/docs/lash-store-format.md).
package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
)

// ID is an attachment's content id: the lowercase hex SHA-256 of its bytes.
// The zero value is not a valid id; build one with ParseID or IDOf.
type ID string

// IDLen is the length of an ID in characters.
const IDLen = 64

// ErrInvalidID is returned (wrapped) for any string that is not 64 lowercase
// hex characters. Nothing on disk is touched before this check.
var ErrInvalidID = fmt.Errorf("invalid attachment id")

// ParseID accepts exactly 64 lowercase hex characters and nothing else, so an
// ID can never smuggle a path ("../x", "/etc", "<id>.tmp") into a join.
func ParseID(s string) (ID, error) {
	if !isHexID(s) {
		return "", fmt.Errorf("%w %q: an id is 64 lowercase hex characters (the SHA-256 of the bytes)", ErrInvalidID, short(s))
	}
	return ID(s), nil
}

// IDOf returns the id of a SHA-256 digest.
func IDOf(sum [sha256.Size]byte) ID { return ID(hex.EncodeToString(sum[:])) }

func isHexID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func short(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// String returns the hex id.
func (id ID) String() string { return string(id) }

// Ref is the reference lash's session records use: "sha256:<id>".
func (id ID) Ref() string { return "sha256:" + string(id) }

// Prefix is the name of the id's prefix folder: its first two characters.
func (id ID) Prefix() string { return string(id[:2]) }

// Short is the id's first 12 characters, for display.
func (id ID) Short() string { return string(id[:12]) }

// Layout maps ids to paths inside a store root. It does no I/O.
type Layout struct{ Root string }

// Dir is ROOT/sha256.
func (l Layout) Dir() string { return filepath.Join(l.Root, "sha256") }

// PrefixDir is ROOT/sha256/<id[:2]>.
func (l Layout) PrefixDir(id ID) string { return filepath.Join(l.Root, "sha256", id.Prefix()) }

// Blob is the path of the id's blob.
func (l Layout) Blob(id ID) string { return filepath.Join(l.PrefixDir(id), string(id)) }

// Sidecar is the path of the id's sidecar.
func (l Layout) Sidecar(id ID) string { return l.Blob(id) + ".json" }

// NameKind is what a file name inside the store is to lash.
type NameKind int

// The kinds of names ParseName tells apart.
const (
	NameForeign   NameKind = iota // not a name lash writes
	NameBlob                      // <id> in its own prefix folder
	NameSidecar                   // <id>.json in its own prefix folder
	NameTemp                      // a temp of an interrupted write: *.tmp, *.staging.*
	NameMisplaced                 // <id> or <id>.json outside its prefix folder
)

// Name is a file name inside the store, parsed.
type Name struct {
	Kind NameKind
	// ID is the attachment the name belongs to (blob, sidecar or
	// misplaced; "" otherwise).
	ID ID
	// Sidecar says a misplaced name is a sidecar's.
	Sidecar bool
}

// ParseName is the one place that says what a file name is: name lies in
// the prefix folder prefix ("" for sha256/ itself). Nothing else in
// lashview matches store names by hand.
func ParseName(name, prefix string) Name {
	base, isSide := strings.CutSuffix(name, ".json")
	if isHexID(base) && base[:2] == prefix {
		if isSide {
			return Name{Kind: NameSidecar, ID: ID(base)}
		}
		return Name{Kind: NameBlob, ID: ID(base)}
	}
	if strings.HasSuffix(name, ".tmp") || strings.Contains(name, ".staging.") {
		return Name{Kind: NameTemp}
	}
	if isHexID(base) {
		return Name{Kind: NameMisplaced, ID: ID(base), Sidecar: isSide}
	}
	return Name{}
}

// IsPrefix reports whether name can be a prefix folder: two lowercase hex
// characters. It keeps path tricks ("..", "/") out of the folder paths.
func IsPrefix(name string) bool {
	return len(name) == 2 && isHexID(name+strings.Repeat("0", IDLen-2))
}

// Key is an id as its 32 bytes: a map keyed by it holds no string per id
// (the watcher's and the sessions index's sets of 100,000 ids).
type Key [sha256.Size]byte

// Key is the id's 32 bytes; false when the id is not 64 lowercase hex.
func (id ID) Key() (Key, bool) {
	var k Key
	if len(id) != 2*len(k) {
		return k, false
	}
	for i := range k {
		hi, ok1 := unhex(id[2*i])
		lo, ok2 := unhex(id[2*i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k[i] = hi<<4 | lo
	}
	return k, true
}

// ID is the key's id (a new string).
func (k Key) ID() ID { return IDOf(k) }

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
