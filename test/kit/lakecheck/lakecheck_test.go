package lakecheck

import (
	"context"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

const topic = "t"

// A test lake: two partitions of offsets 0..9 each, partition 0 of tenant
// a and partition 1 of tenant b. Offset 3 of each is quarantined as
// bad_json; every other offset is an attempt with offset%3 questions.
const (
	perPartition = 10
	quarantined  = 3
	day          = "ingest_date=2026-11-24"
	badJSON      = flatten.Reason("bad_json")
)

func tenantOf(p int32) string { return []string{"a", "b"}[p] }

// row is a row of a test lake's file.
type row struct {
	topic     string
	partition int32
	offset    int64
	questions int32  // attempts: question_count
	reason    string // _quarantine
	index     int32  // questions: question_index
}

// dataFile is a file of a test lake's flush, named for offsets first..last.
type dataFile struct {
	table, hive string
	first, last int64
	rows        []row
}

// spec is what a test lake holds, by partition.
type spec map[int32][]dataFile

// goodSpec returns a lake that meets goodWant.
func goodSpec() spec {
	s := spec{}
	for p := range int32(2) {
		hive := sink.TenantHive(tenantOf(p), day)
		att := dataFile{table: flatten.TableAttempts, hive: hive, first: 0, last: perPartition - 1}
		q := dataFile{table: flatten.TableQuarantine, hive: hive, first: quarantined, last: quarantined,
			rows: []row{{topic: topic, partition: p, offset: quarantined, reason: string(badJSON)}}}
		qs := dataFile{table: flatten.TableQuestions, hive: hive, first: 0, last: perPartition - 1}
		for off := range int64(perPartition) {
			if off == quarantined {
				continue
			}
			n := int32(off % 3)
			att.rows = append(att.rows, row{topic: topic, partition: p, offset: off, questions: n})
			for i := range n {
				qs.rows = append(qs.rows, row{topic: topic, partition: p, offset: off, index: i})
			}
		}
		s[p] = []dataFile{att, q, qs}
	}
	return s
}

// goodWant is what was produced to the test lake.
func goodWant() Want {
	w := Want{Topic: topic, Ends: map[int32]int64{}, Reasons: map[Key]flatten.Reason{}, Tenants: map[Key]string{}, Questions: true}
	for p := range int32(2) {
		w.Ends[p] = perPartition
		for off := range int64(perPartition) {
			k := Key{p, off}
			w.Reasons[k] = ""
			if off == quarantined {
				w.Reasons[k] = badJSON
			}
			w.Tenants[k] = tenantOf(p)
		}
	}
	return w
}

var schemas = map[string]*arrow.Schema{
	flatten.TableAttempts:   schema(arrow.Field{Name: "question_count", Type: arrow.PrimitiveTypes.Int32, Nullable: true}),
	flatten.TableQuarantine: schema(arrow.Field{Name: "reason", Type: arrow.BinaryTypes.String}, arrow.Field{Name: "detail", Type: arrow.BinaryTypes.String}),
	flatten.TableQuestions:  schema(arrow.Field{Name: "question_index", Type: arrow.PrimitiveTypes.Int32}),
}

// schema is the Kafka columns the check reads, and more.
func schema(more ...arrow.Field) *arrow.Schema {
	return arrow.NewSchema(append([]arrow.Field{
		{Name: "kafka_topic", Type: arrow.BinaryTypes.String},
		{Name: "kafka_partition", Type: arrow.PrimitiveTypes.Int32},
		{Name: "kafka_offset", Type: arrow.PrimitiveTypes.Int64},
	}, more...), nil)
}

// records builds the rows of a file of table; the caller releases them.
func records(table string, rows []row) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schemas[table])
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r.topic)
		b.Field(1).(*array.Int32Builder).Append(r.partition)
		b.Field(2).(*array.Int64Builder).Append(r.offset)
		switch table {
		case flatten.TableAttempts:
			b.Field(3).(*array.Int32Builder).Append(r.questions)
		case flatten.TableQuarantine:
			b.Field(3).(*array.StringBuilder).Append(r.reason)
			b.Field(4).(*array.StringBuilder).Append("detail of " + r.reason)
		case flatten.TableQuestions:
			b.Field(3).(*array.Int32Builder).Append(r.index)
		}
	}
	return b.NewRecordBatch()
}

// build lands s in a new local lake, one flush of offsets 0..9 per
// partition, and returns its directory.
func build(t *testing.T, s spec) string {
	t.Helper()
	dir := t.TempDir()
	lake, err := sink.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for p, files := range s {
		part, err := sink.Claim(ctx, lake, topic, p)
		if err != nil {
			t.Fatal(err)
		}
		var pfs []*sink.ParquetFile
		for _, f := range files {
			if len(f.rows) == 0 {
				continue
			}
			pf, err := part.Create(f.table, f.hive, schemas[f.table], sink.WriterOptions{Compression: "snappy"})
			if err != nil {
				t.Fatal(err)
			}
			rec := records(f.table, f.rows)
			err = pf.Write(rec, f.first, f.last)
			rec.Release()
			if err != nil {
				t.Fatal(err)
			}
			pfs = append(pfs, pf)
		}
		if err := part.Publish(ctx, pfs, 0, perPartition-1); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fileOf returns the path in dir of the published file of table and
// partition p.
func fileOf(t *testing.T, dir, table string, p int32) string {
	t.Helper()
	lake, err := sink.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := sink.ListDataFiles(lake, table)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Partition == p {
			return filepath.Join(dir, filepath.FromSlash(f.Path))
		}
	}
	t.Fatalf("no %s file of partition %d", table, p)
	return ""
}

// Damage to a test lake.

func copyTo(table string, p int32, hive string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		from := fileOf(t, dir, table, p)
		body, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(dir, table, filepath.FromSlash(hive), filepath.Base(from))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func moveTo(table string, p int32, hive string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		from := fileOf(t, dir, table, p)
		copyTo(table, p, hive)(t, dir)
		if err := os.Remove(from); err != nil {
			t.Fatal(err)
		}
	}
}

func remove(table string, p int32) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.Remove(fileOf(t, dir, table, p)); err != nil {
			t.Fatal(err)
		}
	}
}

func write(rel string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		name := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// addGap records in partition p's state a gap of lost offsets first..last.
func addGap(p int32, first, last int64) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		name := filepath.Join(dir, filepath.FromSlash(sink.PartitionDir(topic, p)), "state.json")
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var st sink.State
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		st.Gaps = append(st.Gaps, sink.Gap{First: first, Last: last, Reason: sink.GapRetention, Skipped: true})
		if body, err = json.Marshal(st); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCheck(t *testing.T) {
	other := sink.TenantHive("a", "ingest_date=1999-12-31")
	tests := []struct {
		name   string
		spec   func(spec)
		damage func(*testing.T, string)
		want   func(*Want)
		// problems must be exactly these when exact, else contain each.
		problems []string
		exact    bool
		check    func(*testing.T, Summary)
	}{
		{name: "the lake as landed", exact: true, check: func(t *testing.T, s Summary) {
			want := Summary{Attempts: 18, Quarantined: 2, Questions: 18, Files: 6, ByTenant: map[string]int{"a": 10, "b": 10}, questions: true}
			if !reflect.DeepEqual(s, want) {
				t.Errorf("summary %+v, want %+v", s, want)
			}
			if got, want := s.String(), "18 attempts, 2 quarantined, 18 questions in 6 files; records by tenant map[a:10 b:10]"; got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
		}},
		{name: "an attempts file published twice", damage: copyTo(flatten.TableAttempts, 0, other),
			problems: []string{"0 offsets missing, 9 duplicated", "partition 0 offset 0 is in the lake 2 times"}},
		{name: "a quarantine file published twice", damage: copyTo(flatten.TableQuarantine, 1, other),
			problems: []string{"0 offsets missing, 1 duplicated", "partition 1 offset 3 is in the lake 2 times"}},
		{name: "an attempts file lost", damage: remove(flatten.TableAttempts, 1),
			problems: []string{"9 offsets missing, 0 duplicated", "partition 1 offset 0 is in neither attempts nor _quarantine",
				"questions: rows for partition 1 offset 1, which is not a landed attempt"}},
		{name: "a quarantine file lost", damage: remove(flatten.TableQuarantine, 0), exact: true,
			problems: []string{"1 offsets missing, 0 duplicated", "partition 0 offset 3 is in neither attempts nor _quarantine"}},
		{name: "a questions file lost", damage: remove(flatten.TableQuestions, 0),
			problems: []string{"questions: partition 0 offset 1 has 0 rows, its attempt has question_count 1", "questions: 9 rows, the attempts' question_count sums to 18"}},
		{name: "a questions file published twice", damage: copyTo(flatten.TableQuestions, 0, other),
			problems: []string{"questions: partition 0 offset 1 question 0 appears twice", "has 2 rows, its attempt has question_count 1"}},
		{name: "questions under another tenant", damage: moveTo(flatten.TableQuestions, 0, sink.TenantHive("b", day)),
			problems: []string{`questions: partition 0 offset 1 is under tenant "b"`, `its attempt under "a"`}},
		{name: "questions of no landed attempt", spec: func(s spec) {
			s[0][2].rows = append(s[0][2].rows, row{topic: topic, partition: 0, offset: quarantined})
		}, problems: []string{"questions: rows for partition 0 offset 3, which is not a landed attempt"}},
		{name: "without questions, the questions table is not read", damage: remove(flatten.TableQuestions, 0),
			want: func(w *Want) { w.Questions = false }, exact: true, check: func(t *testing.T, s Summary) {
				if got, want := s.String(), "18 attempts and 2 quarantined in 4 files; records by tenant map[a:10 b:10]"; got != want {
					t.Errorf("String() = %q, want %q", got, want)
				}
			}},
		{name: "a temporary file in a table", damage: write(flatten.TableAttempts + "/ingest_date=2020-01-01/x.parquet.tmp"), exact: true,
			problems: []string{"temporary file left behind: attempts/ingest_date=2020-01-01/x.parquet.tmp"}},
		{name: "a foreign file in a table", damage: write(flatten.TableQuestions + "/README"), exact: true,
			problems: []string{"temporary file left behind: questions/README"}},
		{name: "an orphan in the control directory", damage: write(sink.PartitionDir(topic, 1) + "/tmp/e0000000001-000001-attempts.parquet.tmp"), exact: true,
			problems: []string{"temporary file left behind: " + path.Join(sink.PartitionDir(topic, 1), "tmp/e0000000001-000001-attempts.parquet.tmp")}},
		{name: "a gap where none is allowed", damage: addGap(1, 10, 11), want: func(w *Want) { w.Ends[1] = 12 },
			problems: []string{"partition 1: the lake records 1 gaps of lost offsets", "partition 1 offset 10 is in neither attempts nor _quarantine"}},
		{name: "a gap over landed offsets", damage: addGap(1, 0, 9), want: func(w *Want) { w.AllowGaps = true },
			problems: []string{"partition 1 offset 0 is in the lake 1 times, and recorded as lost"}},
		{name: "offsets lost in a gap", damage: addGap(1, 10, 11), want: func(w *Want) { w.AllowGaps = true; w.Ends[1] = 12 }, exact: true,
			check: func(t *testing.T, s Summary) {
				if s.Gaps != 1 || s.Lost != 2 || len(s.GapsOf[1]) != 1 || s.GapsOf[1][0].First != 10 || s.GapsOf[1][0].Last != 11 {
					t.Errorf("gaps %d, lost %d, %+v; want 1 gap of 10..11", s.Gaps, s.Lost, s.GapsOf)
				}
				if !strings.Contains(s.String(), "; 2 offsets recorded as lost in 1 gaps") {
					t.Errorf("String() = %q does not count the lost offsets", s)
				}
			}},
		{name: "offsets lost without a gap", want: func(w *Want) { w.Ends[1] = 12 }, exact: true,
			problems: []string{"2 offsets missing, 0 duplicated", "partition 1 offset 10 is in neither attempts nor _quarantine", "partition 1 offset 11 is in neither attempts nor _quarantine"}},
		{name: "offsets never produced", want: func(w *Want) { w.Ends[1] = 9 },
			problems: []string{"partition 1 offset 9, which was never produced"}},
		{name: "a partition never produced", want: func(w *Want) { delete(w.Ends, 1) },
			problems: []string{"partition 1 offset 0, which was never produced"}},
		{name: "a row of another topic", spec: func(s spec) { s[0][0].rows[0].topic = "u" },
			problems: []string{`attempts/tenant=a/ingest_date=2026-11-24/t-00000-0000000000000000000-0000000000000000009.parquet: a row of topic "u"`,
				"partition 0 offset 0 is in neither attempts nor _quarantine"}},
		{name: "a row in a file named for other offsets", spec: func(s spec) { s[1][0].last = 8 },
			problems: []string{"partition 1 offset 9 in a file named for partition 1 offsets 0..8"}},
		{name: "records in the wrong table", want: func(w *Want) { w.Reasons[Key{0, quarantined}] = ""; w.Reasons[Key{1, 4}] = badJSON }, exact: true,
			problems: []string{"attempts: partition 1 offset 4 landed as an attempt, want quarantined as bad_json",
				`_quarantine: partition 0 offset 3 quarantined as "bad_json", want ""`}},
		{name: "records of unknown table and tenant", want: func(w *Want) { w.Reasons, w.Tenants = nil, nil }, exact: true},
		{name: "a record under the wrong tenant", want: func(w *Want) { w.Tenants[Key{0, 1}] = "b" }, exact: true,
			problems: []string{`attempts: partition 0 offset 1 is under tenant "a" (attempts/tenant=a/ingest_date=2026-11-24/t-00000-0000000000000000000-0000000000000000009.parquet), want tenant "b"`}},
		{name: "files and details the caller refuses", want: func(w *Want) {
			w.File = func(f sink.DataFile) string {
				if f.Partition == 1 && f.Hive != "" {
					return f.Path + ": refused"
				}
				return ""
			}
			w.Quarantined = func(reason, detail string) string { return reason + " " + detail }
		}, problems: []string{"attempts/tenant=b/ingest_date=2026-11-24/t-00001-0000000000000000000-0000000000000000009.parquet: refused",
			"_quarantine: partition 0 offset 3: bad_json detail of bad_json"}},
		{name: "examples bounded by kind", want: func(w *Want) { w.Ends[1] = 30 }, exact: true, problems: func() []string {
			out := []string{"20 offsets missing, 0 duplicated"}
			for off := 10; off < 20; off++ {
				out = append(out, "partition 1 offset "+strconv.Itoa(off)+" is in neither attempts nor _quarantine")
			}
			return append(out, "(10 more problems of kind missing)")
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := goodSpec()
			if tc.spec != nil {
				tc.spec(s)
			}
			dir := build(t, s)
			if tc.damage != nil {
				tc.damage(t, dir)
			}
			w := goodWant()
			if tc.want != nil {
				tc.want(&w)
			}
			lake, err := sink.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			sum, problems, err := Check(context.Background(), lake, w)
			if err != nil {
				t.Fatal(err)
			}
			if tc.exact {
				if !reflect.DeepEqual(problems, tc.problems) && len(problems)+len(tc.problems) > 0 {
					t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(problems, "\n  "), strings.Join(tc.problems, "\n  "))
				}
			} else {
				if len(problems) == 0 {
					t.Errorf("no problems; want %q", tc.problems)
				}
				all := strings.Join(problems, "\n")
				for _, p := range tc.problems {
					if !strings.Contains(all, p) {
						t.Errorf("problems:\n  %s\ndo not mention %q", strings.Join(problems, "\n  "), p)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, sum)
			}
		})
	}
}

// TestCheckUnreadable: a data file that cannot be read is an error, not a
// problem of the lake, after ReadTries reads.
func TestCheckUnreadable(t *testing.T) {
	dir := build(t, goodSpec())
	if err := os.WriteFile(fileOf(t, dir, flatten.TableAttempts, 0), []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	lake, err := sink.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := goodWant()
	w.ReadTries = 2
	if _, problems, err := Check(context.Background(), lake, w); err == nil {
		t.Errorf("Check read a file that is not Parquet: problems %q", problems)
	}
}

// TestLeftovers lists what Check calls temporary files, for a caller that
// checks them alone.
func TestLeftovers(t *testing.T) {
	dir := build(t, goodSpec())
	lake, err := sink.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if left, err := Leftovers(lake, topic, []int32{0, 1}); err != nil || len(left) != 0 {
		t.Fatalf("Leftovers of the landed lake = %q, %v; want none", left, err)
	}
	write(flatten.TableQuarantine+"/x.tmp")(t, dir)
	write(sink.PartitionDir(topic, 0)+"/tmp/y")(t, dir)
	left, err := Leftovers(lake, topic, []int32{0, 1, 2})
	want := []string{"_quarantine/x.tmp", path.Join(sink.PartitionDir(topic, 0), "tmp/y")}
	if err != nil || !reflect.DeepEqual(left, want) {
		t.Fatalf("Leftovers = %q, %v; want %q", left, err, want)
	}
}

// TestCheckListed: with Want.Listed, Check reads the files it lists (an
// Iceberg snapshot's), not the folder's: a file the folder holds but the
// listing leaves out is missing, one listed twice duplicated.
func TestCheckListed(t *testing.T) {
	dir := build(t, goodSpec())
	lake, err := sink.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(table string, files []sink.DataFile) []sink.DataFile
		want string
	}{
		{"the folder's files", func(_ string, files []sink.DataFile) []sink.DataFile { return files }, ""},
		{"an attempts file left out", func(table string, files []sink.DataFile) []sink.DataFile {
			if table != flatten.TableAttempts {
				return files
			}
			return slices.DeleteFunc(files, func(f sink.DataFile) bool { return f.Partition == 1 })
		}, "9 offsets missing, 0 duplicated"},
		{"a quarantine file listed twice", func(table string, files []sink.DataFile) []sink.DataFile {
			if table != flatten.TableQuarantine {
				return files
			}
			return append(files, files[0])
		}, "0 offsets missing, 1 duplicated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := goodWant()
			w.Listed = func(_ context.Context, table string) ([]sink.DataFile, error) {
				files, err := sink.ListDataFiles(lake, table)
				return tc.edit(table, files), err
			}
			_, problems, err := Check(context.Background(), lake, w)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && len(problems) > 0:
				t.Errorf("problems %q, want none", problems)
			case tc.want != "" && (len(problems) == 0 || problems[0] != tc.want):
				t.Errorf("problems %q, want first %q", problems, tc.want)
			}
		})
	}
}
