package sink

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/klauspost/compress/zstd"
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

// memFile is a File that keeps what is written.
type memFile struct{ bytes.Buffer }

func (*memFile) Close() error { return nil }

// A ParquetFile writes through the page encoder unless told Generic, and
// its Size is what its File took, through either writer. (That both
// writers write the same bytes is tested in package pages.)
func TestParquetFileWriters(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, generic := range []bool{true, false} {
		t.Run(fmt.Sprint("generic=", generic), func(t *testing.T) {
			f := &memFile{}
			pf, err := NewParquetFile(f, testSchema, WriterOptions{Generic: generic, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			if (pf.pw != nil) == generic || (pf.fw != nil) != generic {
				t.Fatalf("Generic=%v: page encoder in use = %v, generic writer in use = %v", generic, pf.pw != nil, pf.fw != nil)
			}
			for _, r := range [][2]int64{{0, 99}, {100, 250}} {
				rec := testRecord(mem, 1, offsetRange(r[0], r[1]))
				err := pf.Write(rec, r[0], r[1])
				rec.Release()
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := pf.Close(); err != nil {
				t.Fatal(err)
			}
			if pf.Size() != int64(f.Len()) {
				t.Fatalf("Size() = %d; %d bytes written", pf.Size(), f.Len())
			}
		})
	}
}

// A list of required elements is written by pqarrow's generic writer.
func TestParquetFileLeavesRequiredElementsToPqarrow(t *testing.T) {
	elem := arrow.StructOf(arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "l", Type: arrow.ListOfField(arrow.Field{Name: "item", Type: elem}), Nullable: true},
	}, nil)
	pf, err := NewParquetFile(&memFile{}, schema, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pf.pw != nil {
		t.Fatal("a list of required elements is taken by the page encoder")
	}
	defer pf.Close()
	if pf.pw != nil || pf.fw == nil {
		t.Fatal("file does not use the generic writer")
	}
}

// Importing the package makes landerd's zstd codec arrow-go's for the
// whole process: a page larger than its 2 MiB window comes out as a frame
// that names that window, where arrow-go's own codec writes a 3 MiB page
// as one segment.
func TestZstdCodecRegistered(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	src := make([]byte, 3<<20)
	for i := range src {
		src[i] = "abcdefgh"[(i*7919)%8^(i>>10)%8]
	}
	for _, level := range []int{compress.DefaultCompressionLevel, 1} {
		var h zstd.Header
		if err := h.Decode(c.EncodeLevel(nil, src, level)); err != nil {
			t.Fatal(err)
		}
		if h.SingleSegment || h.WindowSize != 2<<20 {
			t.Fatalf("level %d: frame of one segment %v, window %d; want a 2 MiB window", level, h.SingleSegment, h.WindowSize)
		}
	}
}
