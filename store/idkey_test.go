package store

import "testing"

// An id's Key and back is the same id; anything that is not 64 lowercase
// hex has no Key.
func TestIDKeyRoundTrip(t *testing.T) {
	const id = ID("0fee77b79b9764adc03814ed7ca858f6ef08a8a3a4b0b4b3ba5a0c7e9f2d1c00")
	k, ok := id.Key()
	if !ok || k.ID() != id {
		t.Fatalf("Key of %s: %x %v, back %s", id, k, ok, k.ID())
	}
	if k[0] != 0x0f || k[31] != 0x00 {
		t.Errorf("bytes %x", k)
	}
	for _, bad := range []ID{"", id[:63], id + "0", "0FEE77B79B9764ADC03814ED7CA858F6EF08A8A3A4B0B4B3BA5A0C7E9F2D1C00", id[:62] + "g0"} {
		if _, ok := bad.Key(); ok {
			t.Errorf("%q has a Key", bad)
		}
	}
}
