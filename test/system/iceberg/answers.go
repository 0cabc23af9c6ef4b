package iceberg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/report"
)

// The engines of python/tests_iceberg/lake_answers.py.
const (
	EngineSpark     = "spark"
	EnginePyiceberg = "pyiceberg"
	EngineDuckDB    = "duckdb"
)

// ReaderAnswers is what python/tests_iceberg/lake_answers.py prints for
// one engine.
type ReaderAnswers struct {
	// Snapshots are the attempts table's snapshot ids, oldest first.
	Snapshots []int64 `json:"snapshots"`
	// Answers are the seven answers at the current snapshot, by basis.
	Answers map[string]report.Figures `json:"answers"`
	// Counts are the rows at each snapshot asked for, by its id.
	Counts map[string]int64 `json:"counts"`
	// AnswersAt are the answers at each snapshot asked for (pyiceberg
	// only).
	AnswersAt map[string]map[string]report.Figures `json:"answers_at"`
	// Lineage is what the engine counted of the tables' Kafka lineage,
	// when Ask.Lineage asked for it (Spark only); nil otherwise.
	Lineage *Lineage `json:"lineage"`
}

// Lineage is what an engine counted of the Kafka lineage of landerd's
// tables at their current snapshots.
type Lineage struct {
	// Tables are the counts of each table: attempts, questions and
	// _quarantine.
	Tables map[string]LineageCount `json:"tables"`
	// Records are the counts over attempts and _quarantine together,
	// which hold each record of the topic once.
	Records LineageCount `json:"records"`
}

// LineageCount is a table's rows and its distinct (kafka_topic,
// kafka_partition, kafka_offset).
type LineageCount struct {
	Rows int64 `json:"rows"`
	Keys int64 `json:"keys"`
}

// Ask is what Readers asks lake_answers.py for besides each engine's
// snapshots and seven answers.
type Ask struct {
	// Snapshots are the attempts table's snapshots to count the rows at
	// (time travel).
	Snapshots []int64
	// Lineage has Spark count each table's rows and distinct Kafka
	// records (ReaderAnswers.Lineage).
	Lineage bool
}

// Readers runs python/tests_iceberg/lake_answers.py with env (the
// LANDERD_ICEBERG_* variables naming the tables) for engines, all three
// when none is given, asking for what ask says, and returns each engine's
// answers by its name.
func Readers(tb testing.TB, env []string, ask Ask, engines ...string) map[string]ReaderAnswers {
	tb.Helper()
	if len(engines) == 0 {
		engines = []string{EngineSpark, EnginePyiceberg, EngineDuckDB}
	}
	args := []string{"tests_iceberg/lake_answers.py"}
	for _, s := range ask.Snapshots {
		args = append(args, "--snapshot", strconv.FormatInt(s, 10))
	}
	if ask.Lineage {
		args = append(args, "--lineage")
	}
	for _, e := range engines {
		args = append(args, "--engine", e)
	}
	start := time.Now()
	out := Python(tb, env, args...)
	tb.Logf("readers %v in %s", engines, time.Since(start).Round(100*time.Millisecond))
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	var got map[string]json.RawMessage
	if err := json.Unmarshal(lines[len(lines)-1], &got); err != nil {
		tb.Fatalf("decode lake_answers.py's output: %v\n%s", err, out)
	}
	var mem struct {
		Spark  int64 `json:"spark_jvm_peak_rss_kib"`
		Python int64 `json:"python_peak_rss_kib"`
	}
	if m, ok := got["memory"]; ok {
		if err := json.Unmarshal(m, &mem); err != nil {
			tb.Fatalf("decode lake_answers.py's memory: %v", err)
		}
		tb.Logf("peak RSS: Spark's JVM %d MiB, the Python process %d MiB", mem.Spark>>10, mem.Python>>10)
	}
	res := map[string]ReaderAnswers{}
	for _, e := range engines {
		var a ReaderAnswers
		raw, ok := got[e]
		if !ok {
			tb.Fatalf("lake_answers.py gave no answers for %s:\n%s", e, out)
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			tb.Fatalf("decode lake_answers.py's %s answers: %v", e, err)
		}
		res[e] = a
	}
	return res
}

// CheckReaders has engines (all three when none is given) read l's
// tables through env and checks what each gives against l's reports: the
// snapshots (every step's among them, the last step's current), the seven
// answers now, the rows at each step's snapshot and, for pyiceberg, the
// answers there.
func CheckReaders(tb testing.TB, l *Landed, env []string, engines ...string) {
	tb.Helper()
	final := l.Reports[len(l.Reports)-1]
	got := Readers(tb, env, Ask{Snapshots: l.Snapshots}, engines...)
	for _, name := range []string{EngineSpark, EnginePyiceberg, EngineDuckDB} {
		a, ok := got[name]
		if !ok {
			continue
		}
		if n := len(a.Snapshots); n < len(l.Snapshots) || a.Snapshots[n-1] != l.Snapshots[len(l.Snapshots)-1] || !containsAll(a.Snapshots, l.Snapshots) {
			tb.Errorf("%s: snapshots %v, want the steps' %v among them, the last one current", name, a.Snapshots, l.Snapshots)
		}
		Compare(tb, name, a.Answers, final)
		for i, s := range l.Snapshots {
			if c, want := a.Counts[strconv.FormatInt(s, 10)], l.Reports[i].Raw.Attempts; c != want {
				tb.Errorf("%s: %d rows at snapshot %d (step %d), want %d", name, c, s, i+1, want)
			}
		}
		if name == EnginePyiceberg {
			for i, s := range l.Snapshots {
				Compare(tb, fmt.Sprintf("pyiceberg at snapshot %d", s), a.AnswersAt[strconv.FormatInt(s, 10)], l.Reports[i])
			}
		}
		tb.Logf("%s: %s", name, Summary(a.Answers))
	}
	tb.Logf("landerd report: %s", Summary(map[string]report.Figures{report.BasisRaw: final.Raw, report.BasisDedup: final.Dedup}))
}

func containsAll(s, want []int64) bool {
	for _, v := range want {
		if !slices.Contains(s, v) {
			return false
		}
	}
	return true
}

// Compare reports each figure of an engine's answers that differs from
// the report's: the means to 1e-12 relative (engines add in other orders),
// the rest exactly. Courses is no question's answer, so it is not compared.
func Compare(tb testing.TB, engine string, got map[string]report.Figures, rep report.Report) {
	tb.Helper()
	for basis, want := range map[string]report.Figures{report.BasisRaw: rep.Raw, report.BasisDedup: rep.Dedup} {
		g, ok := got[basis]
		if !ok {
			tb.Errorf("%s: no %s answers", engine, basis)
			continue
		}
		for _, m := range []struct {
			name string
			g, w *float64
		}{{"avg_score", g.AvgScore, want.AvgScore}, {"pass_share", g.PassShare, want.PassShare}, {"avg_duration_seconds", g.AvgDurationSeconds, want.AvgDurationSeconds}} {
			if m.g == nil || m.w == nil || math.Abs(*m.g-*m.w) > 1e-12*math.Abs(*m.w) {
				tb.Errorf("%s %s %s: %v, report %v", engine, basis, m.name, deref(m.g), deref(m.w))
			}
		}
		g.Basis, g.Courses, g.AvgScore, g.PassShare, g.AvgDurationSeconds = want.Basis, want.Courses, nil, nil, nil
		want.AvgScore, want.PassShare, want.AvgDurationSeconds = nil, nil, nil
		if !reflect.DeepEqual(g, want) {
			tb.Errorf("%s %s: %+v\nreport: %+v", engine, basis, g, want)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Summary is the seven answers of a, raw and dedup, on one line each.
func Summary(a map[string]report.Figures) string {
	var b bytes.Buffer
	for _, basis := range []string{report.BasisRaw, report.BasisDedup} {
		f := a[basis]
		fmt.Fprintf(&b, "\n  %s: (1) %d assessments (2) %v (3) %d Learning Git (4) most %v least %v (5) avg score %v over %d (6) pass share %v (%d passed) (7) avg duration %v s over %d; %d rows",
			basis, f.Assessments, f.Topics, f.CourseAttempts, f.MostTaken, f.LeastTaken, deref(f.AvgScore), f.Scored, deref(f.PassShare), f.Passed, deref(f.AvgDurationSeconds), f.Timed, f.Attempts)
	}
	return b.String()
}
