package lakecheck

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go/table"
)

// ScanOffsets reads what scan selects through iceberg-go, which must
// include kafka_partition and kafka_offset, and counts the rows of each
// (partition, offset). It fails tb on any error.
func ScanOffsets(ctx context.Context, tb testing.TB, scan *table.Scan) map[[2]int64]int {
	tb.Helper()
	at, err := scan.ToArrowTable(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer at.Release()
	out := map[[2]int64]int{}
	tr := array.NewTableReader(at, 1<<16)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		col := func(name string) arrow.Array {
			idx := rec.Schema().FieldIndices(name)
			if len(idx) == 0 {
				tb.Fatalf("scan: no column %s", name)
			}
			return rec.Column(idx[0])
		}
		ps, ok1 := col("kafka_partition").(*array.Int32)
		os, ok2 := col("kafka_offset").(*array.Int64)
		if !ok1 || !ok2 {
			tb.Fatalf("scan: kafka_partition is %s and kafka_offset %s, want int32 and int64",
				col("kafka_partition").DataType(), col("kafka_offset").DataType())
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			out[[2]int64{int64(ps.Value(i)), os.Value(i)}]++
		}
	}
	if err := tr.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
