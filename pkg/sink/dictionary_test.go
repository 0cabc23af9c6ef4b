package sink

import (
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
