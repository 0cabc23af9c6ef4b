package duckdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// question is one element of the list<struct> column.
type question struct {
	id      string
	checked *bool // nil writes a null
}

// attempt is one row of the test Parquet files; nil pointers write nulls.
type attempt struct {
	name      *string
	score     *int32
	offset    int64
	ratio     *float64
	passed    bool
	submitted *time.Time
	questions []question // nil writes a null list
}

func ptr[T any](v T) *T { return &v }

var attemptSchema = arrow.NewSchema([]arrow.Field{
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "kafka_offset", Type: arrow.PrimitiveTypes.Int64},
	{Name: "ratio", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "passed", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "submitted", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "questions", Type: arrow.ListOf(arrow.StructOf(
		arrow.Field{Name: "id", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "checked", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	)), Nullable: true},
}, nil)

// writeParquet writes rows to path as a zstd-compressed Parquet file with
// pqarrow, using mem for every Arrow allocation.
func writeParquet(t *testing.T, mem memory.Allocator, path string, rows []attempt) {
	t.Helper()
	b := array.NewRecordBuilder(mem, attemptSchema)
	defer b.Release()
	names := b.Field(0).(*array.StringBuilder)
	scores := b.Field(1).(*array.Int32Builder)
	offsets := b.Field(2).(*array.Int64Builder)
	ratios := b.Field(3).(*array.Float64Builder)
	passed := b.Field(4).(*array.BooleanBuilder)
	submitted := b.Field(5).(*array.TimestampBuilder)
	lists := b.Field(6).(*array.ListBuilder)
	structs := lists.ValueBuilder().(*array.StructBuilder)
	ids := structs.FieldBuilder(0).(*array.StringBuilder)
	checked := structs.FieldBuilder(1).(*array.BooleanBuilder)
	for _, r := range rows {
		if r.name == nil {
			names.AppendNull()
		} else {
			names.Append(*r.name)
		}
		if r.score == nil {
			scores.AppendNull()
		} else {
			scores.Append(*r.score)
		}
		offsets.Append(r.offset)
		if r.ratio == nil {
			ratios.AppendNull()
		} else {
			ratios.Append(*r.ratio)
		}
		passed.Append(r.passed)
		if r.submitted == nil {
			submitted.AppendNull()
		} else {
			submitted.Append(arrow.Timestamp(r.submitted.UnixMicro()))
		}
		if r.questions == nil {
			lists.AppendNull()
			continue
		}
		lists.Append(true)
		for _, q := range r.questions {
			structs.Append(true)
			ids.Append(q.id)
			if q.checked == nil {
				checked.AppendNull()
			} else {
				checked.Append(*q.checked)
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Zstd),
	)
	w, err := pqarrow.NewFileWriter(attemptSchema, f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		t.Fatal(errors.Join(err, f.Close()))
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(errors.Join(err, w.Close()))
	}
	// Close also closes f.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestQueryHiveParquet(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	tsA := time.Date(2026, 1, 1, 12, 34, 56, 123457000, time.UTC)
	tsB := time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC) // before the epoch
	tsC := time.Date(2026, 1, 2, 0, 0, 0, 1000, time.UTC)           // one microsecond past midnight
	root := t.TempDir()
	writeParquet(t, mem, filepath.Join(root, "attempts", "ingest_date=2026-01-01", "x.parquet"), []attempt{
		{
			name: ptr("alpha"), score: ptr(int32(7)), offset: 1<<53 + 1, ratio: ptr(0.5), passed: true,
			submitted: &tsA, questions: []question{{id: "q1", checked: ptr(true)}, {id: "q2", checked: ptr(false)}},
		},
		{
			name: ptr("bravo ü 'quoted' \"x\""), score: ptr(int32(-1 << 31)), offset: -1, ratio: ptr(2.0), passed: false,
			submitted: &tsB, questions: []question{},
		},
		{
			offset: 1<<63 - 1, passed: true,
			questions: []question{{id: "q3"}},
		},
	})
	writeParquet(t, mem, filepath.Join(root, "attempts", "ingest_date=2026-01-02", "y.parquet"), []attempt{
		{name: ptr("charlie"), score: ptr(int32(1<<31 - 1)), offset: 5, ratio: ptr(-1e-300), passed: false, submitted: &tsC},
	})

	glob := filepath.Join(root, "attempts", "*", "*.parquet")
	res := Query(t, "SELECT * FROM read_parquet("+Literal(glob)+", hive_partitioning=true) ORDER BY kafka_offset")

	wantColumns := []Column{
		{Name: "name", Type: "VARCHAR"},
		{Name: "score", Type: "INTEGER"},
		{Name: "kafka_offset", Type: "BIGINT"},
		{Name: "ratio", Type: "DOUBLE"},
		{Name: "passed", Type: "BOOLEAN"},
		{Name: "submitted", Type: "TIMESTAMP WITH TIME ZONE"},
		{Name: "questions", Type: `STRUCT("id" VARCHAR, "checked" BOOLEAN)[]`},
		{Name: "ingest_date", Type: "DATE"},
	}
	if !reflect.DeepEqual(res.Columns, wantColumns) {
		t.Errorf("columns:\n got %v\nwant %v", res.Columns, wantColumns)
	}

	wantRows := []map[string]any{
		{
			"name": "bravo ü 'quoted' \"x\"", "score": int64(-1 << 31), "kafka_offset": int64(-1), "ratio": 2.0,
			"passed": false, "submitted": "1969-12-31T23:59:59.999999Z", "questions": []any{},
			"ingest_date": "2026-01-01",
		},
		{
			"name": "charlie", "score": int64(1<<31 - 1), "kafka_offset": int64(5), "ratio": -1e-300,
			"passed": false, "submitted": "2026-01-02T00:00:00.000001Z", "questions": nil,
			"ingest_date": "2026-01-02",
		},
		{
			"name": "alpha", "score": int64(7), "kafka_offset": int64(1<<53 + 1), "ratio": 0.5,
			"passed": true, "submitted": "2026-01-01T12:34:56.123457Z",
			"questions": []any{
				map[string]any{"id": "q1", "checked": true},
				map[string]any{"id": "q2", "checked": false},
			},
			"ingest_date": "2026-01-01",
		},
		{
			"name": nil, "score": nil, "kafka_offset": int64(1<<63 - 1), "ratio": nil,
			"passed": true, "submitted": nil,
			"questions":   []any{map[string]any{"id": "q3", "checked": nil}},
			"ingest_date": "2026-01-01",
		},
	}
	if !reflect.DeepEqual(res.Rows, wantRows) {
		t.Errorf("rows:\n got %#v\nwant %#v", res.Rows, wantRows)
	}

	// The timestamps parse back to the instants written, to the microsecond.
	for i, want := range []time.Time{tsB, tsC, tsA} {
		s, _ := res.Rows[i]["submitted"].(string)
		got, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Errorf("row %d: parse submitted %q: %v", i, s, err)
			continue
		}
		if !got.Equal(want) {
			t.Errorf("row %d: submitted = %v, want %v", i, got, want)
		}
	}
}

func TestQueryAggregatesOverParquet(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	root := t.TempDir()
	rows := make([]attempt, 1000)
	for i := range rows {
		rows[i] = attempt{offset: int64(i), passed: i%3 == 0, questions: []question{{id: "a"}, {id: "b"}}}
	}
	writeParquet(t, mem, filepath.Join(root, "attempts", "ingest_date=2026-01-01", "x.parquet"), rows)

	glob := filepath.Join(root, "attempts", "*", "*.parquet")
	res := Query(t, `
		SELECT count(*) AS n, sum(kafka_offset) AS total, count(*) FILTER (WHERE passed) AS passed,
		       sum(len(questions)) AS questions, count(DISTINCT ingest_date) AS days
		FROM read_parquet(`+Literal(glob)+`, hive_partitioning=true)`)
	want := []map[string]any{{
		"n": int64(1000), "total": int64(999 * 1000 / 2), "passed": int64(334), "questions": int64(2000), "days": int64(1),
	}}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("rows = %#v, want %#v", res.Rows, want)
	}
	if got := res.Types()["total"]; got != "HUGEINT" {
		t.Errorf("type of sum(BIGINT) = %q, want HUGEINT", got)
	}
}

func TestQueryJSON(t *testing.T) {
	const (
		array = `[
 {"keen_id":"a","count":3,"big":9007199254740993,"score":1.5,"ok":true,"items":[{"id":"x","checked":true}]},
 {"keen_id":"b","count":null,"big":1,"score":2,"ok":false,"items":[]}
]`
		lines = `{"keen_id":"a","count":3,"big":9007199254740993,"score":1.5,"ok":true,"items":[{"id":"x","checked":true}]}
{"keen_id":"b","count":null,"big":1,"score":2,"ok":false,"items":[]}
`
	)
	wantColumns := []Column{
		{Name: "keen_id", Type: "VARCHAR"},
		{Name: "count", Type: "BIGINT"},
		{Name: "big", Type: "BIGINT"},
		{Name: "score", Type: "DOUBLE"},
		{Name: "ok", Type: "BOOLEAN"},
		{Name: "items", Type: `STRUCT("id" VARCHAR, "checked" BOOLEAN)[]`},
	}
	wantRows := []map[string]any{
		{
			"keen_id": "a", "count": int64(3), "big": int64(1<<53 + 1), "score": 1.5, "ok": true,
			"items": []any{map[string]any{"id": "x", "checked": true}},
		},
		{"keen_id": "b", "count": nil, "big": int64(1), "score": 2.0, "ok": false, "items": []any{}},
	}
	tests := []struct {
		name, file, content string
	}{
		{name: "array", file: "attempts.json", content: array},
		{name: "lines", file: "attempts.jsonl", content: lines},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			res := Query(t, "SELECT * FROM read_json_auto("+Literal(path)+") ORDER BY keen_id")
			if !reflect.DeepEqual(res.Columns, wantColumns) {
				t.Errorf("columns:\n got %v\nwant %v", res.Columns, wantColumns)
			}
			if !reflect.DeepEqual(res.Rows, wantRows) {
				t.Errorf("rows:\n got %#v\nwant %#v", res.Rows, wantRows)
			}
		})
	}
}

func TestQueryValues(t *testing.T) {
	tests := []struct {
		expr     string
		wantType string
		want     any
	}{
		{"NULL::VARCHAR", "VARCHAR", nil},
		{"'it''s'", "VARCHAR", "it's"},
		{"true", "BOOLEAN", true},
		{"(-128)::TINYINT", "TINYINT", int64(-128)},
		{"2147483647", "INTEGER", int64(2147483647)},
		{"9007199254740993::BIGINT", "BIGINT", int64(9007199254740993)},
		{"(-9223372036854775808)::BIGINT", "BIGINT", int64(-1 << 63)},
		{"18446744073709551615::UBIGINT", "UBIGINT", json.Number("18446744073709551615")},
		{"170141183460469231731687303715884105727::HUGEINT", "HUGEINT", json.Number("170141183460469231731687303715884105727")},
		{"42::HUGEINT", "HUGEINT", int64(42)},
		{"12.340::DECIMAL(10,3)", "DECIMAL(10,3)", "12.340"},
		{"1.5", "DECIMAL(2,1)", "1.5"},
		{"2.0::DOUBLE", "DOUBLE", 2.0},
		{"0.1::DOUBLE", "DOUBLE", 0.1},
		{"1e300::DOUBLE", "DOUBLE", 1e300},
		{"1.5::FLOAT", "FLOAT", 1.5},
		{"'nan'::DOUBLE", "DOUBLE", "NaN"},
		{"'-inf'::DOUBLE", "DOUBLE", "-Infinity"},
		{"DATE '2026-01-01'", "DATE", "2026-01-01"},
		{"TIMESTAMPTZ '2026-01-01 12:34:56.123456+02'", "TIMESTAMP WITH TIME ZONE", "2026-01-01T10:34:56.123456Z"},
		{"TIMESTAMP '1969-12-31 23:59:59.000001'", "TIMESTAMP", "1969-12-31T23:59:59.000001"},
		{"TIMESTAMP '2026-01-01 00:00:00'", "TIMESTAMP", "2026-01-01T00:00:00.000000"},
		{"'infinity'::TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "infinity"},
		{"'-infinity'::TIMESTAMP", "TIMESTAMP", "-infinity"},
		{"TIMESTAMP_MS '2026-01-01 00:00:01.5'", "TIMESTAMP_MS", "2026-01-01T00:00:01.500"},
		{"TIMESTAMP_NS '2026-01-01 00:00:01.123456789'", "TIMESTAMP_NS", "2026-01-01T00:00:01.123456789"},
		{"[1, NULL, 3]", "INTEGER[]", []any{int64(1), nil, int64(3)}},
		{"{'a': 1.5::DOUBLE, 'b': [true]}", `STRUCT("a" DOUBLE, "b" BOOLEAN[])`, map[string]any{"a": 1.5, "b": []any{true}}},
		{"MAP {'k': 1}", "MAP(VARCHAR, INTEGER)", []any{map[string]any{"key": "k", "value": int64(1)}}},
	}
	var sql strings.Builder
	sql.WriteString("SELECT ")
	for i, tt := range tests {
		if i > 0 {
			sql.WriteString(", ")
		}
		fmt.Fprintf(&sql, "%s AS c%d", tt.expr, i)
	}
	res := Query(t, sql.String())
	if len(res.Rows) != 1 || len(res.Columns) != len(tests) {
		t.Fatalf("got %d rows and %d columns, want 1 and %d", len(res.Rows), len(res.Columns), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			col := res.Columns[i]
			if col.Name != fmt.Sprintf("c%d", i) || col.Type != tt.wantType {
				t.Errorf("column = %+v, want {c%d %s}", col, i, tt.wantType)
			}
			if got := res.Rows[0][col.Name]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("value = %#v (%T), want %#v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}

func TestQueryRunsEveryStatement(t *testing.T) {
	res := Query(t, `
		CREATE TABLE t (a INTEGER);
		INSERT INTO t VALUES (1), (2), (39);
		SELECT sum(a) AS s, count(*) AS n FROM t;
	`)
	want := Result{
		Columns: []Column{{Name: "s", Type: "HUGEINT"}, {Name: "n", Type: "BIGINT"}},
		Rows:    []map[string]any{{"s": int64(42), "n": int64(3)}},
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("got %#v, want %#v", res, want)
	}
}

func TestQueryNoRows(t *testing.T) {
	res := Query(t, "SELECT 1 AS a WHERE false")
	want := Result{Columns: []Column{{Name: "a", Type: "INTEGER"}}, Rows: []map[string]any{}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("got %#v, want %#v", res, want)
	}
}

// recorder is a testing.TB whose Fatalf and Skipf record the message and
// stop the calling goroutine, as the real ones do; everything else goes to
// the embedded test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// capture runs f with a recorder wrapping t, in a goroutine it waits for, so
// that Fatalf and Skipf can end f without ending the test.
func capture(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestQueryFailsOnDuckDBError(t *testing.T) {
	Query(t, "SELECT 1") // skips here when the reader is not installed
	tests := []struct {
		name, sql string
		want      []string
	}{
		{"missing table", "SELECT * FROM no_such_table", []string{"Catalog Error", "no_such_table", "SQL:\nSELECT * FROM no_such_table"}},
		{"syntax", "SELEC 1", []string{"Parser Error", "SELEC"}},
		{"missing file", "SELECT * FROM read_parquet('/nonexistent/x.parquet')", []string{"IO Error", "/nonexistent/x.parquet"}},
		{"later statement", "SELECT 1; SELECT 1/0::INTEGER + 'x'", []string{"Error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := capture(t, func(tb testing.TB) { Query(tb, tt.sql) })
			if r.fatal == "" {
				t.Fatalf("Query did not fail the test (skip %q)", r.skip)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.fatal, w) {
					t.Errorf("failure message %q does not contain %q", r.fatal, w)
				}
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	err := checkInstalled(t.TempDir())
	if !errors.Is(err, errNotInstalled) {
		t.Fatalf("checkInstalled(empty dir) = %v, want errNotInstalled", err)
	}
	tests := []struct {
		name          string
		ci            bool
		wantFatal     bool
		wantInMessage string
	}{
		{name: "local", ci: false, wantFatal: false, wantInMessage: "run scripts/duckdb/install.sh"},
		{name: "ci", ci: true, wantFatal: true, wantInMessage: "CI must run scripts/duckdb/install.sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := capture(t, func(tb testing.TB) { unavailable(tb, tt.ci, err) })
			msg := r.skip
			if tt.wantFatal {
				msg = r.fatal
			}
			if msg == "" || (r.fatal != "") != tt.wantFatal || (r.skip != "") == tt.wantFatal {
				t.Fatalf("fatal %q, skip %q; want fatal: %v", r.fatal, r.skip, tt.wantFatal)
			}
			for _, w := range []string{tt.wantInMessage, "node_modules"} {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestLiteral(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/tmp/a", "'/tmp/a'"},
		{"/tmp/it's", "'/tmp/it''s'"},
		{"''", "''''''"},
	}
	for _, tt := range tests {
		if got := Literal(tt.in); got != tt.want {
			t.Errorf("Literal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// DuckDB reads the literal back as the original string.
	res := Query(t, "SELECT "+Literal(`a'b''c\d`)+" AS s")
	if got := res.Rows[0]["s"]; got != `a'b''c\d` {
		t.Errorf("round trip = %#v", got)
	}
}
