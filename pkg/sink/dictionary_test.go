package sink

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// TestDictionaryOption: only the listed columns are dictionary-encoded; nil
// keeps the Parquet default (every column).
func TestDictionaryOption(t *testing.T) {
	for _, tc := range []struct {
		name string
		dict []string
		want map[string]bool // column path → dictionary-encoded
	}{
		{"default", nil, map[string]bool{"keen_id": true, "kafka_offset": true}},
		{"only keen_id", []string{"keen_id"}, map[string]bool{"keen_id": true, "kafka_offset": false}},
		{"none", []string{}, map[string]bool{"keen_id": false, "kafka_offset": false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lake := newTestLake(t)
			f, err := lake.Create("d.parquet")
			if err != nil {
				t.Fatal(err)
			}
			pf, err := NewParquetFile(f, testSchema, WriterOptions{Dictionary: tc.dict})
			if err != nil {
				t.Fatal(err)
			}
			rec := testRecord(memory.DefaultAllocator, 1, offsetRange(0, 99))
			if err := pf.Write(rec, 0, 99); err != nil {
				t.Fatal(err)
			}
			rec.Release()
			if err := pf.Close(); err != nil {
				t.Fatal(err)
			}
			rf, err := lake.Open("d.parquet")
			if err != nil {
				t.Fatal(err)
			}
			r, err := file.NewParquetReader(rf)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			md := r.MetaData()
			seen := 0
			for i := range md.Schema.NumColumns() {
				path := md.Schema.Column(i).Path()
				want, ok := tc.want[path]
				if !ok {
					continue
				}
				cc, err := md.RowGroup(0).ColumnChunk(i)
				if err != nil {
					t.Fatal(err)
				}
				got := cc.HasDictionaryPage()
				for _, e := range cc.Encodings() {
					got = got || e == parquet.Encodings.RLEDict || e == parquet.Encodings.PlainDict
				}
				seen++
				if got != want {
					t.Errorf("column %s: dictionary %v, want %v (encodings %v)", path, got, want, cc.Encodings())
				}
			}
			if seen != len(tc.want) {
				t.Errorf("checked %d columns, want %d", seen, len(tc.want))
			}
		})
	}
}

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
