package lakecheck

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/landerd/landerd/pkg/sink"
)

// compactedName matches the name iceberg-go gives a data file it writes,
// as `landerd compact` has it do: <partition id>-<task id>-<write
// uuid>-<file count>.parquet.
var compactedName = regexp.MustCompile(`^[0-9]{5}-[0-9]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9]{5}\.parquet$`)

// IsCompacted reports whether name is the name of a data file a
// compaction wrote (iceberg-go's), which holds the rows of many flushes
// and is named for none.
func IsCompacted(name string) bool { return compactedName.MatchString(name) }

// Compacted reports whether f is a compacted data file as CatalogFiles
// lists it: one named for no flush, its Topic empty. Check cannot hold
// its rows to a name, so it holds them to its partition folder instead
// (checkPartition).
func Compacted(f sink.DataFile) bool { return f.Topic == "" }

// partitionSources maps a partition folder's field to the column whose
// day it is (docs/iceberg.md, Partitioning).
var partitionSources = map[string]string{"ingest_date": "landed_at", "event_date": "started_at"}

// checkPartition reports every row of rec, a batch of the compacted file
// f, whose partition column's day is not the one f's folder names (a
// null for <field>=null): the partition the table's manifests give the
// file, by which readers prune.
func (c *checker) checkPartition(f sink.DataFile, rec arrow.RecordBatch) error {
	hive := f.Hive
	if _, ok := sink.TenantOf(hive); ok {
		_, hive, _ = strings.Cut(hive, "/")
	}
	field, value, ok := strings.Cut(hive, "=")
	source := partitionSources[field]
	if !ok || source == "" || strings.Contains(value, "/") {
		return fmt.Errorf("%s: compacted file in partition folder %q, which is none of the tables' partitions", f.Path, f.Hive)
	}
	cols := columns{rec: rec}
	ts := column[*array.Timestamp](&cols, source)
	parts, offs := column[*array.Int32](&cols, "kafka_partition"), column[*array.Int64](&cols, "kafka_offset")
	if cols.err != nil {
		return fmt.Errorf("%s: %w", f.Path, cols.err)
	}
	unit := ts.DataType().(*arrow.TimestampType).Unit
	for i := range int(rec.NumRows()) {
		day := sink.NullValue
		if ts.IsValid(i) {
			day = ts.Value(i).ToTime(unit).UTC().Format(time.DateOnly)
		}
		if day != value {
			c.report("misfiled", "%s: partition %d offset %d has %s day %s, in a compacted file of partition %s",
				f.Path, parts.Value(i), offs.Value(i), source, day, f.Hive)
		}
	}
	return nil
}
