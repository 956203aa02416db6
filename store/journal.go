package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"
)

// The journal records every batch lashview makes (an rm, a doctor --fix)
// so that Restore can undo it: one JSON object a line, appended under an
// exclusive lock; a later line of the same serial is the batch's newer
// state (items marked undone), and the newest line wins on reading.

// Action is what a batch did to one path.
type Action string

// The actions a batch records; each can be undone.
const (
	ActionTrash Action = "trash" // moved into the Trash
	ActionMove  Action = "move"  // moved inside the store
	ActionWrite Action = "write" // a new file written (a sidecar from the bytes)
)

// Role says what a path was to the store.
type Role string

// The roles of a path in a batch.
const (
	RoleBlob    Role = "blob"
	RoleSidecar Role = "sidecar"
	RoleOther   Role = "other" // temp litter, a folder in the way, a stray
)

// BatchItem is one change a batch made.
type BatchItem struct {
	Action Action `json:"action"`
	ID     ID     `json:"id,omitempty"`
	Role   Role   `json:"role"`
	// Path is the file's absolute path in the store (in a bucket: its
	// store-relative key): where it was (trash),
	// where it came from (move), where it was written (write).
	Path string `json:"path"`
	// To is where a move put it.
	To string `json:"to,omitempty"`
	// Trashed and Info are where a trashed file lies and its .trashinfo (in
	// a bucket: the key of its copy in the trash area; no Info).
	Trashed string `json:"trashed,omitempty"`
	Info    string `json:"info,omitempty"`
	// SHA256 is the hash of the bytes a write wrote: undo removes (to the
	// Trash) only a file that still holds them.
	SHA256 string `json:"sha256,omitempty"`
	// Undone is set once restore has dealt with the item.
	Undone bool `json:"undone,omitempty"`
	// Planned is set on an item a bucket's batch recorded before making
	// the change (its journal is written first, so a dropped connection
	// never leaves a change that restore cannot find) and cleared once it
	// is made. A folder's batches never set it.
	Planned bool `json:"planned,omitempty"`
}

// Batch is one undoable operation (an rm, or a doctor --fix) on one store,
// as the journal records it.
type Batch struct {
	Serial string      `json:"serial"`
	Store  string      `json:"store"` // the store root, absolute (a bucket's s3:// URL)
	Op     string      `json:"op"`    // "rm", "doctor --fix"
	Time   time.Time   `json:"time"`
	Items  []BatchItem `json:"items"`
}

// Pending reports whether some item of the batch is not undone yet.
func (b *Batch) Pending() bool {
	for _, it := range b.Items {
		if !it.Undone {
			return true
		}
	}
	return false
}

var batchSeq atomic.Uint64

func newBatch(root, op string) *Batch {
	now := time.Now()
	return &Batch{
		Serial: fmt.Sprintf("%s-%d-%d", now.UTC().Format("20060102T150405.000000000"), os.Getpid(), batchSeq.Add(1)),
		Store:  root, Op: op, Time: now,
	}
}

// maxJournal is the size past which the journal is compacted to the newest
// state of its last keepBatches batches (variables for the tests).
var (
	maxJournal  int64 = 4 << 20
	keepBatches       = 200
)

// lockJournal opens the journal for appending with an exclusive lock, so
// two lashview processes never interleave or lose a batch.
func (c *TrashCan) lockJournal() (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(c.Journal), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(c.Journal), cause(err))
	}
	for {
		f, err := os.OpenFile(c.Journal, os.O_RDWR|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open the trash journal %s: %w", c.Journal, cause(err))
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock the trash journal %s: %w", c.Journal, err)
		}
		// A compaction by another process may have replaced the file while
		// we waited for the lock: the lock must be on the file at the name.
		held, err1 := f.Stat()
		now, err2 := os.Lstat(c.Journal)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return f, nil
		}
		f.Close()
	}
}

// appendJournal records the batch's current state as one line; the newest
// line of a serial wins when the journal is read.
func (c *TrashCan) appendJournal(b *Batch) error {
	f, err := c.lockJournal()
	if err != nil {
		return err
	}
	defer f.Close()
	line, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("record batch %s: %w", b.Serial, err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write the trash journal %s: %w", c.Journal, cause(err))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write the trash journal %s: %w", c.Journal, cause(err))
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > maxJournal {
		return c.compactJournal(f)
	}
	return nil
}

// compactJournal rewrites the journal (held locked as f) with the newest
// state of the most recent batches only.
func (c *TrashCan) compactJournal(f *os.File) error {
	batches, err := readJournal(f)
	if err != nil {
		return err
	}
	if len(batches) > keepBatches {
		batches = batches[len(batches)-keepBatches:]
	}
	var buf bytes.Buffer
	for _, b := range batches {
		line, _ := json.Marshal(b)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return writeAtomic(c.Journal, buf.Bytes())
}

// Batches returns the journal's batches, oldest first, each in its newest
// state. A missing journal has none.
func (c *TrashCan) Batches() ([]*Batch, error) {
	f, err := os.Open(c.Journal)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open the trash journal %s: %w", c.Journal, cause(err))
	}
	defer f.Close()
	return readJournal(f)
}

func readJournal(f *os.File) ([]*Batch, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read the trash journal %s: %w", f.Name(), cause(err))
	}
	var order []string
	latest := map[string]*Batch{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var b Batch
		// A torn last line (a crash mid-write) or a foreign line is skipped:
		// the rest of the journal is still good.
		if json.Unmarshal(sc.Bytes(), &b) != nil || b.Serial == "" {
			continue
		}
		if _, seen := latest[b.Serial]; !seen {
			order = append(order, b.Serial)
		}
		latest[b.Serial] = &b
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the trash journal %s: %w", f.Name(), err)
	}
	out := make([]*Batch, len(order))
	for i, s := range order {
		out[i] = latest[s]
	}
	return out, nil
}
