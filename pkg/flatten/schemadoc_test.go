package flatten

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

var update = flag.Bool("update", false, "rewrite golden files (docs/schema.md)")

const schemaDocPath = "../../docs/schema.md"

// TestSchemaDoc keeps docs/schema.md equal to what the code's schemas say.
// Run `go test ./pkg/flatten -run SchemaDoc -update` after changing a table.
func TestSchemaDoc(t *testing.T) {
	var b bytes.Buffer
	renderSchemaDoc(&b)
	if *update {
		if err := os.WriteFile(schemaDocPath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaDocPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("%s is out of date with the schemas in pkg/flatten: run go test ./pkg/flatten -run SchemaDoc -update", schemaDocPath)
	}
}

func renderSchemaDoc(w *bytes.Buffer) {
	fmt.Fprint(w, `# The lake's tables

<!-- Generated from pkg/flatten/schema.go by `+"`go test ./pkg/flatten -run SchemaDoc -update`"+`; do not edit. -->

landerd lands every Kafka message of the topic in exactly one of two places: a row in
`+"`attempts`"+` (plus one row in `+"`questions`"+` per question of the attempt), or a row in
`+"`_quarantine`"+` when it cannot be flattened. Each table is a folder of Hive-partitioned Parquet:

    <lake>/attempts/ingest_date=2026-11-24/<topic>-<partition>-<first offset>-<last offset>.parquet
    <lake>/questions/ingest_date=2026-11-24/...
    <lake>/_quarantine/ingest_date=2026-11-24/...

- With tenancy on (`+"`tenancy.source`"+` header or topic) every table has the tenant as its first
  partition level, `+"`<lake>/attempts/tenant=<T>/ingest_date=<D>/...`"+`; records whose tenant is missing or
  unknown land in `+"`<lake>/_quarantine/tenant=_unassigned/ingest_date=<D>/...`"+`. Read
  `+"`<lake>/attempts/tenant=<T>`"+` as one tenant's table, or `+"`<lake>/attempts`"+` as one table partitioned by
  (tenant, ingest_date).
- The partition column is `+"`ingest_date`"+` (the UTC date landerd took the message in, the date of
  `+"`landed_at`"+`) by default. With `+"`lake.partition_by: event_date`"+`, `+"`attempts`"+` and `+"`questions`"+` are
  partitioned by `+"`event_date`"+`, the UTC date of `+"`started_at`"+` (the landing date when started_at is
  null); `+"`_quarantine`"+` always uses `+"`ingest_date`"+`. Readers with Hive partitioning turn it into a DATE column.
  As Iceberg tables (`+"`lake.format: iceberg`"+`) each table is partitioned by a column of its own:
  with event_date `+"`attempts`"+` by the date of `+"`started_at`"+`, null when started_at is null, and
  `+"`questions`"+` by `+"`ingest_date`"+` ([iceberg.md](iceberg.md#partitioning)).
- File names carry the Kafka topic, partition and the range of offsets in the file, zero-padded so
  that they sort by offset. Files appear under their final name only when complete; folders whose
  names start with `+"`_`"+` or `+"`.`"+` (such as `+"`_landerd`"+`, landerd's bookkeeping) are not data.
- Timestamps are Parquet TIMESTAMP(MICROS, isAdjustedToUTC=true): instants in UTC. There are no
  stringly-typed numbers, no unsigned integers and no INT96.
- The lake mirrors the topic: an attempt sent twice is landed twice (the real data set has 38 such
  duplicates). Deduplicate at query time by `+"`keen_id`"+`, keeping e.g. the row with the smallest
  (`+"`kafka_partition`"+`, `+"`kafka_offset`"+`). `+"`(kafka_topic, kafka_partition, kafka_offset)`"+` identifies a
  message uniquely; join `+"`questions`"+` to `+"`attempts`"+` on those three columns.
- A field that is absent or null in the message is null in the table, never a made-up default.

`)
	for _, tb := range Tables() {
		fmt.Fprintf(w, "## `%s`\n\n%s\n\n", tb.Name, tb.Doc)
		fmt.Fprint(w, "| column | Parquet type | Spark / Trino / DuckDB type | null? | source | meaning |\n")
		fmt.Fprint(w, "|---|---|---|---|---|---|\n")
		for _, c := range tb.Columns {
			null := "no"
			if c.Nullable {
				null = "yes"
			}
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | %s |\n", c.Name, parquetType(c.Type), sqlTypes(c.Type), null,
				sourceText(c.Source), strings.ReplaceAll(c.Doc, "|", "\\|"))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "## Quarantine reasons\n\n| reason | meaning |\n|---|---|\n")
	for _, r := range Reasons {
		fmt.Fprintf(w, "| `%s` | %s |\n", r, r.Description())
	}
	fmt.Fprint(w, "\nThe `field` column names the offending field as a JSON path and `detail` gives the byte offset, so a\n"+
		"quarantined record can be found and repaired; `raw` holds the message exactly as it arrived.\n")
}

func sourceText(s string) string {
	switch s {
	case "derived", "kafka", "landerd":
		return s
	}
	return "`" + s + "`"
}

func parquetType(dt arrow.DataType) string {
	switch dt.ID() {
	case arrow.STRING:
		return "BYTE_ARRAY (STRING)"
	case arrow.BINARY:
		return "BYTE_ARRAY"
	case arrow.INT32:
		return "INT32"
	case arrow.INT64:
		return "INT64"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.TIMESTAMP:
		return "INT64 TIMESTAMP(MICROS, UTC)"
	case arrow.LIST:
		return "LIST of " + parquetType(dt.(*arrow.ListType).Elem())
	case arrow.STRUCT:
		var f []string
		for _, fl := range dt.(*arrow.StructType).Fields() {
			f = append(f, fl.Name+" "+parquetType(fl.Type))
		}
		return "STRUCT(" + strings.Join(f, ", ") + ")"
	}
	panic("no Parquet type for " + dt.String())
}

func sqlTypes(dt arrow.DataType) string {
	switch dt.ID() {
	case arrow.STRING:
		return "STRING / VARCHAR / VARCHAR"
	case arrow.BINARY:
		return "BINARY / VARBINARY / BLOB"
	case arrow.INT32:
		return "INT / INTEGER / INTEGER"
	case arrow.INT64:
		return "BIGINT"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.TIMESTAMP:
		return "TIMESTAMP / TIMESTAMP(6) WITH TIME ZONE / TIMESTAMP WITH TIME ZONE"
	case arrow.LIST:
		return "ARRAY&lt;STRUCT&gt; / ARRAY(ROW) / STRUCT[]"
	}
	panic("no SQL type for " + dt.String())
}
