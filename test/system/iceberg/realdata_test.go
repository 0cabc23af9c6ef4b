package iceberg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/test/kit/realdata"
	"github.com/landerd/landerd/test/system/postgres"
)

// realDataFirst is the first step's share of the real data set.
const realDataFirst = 2000

// TestRealDataSQLCatalog lands the real data set with landerd into Iceberg
// tables catalogued in PostgreSQL, in two steps, and has Spark (its jdbc
// catalog), pyiceberg and DuckDB (iceberg_scan, offline) give the seven
// answers of `landerd report --json`, and each step's row count by time
// travel to the snapshot that step left; then the snippets of
// docs/iceberg.md for this catalog run on the same tables.
func TestRealDataSQLCatalog(t *testing.T) {
	begin := time.Now()
	pg := postgres.Start(t, postgres.Config{Database: "iceberg", User: "iceberg"})
	l := LandRealData(t, pg, realDataFirst)
	t.Logf("landed in %s; snapshots after each step %v", time.Since(begin).Round(100*time.Millisecond), l.Snapshots)
	checkReaders(t, l, l.ReaderEnv(pg))
	checkSQLSnippets(t, l, pg)
	t.Logf("PostgreSQL %d MiB (Pss); test took %s", pg.Memory()>>20, time.Since(begin).Round(100*time.Millisecond))
}

// TestRealDataHadoopCatalog does the same on a local lake whose tables are
// catalogued by the hadoop catalog in the lake itself: Spark's
// HadoopCatalog, pyiceberg's StaticTable and DuckDB read them, and so do
// the snippets of docs/iceberg.md for this catalog.
func TestRealDataHadoopCatalog(t *testing.T) {
	begin := time.Now()
	l := LandRealData(t, nil, realDataFirst)
	t.Logf("landed in %s; snapshots after each step %v", time.Since(begin).Round(100*time.Millisecond), l.Snapshots)
	checkReaders(t, l, l.ReaderEnv(nil))
	checkHadoopSnippets(t, l)
	t.Logf("test took %s", time.Since(begin).Round(100*time.Millisecond))
}

// readerOutput is what python/tests_iceberg/lake_answers.py prints for one
// engine.
type readerOutput struct {
	Snapshots []int64                              `json:"snapshots"`
	Answers   map[string]report.Figures            `json:"answers"`
	Counts    map[string]int64                     `json:"counts"`
	AnswersAt map[string]map[string]report.Figures `json:"answers_at"`
}

func checkReaders(t *testing.T, l *Landed, env []string) {
	t.Helper()
	final := l.Reports[len(l.Reports)-1]
	if final.Raw.Attempts != realdata.Attempts || final.Dedup.Attempts != realdata.DistinctKeenIDs || final.QuarantinedRows != 0 {
		t.Fatalf("landerd report: %d rows, %d distinct keen_id, %d quarantined; want %d, %d, 0",
			final.Raw.Attempts, final.Dedup.Attempts, final.QuarantinedRows, realdata.Attempts, realdata.DistinctKeenIDs)
	}
	if l.Reports[0].Raw.Attempts != realDataFirst {
		t.Fatalf("landerd report after the first step: %d rows, want %d", l.Reports[0].Raw.Attempts, realDataFirst)
	}
	args := []string{"tests_iceberg/lake_answers.py"}
	for _, s := range l.Snapshots {
		args = append(args, "--snapshot", strconv.FormatInt(s, 10))
	}
	start := time.Now()
	out := Python(t, env, args...)
	t.Logf("readers in %s", time.Since(start).Round(100*time.Millisecond))
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	var got struct {
		Spark, Pyiceberg, Duckdb readerOutput
		Memory                   struct {
			Spark  int64 `json:"spark_jvm_peak_rss_kib"`
			Python int64 `json:"python_peak_rss_kib"`
		}
	}
	if err := json.Unmarshal(lines[len(lines)-1], &got); err != nil {
		t.Fatalf("decode lake_answers.py's output: %v\n%s", err, out)
	}
	t.Logf("peak RSS: Spark's JVM %d MiB, Python (pyiceberg, DuckDB) %d MiB", got.Memory.Spark>>10, got.Memory.Python>>10)
	for _, e := range []struct {
		name string
		out  readerOutput
	}{{"spark", got.Spark}, {"pyiceberg", got.Pyiceberg}, {"duckdb", got.Duckdb}} {
		if n := len(e.out.Snapshots); n < 2 || e.out.Snapshots[n-1] != l.Snapshots[1] || !contains(e.out.Snapshots, l.Snapshots[0]) {
			t.Errorf("%s: snapshots %v, want the steps' %v among them, the last one current", e.name, e.out.Snapshots, l.Snapshots)
		}
		compare(t, e.name, e.out.Answers, final)
		for i, s := range l.Snapshots {
			if c, want := e.out.Counts[strconv.FormatInt(s, 10)], l.Reports[i].Raw.Attempts; c != want {
				t.Errorf("%s: %d rows at snapshot %d (step %d), want %d", e.name, c, s, i+1, want)
			}
		}
		t.Logf("%s: %s", e.name, summary(e.out.Answers))
	}
	for i, s := range l.Snapshots {
		compare(t, fmt.Sprintf("pyiceberg at snapshot %d", s), got.Pyiceberg.AnswersAt[strconv.FormatInt(s, 10)], l.Reports[i])
	}
	t.Logf("landerd report: raw %s", summary(map[string]report.Figures{"raw": final.Raw, "dedup": final.Dedup}))
}

func contains(s []int64, v int64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// compare reports each figure of an engine's answers that differs from
// the report's: the means to 1e-12 relative (engines add in other orders),
// the rest exactly. Courses is no question's answer, so it is not compared.
func compare(t *testing.T, engine string, got map[string]report.Figures, rep report.Report) {
	t.Helper()
	for basis, want := range map[string]report.Figures{report.BasisRaw: rep.Raw, report.BasisDedup: rep.Dedup} {
		g, ok := got[basis]
		if !ok {
			t.Errorf("%s: no %s answers", engine, basis)
			continue
		}
		for _, m := range []struct {
			name string
			g, w *float64
		}{{"avg_score", g.AvgScore, want.AvgScore}, {"pass_share", g.PassShare, want.PassShare}, {"avg_duration_seconds", g.AvgDurationSeconds, want.AvgDurationSeconds}} {
			if m.g == nil || m.w == nil || math.Abs(*m.g-*m.w) > 1e-12*math.Abs(*m.w) {
				t.Errorf("%s %s %s: %v, report %v", engine, basis, m.name, deref(m.g), deref(m.w))
			}
		}
		g.Basis, g.Courses, g.AvgScore, g.PassShare, g.AvgDurationSeconds = want.Basis, want.Courses, nil, nil, nil
		want.AvgScore, want.PassShare, want.AvgDurationSeconds = nil, nil, nil
		if !reflect.DeepEqual(g, want) {
			t.Errorf("%s %s: %+v\nreport: %+v", engine, basis, g, want)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func summary(a map[string]report.Figures) string {
	var b bytes.Buffer
	for _, basis := range []string{report.BasisRaw, report.BasisDedup} {
		f := a[basis]
		fmt.Fprintf(&b, "\n  %s: (1) %d assessments (2) %v (3) %d Learning Git (4) most %v least %v (5) avg score %v over %d (6) pass share %v (%d passed) (7) avg duration %v s over %d; %d rows",
			basis, f.Assessments, f.Topics, f.CourseAttempts, f.MostTaken, f.LeastTaken, deref(f.AvgScore), f.Scored, deref(f.PassShare), f.Passed, deref(f.AvgDurationSeconds), f.Timed, f.Attempts)
	}
	return b.String()
}
