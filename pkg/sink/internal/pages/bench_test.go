package pages

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// discard counts and drops what is written, so that benchmarks measure
// encoding alone.
type discard struct{ n int64 }

func (d *discard) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }
func (d *discard) Tell() int64                 { return d.n }

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

// BenchmarkWrite measures encoding throughput in bytes of Arrow data per
// second: each iteration appends one 8192-row batch as a row group, with
// the properties package sink writes with.
func BenchmarkWrite(b *testing.B) {
	for _, compression := range []string{"zstd", "snappy", "none"} {
		b.Run(compression, func(b *testing.B) {
			mem := memory.NewGoAllocator()
			rec := benchRecord(mem, 8192)
			defer rec.Release()
			props, arrowProps := options{Compression: compression, Allocator: mem}.properties(b)
			out := &discard{}
			w, err := NewWriter(out, rec.Schema(), props, arrowProps)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(recordSize(rec))
			b.ReportAllocs()
			rows := int64(0)
			for b.Loop() {
				if err := w.Write(rec); err != nil {
					b.Fatal(err)
				}
				rows += rec.NumRows()
			}
			b.StopTimer()
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(out.n)/float64(rows), "file-bytes/row")
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
