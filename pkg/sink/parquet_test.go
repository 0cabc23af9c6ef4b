package sink

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// A Parquet file reads back equal to what was written, with the lake's
// type conventions in its metadata, for every codec.
func TestParquetFileRoundTrip(t *testing.T) {
	tests := []struct {
		compression string
		want        compress.Compression
	}{
		{"", compress.Codecs.Zstd},
		{"zstd", compress.Codecs.Zstd},
		{"snappy", compress.Codecs.Snappy},
		{"gzip", compress.Codecs.Gzip},
		{"none", compress.Codecs.Uncompressed},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			ctx := context.Background()
			lake := newTestLake(t)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)

			f, err := lake.Create("x.parquet")
			if err != nil {
				t.Fatal(err)
			}
			pf, err := NewParquetFile(f, testSchema, WriterOptions{Compression: tt.compression, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			var recs []arrow.RecordBatch
			for _, r := range [][2]int64{{100, 149}, {150, 150}, {151, 400}} {
				rec := testRecord(mem, 2, offsetRange(r[0], r[1]))
				defer rec.Release()
				recs = append(recs, rec)
				if err := pf.Write(rec, r[0], r[1]); err != nil {
					t.Fatal(err)
				}
			}
			if pf.Rows() != 301 {
				t.Fatalf("rows = %d; want 301", pf.Rows())
			}
			if first, last := pf.Offsets(); first != 100 || last != 400 {
				t.Fatalf("offsets = %d..%d; want 100..400", first, last)
			}
			if err := pf.Close(); err != nil {
				t.Fatal(err)
			}
			fi, err := lake.Stat("x.parquet")
			if err != nil || fi.Size() != pf.Size() {
				t.Fatalf("stat = %v, %v; want size %d", fi, err, pf.Size())
			}

			got, err := ReadTable(ctx, lake, "x.parquet", mem)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			want := array.NewTableFromRecords(testSchema, recs)
			defer want.Release()
			// Exact types come back; only field metadata (Parquet field ids)
			// and the list element's name ("element", as Parquet names it)
			// differ from the schema written.
			if got.NumCols() != want.NumCols() || got.NumRows() != want.NumRows() {
				t.Fatalf("read back %d cols x %d rows; want %d x %d", got.NumCols(), got.NumRows(), want.NumCols(), want.NumRows())
			}
			for i := range int(want.NumCols()) {
				g, w := got.Schema().Field(i), want.Schema().Field(i)
				if g.Name != w.Name || g.Nullable != w.Nullable || !arrow.TypeEqual(g.Type, w.Type) {
					t.Fatalf("column %d read back as %s; want %s", i, g, w)
				}
				if !array.ChunkedEqual(got.Column(i).Data(), want.Column(i).Data()) {
					t.Fatalf("column %s read back differs from the records written", w.Name)
				}
			}

			checkMetadata(t, lake, "x.parquet", tt.want, 3)
		})
	}
}

// checkMetadata opens a file with the plain Parquet reader and checks the
// lake's conventions: microsecond UTC timestamps (never INT96), statistics,
// the codec, one row group per batch and the stored Arrow schema.
func checkMetadata(t *testing.T, fsys FS, name string, codec compress.Compression, rowGroups int) {
	t.Helper()
	rf, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := file.NewParquetReader(rf)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	md := r.MetaData()
	if md.NumRowGroups() != rowGroups {
		t.Errorf("row groups = %d; want %d", md.NumRowGroups(), rowGroups)
	}
	if md.KeyValueMetadata().FindValue("ARROW:schema") == nil {
		t.Error("no ARROW:schema in the key-value metadata")
	}
	timestamps := 0
	for i := range md.Schema.NumColumns() {
		col := md.Schema.Column(i)
		if col.PhysicalType() == parquet.Types.Int96 {
			t.Errorf("column %s is INT96", col.Path())
		}
		if ts, ok := col.LogicalType().(schema.TimestampLogicalType); ok {
			timestamps++
			if !ts.IsAdjustedToUTC() || ts.TimeUnit() != schema.TimeUnitMicros || col.PhysicalType() != parquet.Types.Int64 {
				t.Errorf("column %s: %s; want TIMESTAMP(MICROS, isAdjustedToUTC=true) on INT64", col.Path(), ts)
			}
		}
		cc, err := md.RowGroup(0).ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		if cc.Compression() != codec {
			t.Errorf("column %s: codec %s; want %s", col.Path(), cc.Compression(), codec)
		}
		if ok, err := cc.StatsSet(); err != nil || !ok {
			t.Errorf("column %s: no statistics (%v)", col.Path(), err)
		}
	}
	if timestamps != 2 {
		t.Errorf("found %d timestamp columns; want 2", timestamps)
	}
}

func TestParquetFileRejectsTypesTheLakeForbids(t *testing.T) {
	tests := []struct {
		name string
		typ  arrow.DataType
		want string
	}{
		{"unsigned", arrow.PrimitiveTypes.Uint32, "unsigned"},
		{"naive timestamp", &arrow.TimestampType{Unit: arrow.Microsecond}, "timestamp[us, tz=UTC]"},
		{"nanosecond timestamp", &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, "timestamp[us, tz=UTC]"},
		{"nested unsigned", arrow.ListOf(arrow.StructOf(arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Uint8})), "c.item.n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lake := newTestLake(t)
			f, err := lake.Create("x")
			if err != nil {
				t.Fatal(err)
			}
			sc := arrow.NewSchema([]arrow.Field{{Name: "c", Type: tt.typ}}, nil)
			_, err = NewParquetFile(f, sc, WriterOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want it to mention %q", err, tt.want)
			}
			if _, err := f.Write([]byte("x")); err == nil {
				t.Fatal("the file is still open after a failed NewParquetFile")
			}
		})
	}
	lake := newTestLake(t)
	f, err := lake.Create("y")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewParquetFile(f, testSchema, WriterOptions{Compression: "lz5"}); err == nil || !strings.Contains(err.Error(), "lz5") {
		t.Fatalf("unknown compression: err = %v", err)
	}
}

// discardFile is a File that drops its data, so that benchmarks measure
// encoding alone.
type discardFile struct{}

func (discardFile) Write(p []byte) (int, error) { return len(p), nil }
func (discardFile) Close() error                { return nil }

// benchRecord is a synthetic batch like the attempts table: strings, ints,
// doubles, booleans, timestamps.
func benchRecord(mem memory.Allocator, rows int) arrow.RecordBatch {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "kafka_offset", Type: arrow.PrimitiveTypes.Int64},
		{Name: "keen_id", Type: arrow.BinaryTypes.String},
		{Name: "exam_name", Type: arrow.BinaryTypes.String},
		{Name: "correct", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "certification", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "started_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "landed_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	exams := []string{"Learning Git", "Introduction to Python", "Intermediate Python Programming", "Learning to Program with R", "Software Architecture Basics"}
	base := time.Date(2018, 1, 23, 14, 23, 19, 0, time.UTC).UnixMicro()
	for i := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("5a6745820eb8ab00016be1f%d", 100000+i*7919%900000))
		b.Field(2).(*array.StringBuilder).Append(exams[i*31%len(exams)])
		b.Field(3).(*array.Int32Builder).Append(int32(i % 5))
		b.Field(4).(*array.Float64Builder).Append(float64(i%5) / 4)
		b.Field(5).(*array.BooleanBuilder).Append(false)
		b.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(base + int64(i)*1_234_567))
		b.Field(7).(*array.TimestampBuilder).Append(arrow.Timestamp(base + 86_400_000_000 + int64(i)))
	}
	return b.NewRecordBatch()
}

// BenchmarkParquetFileWrite measures encoding throughput in bytes of Arrow
// data per second: each iteration appends one 8192-row batch as a row group.
func BenchmarkParquetFileWrite(b *testing.B) {
	for _, compression := range []string{"zstd", "snappy", "none"} {
		b.Run(compression, func(b *testing.B) {
			mem := memory.NewGoAllocator()
			rec := benchRecord(mem, 8192)
			defer rec.Release()
			pf, err := NewParquetFile(discardFile{}, rec.Schema(), WriterOptions{Compression: compression, Allocator: mem})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(recordSize(rec))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := pf.Write(rec, int64(i)*8192, int64(i)*8192+8191); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := pf.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(pf.Size())/float64(pf.Rows()), "file-bytes/row")
		})
	}
}

// recordSize is the size of a record's Arrow buffers.
func recordSize(rec arrow.RecordBatch) int64 {
	var size func(d arrow.ArrayData) int64
	size = func(d arrow.ArrayData) int64 {
		var n int64
		for _, buf := range d.Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
		for _, c := range d.Children() {
			n += size(c)
		}
		return n
	}
	var n int64
	for _, col := range rec.Columns() {
		n += size(col.Data())
	}
	return n
}
