package lander

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/test/system/duckdb"
)

// TestDuckDBReadsTheLake lands a generated topic and has DuckDB, a reader
// landerd did not write, read every table with Hive partitioning: the row
// counts and every column's type must be what the schemas promise.
func TestDuckDBReadsTheLake(t *testing.T) {
	f := newFixture(t, 2)
	gen := attemptgen.New(attemptgen.Config{Seed: 11, BadRate: 0.03, DuplicateRate: 0.02})
	f.produce(t, gen, 1500)
	stop := f.run(t)
	f.waitLanded(t, 90*time.Second)
	stop()

	var good, bad int
	for _, want := range f.want {
		for _, r := range want {
			if r == "" {
				good++
			} else {
				bad++
			}
		}
	}
	rows := map[string]int{flatten.TableAttempts: good, flatten.TableQuarantine: bad}
	for _, tb := range flatten.Tables() {
		glob := duckdb.Literal(f.lake.Root() + "/" + tb.Name + "/*/*.parquet")
		src := fmt.Sprintf("read_parquet(%s, hive_partitioning = true)", glob)
		desc := duckdb.Query(t, "DESCRIBE SELECT * FROM "+src)
		got := map[string]string{}
		for _, r := range desc.Rows {
			got[r["column_name"].(string)] = r["column_type"].(string)
		}
		for _, c := range tb.Columns {
			// DuckDB quotes only the struct field names that need it.
			if want := duckdbType(c.Type); strings.ReplaceAll(got[c.Name], `"`, "") != want {
				t.Errorf("%s.%s: DuckDB type %q, want %q", tb.Name, c.Name, got[c.Name], want)
			}
		}
		if got["ingest_date"] != "DATE" {
			t.Errorf("%s.ingest_date: DuckDB type %q, want DATE", tb.Name, got["ingest_date"])
		}
		if len(got) != len(tb.Columns)+1 {
			t.Errorf("%s: DuckDB sees %d columns, want %d and ingest_date", tb.Name, len(got), len(tb.Columns))
		}
		res := duckdb.Query(t, "SELECT count(*) AS n, count(DISTINCT (kafka_partition, kafka_offset)) AS d FROM "+src)
		n, d := res.Rows[0]["n"].(int64), res.Rows[0]["d"].(int64)
		if want, ok := rows[tb.Name]; ok && (n != int64(want) || d != int64(want)) {
			t.Errorf("%s: DuckDB counts %d rows (%d distinct offsets), want %d", tb.Name, n, d, want)
		}
		if tb.Name == flatten.TableQuestions {
			sum := duckdb.Query(t, fmt.Sprintf("SELECT sum(question_count)::BIGINT AS q FROM read_parquet(%s)",
				duckdb.Literal(f.lake.Root()+"/attempts/*/*.parquet")))
			if q := sum.Rows[0]["q"].(int64); n != q {
				t.Errorf("questions: %d rows, attempts' question_count sums to %d", n, q)
			}
		}
	}
}

// duckdbType is the type DuckDB reports for a column of the given Arrow type.
func duckdbType(dt arrow.DataType) string {
	switch dt.ID() {
	case arrow.STRING:
		return "VARCHAR"
	case arrow.BINARY:
		return "BLOB"
	case arrow.INT32:
		return "INTEGER"
	case arrow.INT64:
		return "BIGINT"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.TIMESTAMP:
		return "TIMESTAMP WITH TIME ZONE"
	case arrow.LIST:
		return duckdbType(dt.(*arrow.ListType).Elem()) + "[]"
	case arrow.STRUCT:
		var fs []string
		for _, f := range dt.(*arrow.StructType).Fields() {
			fs = append(fs, f.Name+" "+duckdbType(f.Type))
		}
		return "STRUCT(" + strings.Join(fs, ", ") + ")"
	}
	return "unknown " + dt.String()
}
