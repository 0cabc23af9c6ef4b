package pages

import (
	"bytes"
	"hash/maphash"
)

// strTable finds the dictionary index of a byte string. It is an
// open-addressing hash table of indices whose strings are compared in the
// dictionary's own PLAIN buffer (entry i at buf[off[i]+4:off[i+1]]). That
// buffer is small and dense, whereas a Go map keyed by the values would
// compare against strings spread over the whole column's data, a cache
// miss per lookup.
type strTable struct {
	seed  maphash.Seed
	slots []strSlot // a power of two in length, at most half full
	n     int
}

// strSlot is one slot of a strTable: an index, and the high half of its
// string's hash, which settles most mismatches without the string.
type strSlot struct {
	tag uint32
	id1 int32 // the index + 1; 0 when the slot is empty
}

// minSlots is the size of a strTable's first allocation.
const minSlots = 64

// find returns the index of v in the dictionary (buf, off), or -1 and the
// slot and tag to add v with.
func (t *strTable) find(v, buf []byte, off []int32) (id int32, slot int, tag uint32) {
	if t.slots == nil {
		t.seed = maphash.MakeSeed()
		t.slots = make([]strSlot, minSlots)
	}
	h := maphash.Bytes(t.seed, v)
	tag = uint32(h >> 32)
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s.id1 == 0 {
			return -1, i, tag
		}
		if s.tag == tag {
			if id := s.id1 - 1; bytes.Equal(buf[off[id]+4:off[id+1]], v) {
				return id, i, tag
			}
		}
	}
}

// add records that the string find did not find has index id, in the slot
// and with the tag find returned. buf and off must already hold it.
func (t *strTable) add(slot int, tag uint32, id int32, buf []byte, off []int32) {
	t.slots[slot] = strSlot{tag: tag, id1: id + 1}
	t.n++
	if 2*t.n <= len(t.slots) {
		return
	}
	t.slots = make([]strSlot, 2*len(t.slots))
	mask := len(t.slots) - 1
	for id := range int32(t.n) {
		h := maphash.Bytes(t.seed, buf[off[id]+4:off[id+1]])
		i := int(h) & mask
		for t.slots[i].id1 != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = strSlot{tag: uint32(h >> 32), id1: id + 1}
	}
}

// reset empties t, keeping its slots.
func (t *strTable) reset() {
	clear(t.slots)
	t.n = 0
}
