package report

import (
	"bytes"
	"context"
	"encoding/json"
	"path"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// row is one attempts row; nil pointers are nulls.
type row struct {
	keen       string
	exam, base *string
	score, dur *float64
	topic      string
	part       int32
	off        int64
}

func s(v string) *string   { return &v }
func f(v float64) *float64 { return &v }

// attemptRecord builds an attempts record batch with the lake's schema;
// the columns the report does not read are null or zero.
func attemptRecord(t *testing.T, mem memory.Allocator, rows []row) arrow.RecordBatch {
	t.Helper()
	schema := flatten.AttemptsTable.Schema
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		for i, fld := range schema.Fields() {
			fb := b.Field(i)
			switch fld.Name {
			case "keen_id":
				fb.(*array.StringBuilder).Append(r.keen)
			case "exam_name", "base_exam_id":
				v := r.exam
				if fld.Name == "base_exam_id" {
					v = r.base
				}
				if v == nil {
					fb.AppendNull()
				} else {
					fb.(*array.StringBuilder).Append(*v)
				}
			case "score", "duration_seconds":
				v := r.score
				if fld.Name == "duration_seconds" {
					v = r.dur
				}
				if v == nil {
					fb.AppendNull()
				} else {
					fb.(*array.Float64Builder).Append(*v)
				}
			case "kafka_topic":
				fb.(*array.StringBuilder).Append(r.topic)
			case "kafka_partition":
				fb.(*array.Int32Builder).Append(r.part)
			case "kafka_offset":
				fb.(*array.Int64Builder).Append(r.off)
			case "landed_at":
				fb.(*array.TimestampBuilder).Append(arrow.Timestamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMicro()))
			default:
				if !fld.Nullable {
					t.Fatalf("non-nullable column %s has no test value", fld.Name)
				}
				fb.AppendNull()
			}
		}
	}
	return b.NewRecordBatch()
}

func TestAccumulator(t *testing.T) {
	opts := Options{PassThreshold: 0.7, Course: "Git", RankingSize: 2}
	tests := []struct {
		name     string
		batches  [][]row
		raw, ded Figures
	}{
		{
			name: "empty",
			raw:  Figures{Basis: BasisRaw, Topics: []TopicCount{}, MostTaken: []CourseRank{}, LeastTaken: []CourseRank{}},
			ded:  Figures{Basis: BasisDedup, Topics: []TopicCount{}, MostTaken: []CourseRank{}, LeastTaken: []CourseRank{}},
		},
		{
			// The resend of k1 comes first in the stream but sits at a
			// later offset: dedup keeps the row at (0, 1), named Git.
			name: "dedup keeps the lowest partition and offset, across batches",
			batches: [][]row{
				{{keen: "k1", exam: s("Resent"), base: s("b2"), score: f(0.5), dur: f(30), topic: "t", part: 1, off: 0}},
				{
					{keen: "k1", exam: s("Git"), base: s("b1"), score: f(1), dur: f(10), topic: "t", part: 0, off: 1},
					{keen: "k2", exam: s("Git"), base: s("b1"), score: f(0.75), dur: f(20), topic: "t", part: 0, off: 2},
					{keen: "k1", exam: s("Resent"), base: s("b2"), score: f(0.5), dur: f(30), topic: "t", part: 0, off: 3},
				},
			},
			raw: Figures{
				Basis: BasisRaw, Attempts: 4, Assessments: 2, Topics: []TopicCount{{"t", 4}},
				CourseAttempts: 2, Courses: 2,
				MostTaken:  []CourseRank{{1, "Git", 2}, {1, "Resent", 2}},
				LeastTaken: []CourseRank{{1, "Git", 2}, {1, "Resent", 2}},
				Scored:     4, AvgScore: f(2.75 / 4), Passed: 2, PassShare: f(0.5),
				Timed: 4, AvgDurationSeconds: f(90.0 / 4),
			},
			ded: Figures{
				Basis: BasisDedup, Attempts: 2, Assessments: 1, Topics: []TopicCount{{"t", 2}},
				CourseAttempts: 2, Courses: 1,
				MostTaken:  []CourseRank{{1, "Git", 2}},
				LeastTaken: []CourseRank{{1, "Git", 2}},
				Scored:     2, AvgScore: f(0.875), Passed: 2, PassShare: f(1),
				Timed: 2, AvgDurationSeconds: f(15),
			},
		},
		{
			// A score equal to the threshold does not pass; unknown scores,
			// durations, names and exam ids count in no mean, share or ranking.
			name: "threshold is strict and nulls are unknown",
			batches: [][]row{{
				{keen: "a", exam: s("Git"), base: s("b"), score: f(0.7), dur: f(100), topic: "t", off: 0},
				{keen: "b", exam: s("Git"), base: s("b"), score: f(0.71), topic: "t", off: 1},
				{keen: "c", topic: "t", off: 2},
				{keen: "d", exam: s("git"), score: f(0), dur: f(0), topic: "u", off: 0},
			}},
			raw: Figures{
				Basis: BasisRaw, Attempts: 4, Assessments: 1, Topics: []TopicCount{{"t", 3}, {"u", 1}},
				CourseAttempts: 2, Courses: 2,
				MostTaken:  []CourseRank{{1, "Git", 2}, {2, "git", 1}},
				LeastTaken: []CourseRank{{1, "git", 1}, {2, "Git", 2}},
				Scored:     3, AvgScore: f(1.41 / 3), Passed: 1, PassShare: f(1.0 / 3),
				Timed: 2, AvgDurationSeconds: f(50),
			},
		},
		{
			name: "ties extend both ends of the ranking",
			batches: [][]row{func() []row {
				var rows []row
				for name, n := range map[string]int{"A": 5, "B": 4, "C": 4, "D": 3, "E": 2, "F": 1, "G": 1} {
					for i := range n {
						rows = append(rows, row{keen: name + string(rune('0'+i)), exam: s(name), topic: "t", off: int64(len(rows))})
					}
				}
				return rows
			}()},
			raw: Figures{
				Basis: BasisRaw, Attempts: 20, Topics: []TopicCount{{"t", 20}}, Courses: 7,
				MostTaken:  []CourseRank{{1, "A", 5}, {2, "B", 4}, {2, "C", 4}},
				LeastTaken: []CourseRank{{1, "F", 1}, {1, "G", 1}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			acc := NewAccumulator(opts)
			for _, rows := range tt.batches {
				rec := attemptRecord(t, mem, rows)
				err := acc.Add(rec)
				rec.Release()
				if err != nil {
					t.Fatal(err)
				}
			}
			rep := acc.Report("test")
			checkFigures(t, rep.Raw, tt.raw)
			if tt.ded.Basis == "" {
				// Without duplicates, dedup equals raw.
				tt.ded = tt.raw
				tt.ded.Basis = BasisDedup
			}
			checkFigures(t, rep.Dedup, tt.ded)
		})
	}
}

// checkFigures compares figures, means to 1e-12.
func checkFigures(t *testing.T, got, want Figures) {
	t.Helper()
	for _, m := range []struct {
		name      string
		got, want **float64
	}{
		{"avg_score", &got.AvgScore, &want.AvgScore},
		{"pass_share", &got.PassShare, &want.PassShare},
		{"avg_duration_seconds", &got.AvgDurationSeconds, &want.AvgDurationSeconds},
	} {
		g, w := *m.got, *m.want
		switch {
		case (g == nil) != (w == nil):
			t.Errorf("%s %s = %v, want %v", got.Basis, m.name, g, w)
		case g != nil && (*g-*w > 1e-12 || *w-*g > 1e-12):
			t.Errorf("%s %s = %v, want %v", got.Basis, m.name, *g, *w)
		}
		*m.got, *m.want = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s figures:\n got %+v\nwant %+v", got.Basis, got, want)
	}
}

func TestAddRejectsForeignSchema(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tests := []struct {
		name   string
		schema *arrow.Schema
		want   string
	}{
		{"missing column", arrow.NewSchema([]arrow.Field{{Name: "keen_id", Type: arrow.BinaryTypes.String}}, nil), "column base_exam_id missing"},
		{"wrong type", arrow.NewSchema([]arrow.Field{{Name: "keen_id", Type: arrow.PrimitiveTypes.Int64}}, nil), "column keen_id has type int64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := array.NewRecordBuilder(mem, tt.schema)
			defer b.Release()
			rec := b.NewRecordBatch()
			defer rec.Release()
			err := NewAccumulator(DefaultOptions()).Add(rec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Add = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// writeFile publishes rows as a data file of table in lake.
func writeFile(t *testing.T, lake sink.FS, mem memory.Allocator, table, hive string, schema *arrow.Schema, rec arrow.RecordBatch, first, last int64) {
	t.Helper()
	dir := path.Join(table, hive)
	if err := lake.MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	out, err := lake.Create(path.Join(dir, sink.FileName("t", 0, first, last)))
	if err != nil {
		t.Fatal(err)
	}
	pf, err := sink.NewParquetFile(out, schema, sink.WriterOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	if err := pf.Write(rec, first, last); err != nil {
		t.Fatal(err)
	}
	if err := pf.Close(); err != nil {
		t.Fatal(err)
	}
}

// quarantineRecord builds n rows of the _quarantine table, at offsets 2 on.
func quarantineRecord(t *testing.T, mem memory.Allocator, n int) arrow.RecordBatch {
	t.Helper()
	qb := array.NewRecordBuilder(mem, flatten.QuarantineTable.Schema)
	defer qb.Release()
	for i, fld := range flatten.QuarantineTable.Schema.Fields() {
		for range n {
			switch fb := qb.Field(i).(type) {
			case *array.StringBuilder:
				fb.Append("x")
			case *array.BinaryBuilder:
				fb.Append([]byte("x"))
			case *array.Int32Builder:
				fb.Append(0)
			case *array.Int64Builder:
				fb.Append(int64(2 + fb.Len()))
			case *array.TimestampBuilder:
				fb.Append(0)
			default:
				t.Fatalf("quarantine column %s: unexpected builder %T", fld.Name, fb)
			}
		}
	}
	return qb.NewRecordBatch()
}

// TestRead lands attempts in two files and quarantined rows in a third, and
// reads the report back through the filesystem layer.
func TestRead(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lake, err := sink.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The later day's file holds the earlier offsets, and the resend of k1
	// is read first: dedup must still keep offset 0.
	early := attemptRecord(t, mem, []row{
		{keen: "k1", exam: s("Git"), base: s("b1"), score: f(0.8), dur: f(60), topic: "t", off: 0},
		{keen: "k2", exam: s("Go"), base: s("b2"), score: f(0.2), dur: f(120), topic: "t", off: 1},
	})
	late := attemptRecord(t, mem, []row{
		{keen: "k1", exam: s("Git resent"), base: s("b1"), score: f(0.8), dur: f(60), topic: "t", off: 5},
	})
	writeFile(t, lake, mem, flatten.TableAttempts, "ingest_date=2026-01-02", flatten.AttemptsTable.Schema, early, 0, 1)
	writeFile(t, lake, mem, flatten.TableAttempts, "ingest_date=2026-01-01", flatten.AttemptsTable.Schema, late, 5, 5)
	early.Release()
	late.Release()

	qrec := quarantineRecord(t, mem, 3)
	writeFile(t, lake, mem, flatten.TableQuarantine, "ingest_date=2026-01-01", flatten.QuarantineTable.Schema, qrec, 2, 4)
	qrec.Release()

	rep, err := Read(context.Background(), lake, Options{PassThreshold: 0.7, Course: "Git", RankingSize: 5}, mem)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 2 || rep.QuarantinedRows != 3 || rep.Lake != lake.String() {
		t.Errorf("files %d, quarantined %d, lake %q; want 2, 3, %q", rep.Files, rep.QuarantinedRows, rep.Lake, lake.String())
	}
	if rep.Raw.Attempts != 3 || rep.Raw.CourseAttempts != 1 || rep.Raw.Courses != 3 {
		t.Errorf("raw: attempts %d, Git %d, courses %d; want 3, 1, 3", rep.Raw.Attempts, rep.Raw.CourseAttempts, rep.Raw.Courses)
	}
	wantDedup := Figures{
		Basis: BasisDedup, Attempts: 2, Assessments: 2, Topics: []TopicCount{{"t", 2}}, CourseAttempts: 1, Courses: 2,
		MostTaken:  []CourseRank{{1, "Git", 1}, {1, "Go", 1}},
		LeastTaken: []CourseRank{{1, "Git", 1}, {1, "Go", 1}},
		Scored:     2, AvgScore: f(0.5), Passed: 1, PassShare: f(0.5), Timed: 2, AvgDurationSeconds: f(90),
	}
	checkFigures(t, rep.Dedup, wantDedup)
}

func TestReadEmptyLake(t *testing.T) {
	lake, err := sink.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Read(context.Background(), lake, DefaultOptions(), memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 0 || rep.Raw.Attempts != 0 || rep.Raw.AvgScore != nil || rep.Dedup.PassShare != nil {
		t.Errorf("empty lake: %+v", rep)
	}
}

func sampleReport(t *testing.T) *Report {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	acc := NewAccumulator(DefaultOptions())
	rec := attemptRecord(t, mem, []row{
		{keen: "k1", exam: s("Learning Git"), base: s("b1"), score: f(0.75), dur: f(125), topic: "assessment-attempts", off: 0},
		{keen: "k1", exam: s("Learning Git"), base: s("b1"), score: f(0.75), dur: f(125), topic: "assessment-attempts", off: 1},
		{keen: "k2", exam: s("Intro to Go"), base: s("b2"), score: f(0.5), dur: f(65), topic: "assessment-attempts", off: 2},
	})
	defer rec.Release()
	if err := acc.Add(rec); err != nil {
		t.Fatal(err)
	}
	acc.AddFile()
	acc.AddQuarantined(4)
	return acc.Report("file:///lake")
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport(t).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// Each table line, split into its cells.
	rows := map[string][]string{}
	for _, l := range strings.Split(out, "\n") {
		cells := cellSep.Split(strings.TrimSpace(l), -1)
		rows[cells[0]+"|"+cells[1%len(cells)]] = cells
	}
	want := map[string][]string{
		"1|assessments in the data set":      {"distinct base_exam_id", "2", "same"},
		"2|Kafka topic":                      {"kafka_topic lineage (attempts)", "assessment-attempts (3)", "assessment-attempts (2)"},
		`3|people who took "Learning Git"`:   {"attempts at it (no learner id in the data)", "2", "1"},
		"4|courses taken most and least":     {"attempts per exam_name", "2 courses, see below", "same"},
		"5|overall average score":            {"avg(score), attempts with a score", "0.6667 of 3", "0.6250 of 2"},
		"6|share that passed (score > 0.70)": {"passed / attempts with a score", "66.67% (2 of 3)", "50.00% (1 of 2)"},
		"7|average time to complete":         {"avg(completed_at - started_at), where known", "105.0 s = 1m45s, of 3", "95.0 s = 1m35s, of 2"},
		"most taken|raw rank":                {"attempts", "dedup rank", "attempts"},
	}
	for key, cells := range want {
		got := rows[key]
		if len(got) < 2 || !reflect.DeepEqual(got[2:], cells) {
			t.Errorf("line %q: cells %q, want %q", key, got, cells)
		}
	}
	for _, want := range []string{
		"3 rows in 1 files, 2 distinct keen_id (1 rows resend an attempt already landed); _quarantine: 4 rows",
		"\n  most taken    raw rank  attempts  dedup rank  attempts\n  Intro to Go          2         1           1         1\n  Learning Git         1         2           1         1\n",
		"\n  least taken   raw rank  attempts  dedup rank  attempts\n  Intro to Go          1         1           1         1\n  Learning Git         2         2           1         1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// cellSep separates the cells of a printed table line.
var cellSep = regexp.MustCompile(`\s{2,}`)

func TestWriteJSONRoundTrip(t *testing.T) {
	rep := sampleReport(t)
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, rep) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, *rep)
	}
	for _, key := range []string{`"pass_threshold": 0.7`, `"course_attempts": 2`, `"basis": "dedup"`, `"most_taken": [`} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("JSON lacks %s:\n%s", key, buf.String())
		}
	}
}

func TestNum(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 3280: "3,280", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := num(in); got != want {
			t.Errorf("num(%d) = %q, want %q", in, got, want)
		}
	}
}
