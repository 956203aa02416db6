package sessions

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"lashview/store"
)

// Blob is one blob of the store as the collector sees it: its id and when it
// was last modified (lash refreshes the time when it puts bytes that already
// exist). A zero ModTime counts as older than any grace.
type Blob struct {
	ID      store.ID
	ModTime time.Time
}

// DefaultGrace is the grace lash-cli gives its background sweep.
const DefaultGrace = time.Hour

// Sweep is what lash's attachment sweep would do to a store.
type Sweep struct {
	// Roots are the ids some session keeps (whether or not the store has
	// the blob), sorted.
	Roots []store.ID
	// Reclaimable are the store's blobs lash would delete, sorted.
	Reclaimable []store.ID
	// Spared are blobs no session keeps that were modified within the
	// grace, so this sweep leaves them (the next one may not), sorted.
	Spared []store.ID
}

// RefusedError is Collect's answer while any session database could not be
// read: an unread database may reference any blob, so nothing is provably
// unreferenced. lash's own sweep aborts in the same case.
type RefusedError struct{ Problems []Problem }

func (e *RefusedError) Error() string {
	var names []string
	for _, p := range e.Problems {
		names = append(names, p.File)
	}
	return fmt.Sprintf("refusing to judge which blobs are unreferenced: %d session database(s) could not be read: %s",
		len(names), strings.Join(names, ", "))
}

// Collect applies lash alpha.111's reclaim_unreferenced_attachments rule to
// the store's blobs at time now. It is pure: it reads only its arguments.
//
// A manifest row keeps its id when it is committed. An uncommitted intent
// keeps its id until it is older than now-grace and its owner is proven
// gone: a turn once another turn of the session committed after the intent
// (Use.OwnerEnded), a process never (lash's CLI wires no process registry
// into the sweep), no owner (a direct host put) by age alone. Graph nodes
// without a manifest row keep nothing, as in lash. Of the blobs that nothing
// keeps, those modified within the grace are spared. The same rule is
// alpha.87–110's (whose rows have no owner: age only) and alpha.43's
// documented orphan rule.
//
// Collect returns a *RefusedError while ix has any Problems.
func Collect(ix *Index, blobs []Blob, now time.Time, grace time.Duration) (Sweep, error) {
	if len(ix.Problems) > 0 {
		return Sweep{}, &RefusedError{Problems: ix.Problems}
	}
	cutoff := now.Add(-grace)
	cutoffMs := cutoff.UnixMilli()
	roots := map[store.ID]bool{}
	for k, i := range ix.slots {
		for r := ix.ids[i].first; r >= 0; r = ix.uses[r].next {
			if u := ix.use(&ix.uses[r]); u.Manifest && keeps(u, cutoffMs) {
				roots[k.ID()] = true
				break
			}
		}
	}
	var sw Sweep
	for id := range roots {
		sw.Roots = append(sw.Roots, id)
	}
	for _, b := range blobs {
		if roots[b.ID] {
			continue
		}
		if b.ModTime.After(cutoff) {
			sw.Spared = append(sw.Spared, b.ID)
			continue
		}
		sw.Reclaimable = append(sw.Reclaimable, b.ID)
	}
	for _, s := range [][]store.ID{sw.Roots, sw.Reclaimable, sw.Spared} {
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	}
	return sw, nil
}

// keeps reports whether one manifest row keeps its id at the cutoff.
func keeps(u Use, cutoffMs int64) bool {
	if u.Committed {
		return true
	}
	if u.IntentAtMs >= cutoffMs {
		return true // fresh: the put may still be on its way to a commit
	}
	switch u.OwnerKind {
	case "turn":
		return !u.OwnerEnded
	case "process":
		return true
	case "":
		return false
	}
	// An owner kind lash does not write: never guess it dead.
	return true
}
