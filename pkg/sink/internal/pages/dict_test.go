package pages

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

// TestStrTable: every string added is found under its index, through the
// table's growth, and strings not added are not found, including the
// empty string and prefixes of added ones.
func TestStrTable(t *testing.T) {
	var tab strTable
	for round := range 2 {
		buf, off := []byte{}, []int32{0}
		var vals [][]byte
		for i := range 5000 {
			v := []byte(fmt.Sprintf("value-%d-%d", round, i*7919))
			if i%3 == 0 {
				v = v[:len(v)-1] // some values are prefixes of others
			}
			vals = append(vals, v)
		}
		vals = append(vals, []byte{})
		for i, v := range vals {
			id, slot, tag := tab.find(v, buf, off)
			if id >= 0 {
				if !bytes.Equal(buf[off[id]+4:off[id+1]], v) {
					t.Fatalf("round %d: %q found as entry %d, %q", round, v, id, buf[off[id]+4:off[id+1]])
				}
				continue
			}
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(v)))
			buf = append(buf, v...)
			off = append(off, int32(len(buf)))
			tab.add(slot, tag, int32(tab.n), buf, off)
			if tab.n > len(tab.slots)/2 {
				t.Fatalf("after %d values: %d entries in %d slots", i, tab.n, len(tab.slots))
			}
		}
		for _, v := range vals {
			id, _, _ := tab.find(v, buf, off)
			if id < 0 || !bytes.Equal(buf[off[id]+4:off[id+1]], v) {
				t.Fatalf("round %d: %q not found (%d)", round, v, id)
			}
		}
		for _, v := range []string{"value", "other", "value-9-1"} {
			if id, _, _ := tab.find([]byte(v), buf, off); id >= 0 {
				t.Fatalf("round %d: %q found as entry %d", round, v, id)
			}
		}
		tab.reset()
	}
}
