package watcher

import (
	"hash/maphash"
	"strconv"
	"time"

	"lashview/store"
)

// seen is what the watcher remembers of an attachment it reported: enough
// to tell whether a later examination says the same thing (as
// store.Attachment.Same judges it) and to fill a Removed event, in 32 bytes
// instead of a whole store.Attachment. For a store of 100,000 the whole
// attachments were about 23 MB of live heap, a second copy of the
// consumer's own listing.
//
// Size, time and status are kept as they are; every other field Same
// compares (the decoded sidecar aside) goes into sum, a 64-bit hash with a
// seed of the watcher's own. Two examinations that differ in those fields
// alone and still hash alike would go unreported: a chance of one in 2^64
// per change.
type seen struct {
	sum    uint64
	size   int64
	sec    int64 // Modified as seconds and nanoseconds since 1970 (its instant)
	nsec   int32
	zero   bool  // Modified is the zero time
	status uint8 // the Status, as its index in fingerprints.statuses
}

// fingerprints makes seen values; one per watcher, for its hash seed and
// the statuses its seen values number.
type fingerprints struct {
	seed     maphash.Seed
	statuses []store.Status
}

func newFingerprints() *fingerprints {
	return &fingerprints{seed: maphash.MakeSeed(), statuses: []store.Status{
		store.StatusOK, store.StatusMissingMeta, store.StatusOrphanMeta, store.StatusBadMeta, store.StatusMetaMismatch, store.StatusSymlink}}
}

// statusCode numbers a status; one the table lacks is added to it (and,
// past 255 of them, hashed: the size of the table is not a limit on what
// a store can say).
func (f *fingerprints) statusCode(s store.Status) (uint8, bool) {
	for i, t := range f.statuses {
		if t == s {
			return uint8(i), true
		}
	}
	if len(f.statuses) < 255 {
		f.statuses = append(f.statuses, s)
		return uint8(len(f.statuses) - 1), true
	}
	return 255, false
}

// of fingerprints a. Every field but Size, Modified, Status and Meta is
// hashed; a field added to store.Attachment must be added here too
// (TestFingerprintCoversEveryField fails until it is).
func (f *fingerprints) of(a store.Attachment) seen {
	var h maphash.Hash
	h.SetSeed(f.seed)
	str := func(s string) {
		// The length first, so "ab"+"c" and "a"+"bc" differ.
		var n [20]byte
		h.Write(strconv.AppendInt(n[:0], int64(len(s)), 10))
		h.WriteByte(':')
		h.WriteString(s)
	}
	num := func(v int64) {
		var n [20]byte
		h.Write(strconv.AppendInt(n[:0], v, 10))
		h.WriteByte(';')
	}
	str(string(a.ID))
	str(a.Detail)
	flags := byte(0)
	if a.HasBlob {
		flags |= 1
	}
	if a.HasSidecar {
		flags |= 2
	}
	if a.Label != nil {
		flags |= 4
	}
	h.WriteByte(flags)
	str(string(a.MediaType))
	num(int64(a.Width))
	num(int64(a.Height))
	if a.Label != nil {
		str(*a.Label)
	}
	str(a.MIME)
	str(string(a.Generation))
	code, ok := f.statusCode(a.Status)
	if !ok {
		str(string(a.Status))
	}
	s := seen{sum: h.Sum64(), size: a.Size, status: code, zero: a.Modified.IsZero()}
	if !s.zero {
		s.sec, s.nsec = a.Modified.Unix(), int32(a.Modified.Nanosecond())
	}
	return s
}

// removed is the attachment a Removed event carries for id, last seen as
// s: its id, and the status (unless it was one of more than 255 kinds),
// size and modification time last reported. The other fields
// are left zero: a consumer that needs them has the attachment from the
// event that reported it.
func (f *fingerprints) removed(id store.ID, s seen) store.Attachment {
	a := store.Attachment{ID: id, Size: s.size}
	if s.status < 255 {
		a.Status = f.statuses[s.status]
	}
	if !s.zero {
		a.Modified = time.Unix(s.sec, int64(s.nsec))
	}
	return a
}

// knownIDs maps the ids the consumer was told of to what it was told. An
// id is kept as its 32 bytes, not as a 64-character string: the window
// holds its own copy of every id string, and this set would otherwise keep
// a second one (with the folder listing's name it was cut from) alive.
type knownIDs struct {
	byKey map[idKey]seen
	// odd holds ids that are not 64 lowercase hex characters; a store
	// lists none, but the set stays right whatever it is given.
	odd map[store.ID]seen
}

type idKey = store.Key

func newKnownIDs() knownIDs {
	return knownIDs{byKey: map[idKey]seen{}, odd: map[store.ID]seen{}}
}

const hexDigits = "0123456789abcdef"

// inPrefix says whether the key's id lies in the prefix folder.
func inPrefix(k idKey, prefix string) bool {
	return len(prefix) == 2 && hexDigits[k[0]>>4] == prefix[0] && hexDigits[k[0]&15] == prefix[1]
}

func (m knownIDs) get(id store.ID) (seen, bool) {
	if k, ok := id.Key(); ok {
		s, had := m.byKey[k]
		return s, had
	}
	s, had := m.odd[id]
	return s, had
}

func (m knownIDs) set(id store.ID, s seen) {
	if k, ok := id.Key(); ok {
		m.byKey[k] = s
		return
	}
	m.odd[id] = s
}

func (m knownIDs) del(id store.ID) {
	if k, ok := id.Key(); ok {
		delete(m.byKey, k)
		return
	}
	delete(m.odd, id)
}

// each calls fn with every id in prefix ("" for all); fn may delete the id
// it is given.
func (m knownIDs) each(prefix string, fn func(store.ID)) {
	for k := range m.byKey {
		if prefix == "" || inPrefix(k, prefix) {
			fn(k.ID())
		}
	}
	for id := range m.odd {
		if prefix == "" || (len(id) >= 2 && id.Prefix() == prefix) {
			fn(id)
		}
	}
}
