package sink

import (
	"context"
	"fmt"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/flatten"
)

// testSchema is a small schema with the kinds of columns the lake holds:
// lineage, strings, integers, nullable doubles, booleans, UTC timestamps
// and a list of structs.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "kafka_partition", Type: arrow.PrimitiveTypes.Int32},
	{Name: "kafka_offset", Type: arrow.PrimitiveTypes.Int64},
	{Name: "keen_id", Type: arrow.BinaryTypes.String},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "passed", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "started_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "options", Type: arrow.ListOf(arrow.StructOf(
		arrow.Field{Name: "id", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	)), Nullable: true},
}, nil)

// testRecord builds one row per offset; every value derives from the offset.
func testRecord(mem memory.Allocator, partition int32, offsets []int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	base := time.Date(2018, 1, 23, 14, 23, 19, 82_000_000, time.UTC)
	opts := b.Field(6).(*array.ListBuilder)
	optStruct := opts.ValueBuilder().(*array.StructBuilder)
	for _, off := range offsets {
		b.Field(0).(*array.Int32Builder).Append(partition)
		b.Field(1).(*array.Int64Builder).Append(off)
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("keen-%d-%d", partition, off))
		if off%5 == 0 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Float64Builder).Append(float64(off%7) / 7)
		}
		b.Field(4).(*array.BooleanBuilder).Append(off%2 == 0)
		b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(base.Add(time.Duration(off) * time.Second).UnixMicro()))
		if off%4 == 0 {
			opts.AppendNull()
			continue
		}
		opts.Append(true)
		for i := range off % 3 {
			optStruct.Append(true)
			optStruct.FieldBuilder(0).(*array.StringBuilder).Append(fmt.Sprintf("opt-%d", i))
			optStruct.FieldBuilder(1).(*array.TimestampBuilder).Append(arrow.Timestamp(base.UnixMicro() + int64(i)))
		}
	}
	return b.NewRecordBatch()
}

func offsetRange(first, last int64) []int64 {
	var out []int64
	for o := first; o <= last; o++ {
		out = append(out, o)
	}
	return out
}

// writeFlush writes the rows of offsets into files of p the way landerd
// does: offsets divisible by 3 go to _quarantine, the rest to attempts,
// split over two Hive partitions, so that one flush spans tables and Hive
// partitions. It returns the files (to publish or abandon).
func writeFlush(t testing.TB, p *Partition, mem memory.Allocator, offsets []int64) ([]*ParquetFile, error) {
	t.Helper()
	groups := map[[2]string][]int64{}
	mid := offsets[len(offsets)/2]
	for _, o := range offsets {
		key := [2]string{flatten.TableAttempts, "ingest_date=2026-11-24"}
		switch {
		case o%3 == 0:
			key = [2]string{flatten.TableQuarantine, "ingest_date=2026-11-24"}
		case o >= mid:
			key = [2]string{flatten.TableAttempts, "ingest_date=2026-11-25"}
		}
		groups[key] = append(groups[key], o)
	}
	keys := make([][2]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return slices.Compare(a[:], b[:]) })
	var files []*ParquetFile
	for _, k := range keys {
		offs := groups[k]
		pf, err := p.Create(k[0], k[1], testSchema, WriterOptions{Compression: "snappy", Allocator: mem})
		if err != nil {
			return files, err
		}
		files = append(files, pf)
		// Two batches per file: two row groups.
		half := (len(offs) + 1) / 2
		for _, part := range [][]int64{offs[:half], offs[half:]} {
			if len(part) == 0 {
				continue
			}
			rec := testRecord(mem, p.partition, part)
			err := pf.Write(rec, part[0], part[len(part)-1])
			rec.Release()
			if err != nil {
				return files, err
			}
		}
	}
	return files, nil
}

// flush writes and publishes offsets as one flush.
func flush(t testing.TB, ctx context.Context, p *Partition, mem memory.Allocator, offsets []int64) error {
	t.Helper()
	files, err := writeFlush(t, p, mem, offsets)
	if err != nil {
		return err
	}
	return p.Publish(ctx, files, offsets[0], offsets[len(offsets)-1])
}

// lakeRows reads every published data file of the lake and counts the rows
// per Kafka offset. It also checks that each file's name states the offset
// range of its rows and that its rows belong to its partition.
func lakeRows(t testing.TB, fsys FS) map[int64]int {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	counts := map[int64]int{}
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuestions, flatten.TableQuarantine} {
		files, err := ListDataFiles(fsys, table)
		if err != nil {
			t.Fatalf("list %s: %v", table, err)
		}
		for _, df := range files {
			tbl, err := ReadTable(ctx, fsys, df.Path, mem)
			if err != nil {
				t.Fatalf("read %s: %v", df.Path, err)
			}
			lo, hi := int64(-1), int64(-1)
			col := tbl.Column(1).Data()
			for _, chunk := range col.Chunks() {
				for _, o := range chunk.(*array.Int64).Int64Values() {
					counts[o]++
					if lo < 0 || o < lo {
						lo = o
					}
					hi = max(hi, o)
				}
			}
			for _, chunk := range tbl.Column(0).Data().Chunks() {
				for _, p := range chunk.(*array.Int32).Int32Values() {
					if p != df.Partition {
						t.Errorf("%s: row of partition %d", df.Path, p)
					}
				}
			}
			tbl.Release()
			if lo != df.First || hi != df.Last {
				t.Errorf("%s: rows hold offsets %d..%d; name says %d..%d", df.Path, lo, hi, df.First, df.Last)
			}
			if path.Dir(df.Path) != path.Join(table, df.Hive) {
				t.Errorf("%s: hive %q does not match its directory", df.Path, df.Hive)
			}
		}
	}
	return counts
}

func newTestLake(t testing.TB) *LocalFS {
	t.Helper()
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// listNames lists a directory of fsys, failing the test on error.
func listNames(t testing.TB, fsys FS, dir string) []string {
	t.Helper()
	infos, err := fsys.ReadDir(dir)
	if err != nil {
		t.Fatalf("readdir %s: %v", dir, err)
	}
	var out []string
	for _, fi := range infos {
		out = append(out, fi.Name())
	}
	return out
}
