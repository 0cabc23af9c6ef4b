package lakecheck

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

func TestIsCompacted(t *testing.T) {
	for name, want := range map[string]bool{
		"00000-0-0b9f4f1e-8d5c-4b57-a0a4-5b1f6a3c2d10-00001.parquet":     true,
		"00003-12-0b9f4f1e-8d5c-4b57-a0a4-5b1f6a3c2d10-00000.parquet":    true,
		sink.FileName("t", 0, 0, 9):                                      false,
		"00000-0-0b9f4f1e-8d5c-4b57-a0a4-5b1f6a3c2d10-00001.parquet.tmp": false,
		"00000-0-not-a-uuid-00001.parquet":                               false,
	} {
		if got := IsCompacted(name); got != want {
			t.Errorf("IsCompacted(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestCheckCompacted: attempts listed as compacted files, one per tenant
// (named for no flush), check out as long as every row's landed_at is the
// day of its folder; a row of another day is misfiled.
func TestCheckCompacted(t *testing.T) {
	dir := build(t, goodSpec())
	lake, err := sink.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	landed := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		stray   int64 // offset of partition 1 landed a day later; -1 for none
		problem string
	}{
		{"rows of its day", -1, ""},
		{"a row of another day", 5, "partition 1 offset 5 has landed_at day 2026-11-25, in a compacted file of partition tenant=b/ingest_date=2026-11-24"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One compacted file per tenant, where an Iceberg table's data
			// folder would hold it, with its partition's attempts.
			var listed []sink.DataFile
			for p := range int32(2) {
				hive := sink.TenantHive(tenantOf(p), day)
				rel := path.Join("landerd", "tenant="+tenantOf(p), flatten.TableAttempts, "data", day,
					"00000-0-0b9f4f1e-8d5c-4b57-a0a4-5b1f6a3c2d1"+strconv.Itoa(int(p))+"-00001.parquet")
				writeCompacted(t, filepath.Join(dir, rel), goodSpec()[p][0].rows, func(r row) time.Time {
					if r.partition == 1 && r.offset == tc.stray {
						return landed.Add(24 * time.Hour)
					}
					return landed
				})
				listed = append(listed, sink.DataFile{Path: rel, Hive: hive, Partition: -1})
			}
			w := goodWant()
			w.Listed = func(_ context.Context, table string) ([]sink.DataFile, error) {
				if table == flatten.TableAttempts {
					return listed, nil
				}
				return sink.ListDataFiles(lake, table)
			}
			_, problems, err := Check(context.Background(), lake, w)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.problem == "" && len(problems) > 0:
				t.Errorf("problems %q, want none", problems)
			case tc.problem != "" && !slices.ContainsFunc(problems, func(p string) bool { return strings.HasSuffix(p, tc.problem) }):
				t.Errorf("problems %q, want one ending %q", problems, tc.problem)
			}
		})
	}
}

// writeCompacted writes rows of attempts, each landed at landedAt(row), as
// the Parquet file name.
func writeCompacted(t *testing.T, name string, rows []row, landedAt func(row) time.Time) {
	t.Helper()
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	sc := arrow.NewSchema(append(slices.Clone(schemas[flatten.TableAttempts].Fields()), arrow.Field{Name: "landed_at", Type: ts}), nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.topic)
		b.Field(1).(*array.Int32Builder).Append(r.partition)
		b.Field(2).(*array.Int64Builder).Append(r.offset)
		b.Field(3).(*array.Int32Builder).Append(r.questions)
		b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(landedAt(r).UnixMicro()))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	tbl := array.NewTableFromRecords(sc, []arrow.RecordBatch{rec})
	defer tbl.Release()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := pqarrow.WriteTable(tbl, f, 1024, nil, pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		t.Fatal(err)
	}
}
