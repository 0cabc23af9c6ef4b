package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/test/kit/realdata"
	"github.com/landerd/landerd/test/system/duckdb"
)

func TestReportUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"report", "--pass-threshold", "1.5"}, 2, "--pass-threshold must be in [0, 1]"},
		{[]string{"report", "--top", "0"}, 2, "--top at least 1"},
		{[]string{"report", "--lake", "s3://bucket/lake"}, 2, "lake.url"},
		{[]string{"report", "--lake", filepath.Join(t.TempDir(), "missing")}, 1, "no such file or directory"},
		{[]string{"report", "extra"}, 2, "unexpected arguments"},
	}
	for _, tt := range tests {
		code, out, errOut := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.contains) {
			t.Errorf("%q: exit %d, output %q; want exit %d containing %q", tt.args, code, out+errOut, tt.code, tt.contains)
		}
	}
}

// landDemo runs the demo with args into a new lake, returns the lake's
// directory and the demo's output.
func landDemo(t *testing.T, args ...string) (dir, out string) {
	t.Helper()
	dir = t.TempDir()
	code, out, errOut := runCmd(t, append([]string{"demo", "--lake", dir}, args...)...)
	if code != 0 {
		t.Fatalf("demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	return dir, out
}

// reportJSON runs landerd report --json on the lake in dir with extra flags.
func reportJSON(t *testing.T, dir string, args ...string) report.Report {
	t.Helper()
	code, out, errOut := runCmd(t, append([]string{"report", "--json", "--lake", dir}, args...)...)
	if code != 0 {
		t.Fatalf("report: exit %d\nstderr:\n%s", code, errOut)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("decode report --json: %v\n%s", err, out)
	}
	return rep
}

// TestDemoPrintsReport: the demo ends with the report, and report --json
// accounts for every generated record.
func TestDemoPrintsReport(t *testing.T) {
	// 1,000 under -short: the demo's random seed still resends at least
	// one attempt with probability 1 - 0.99^1000, and quarantines one.
	count := int64(size(1500, 1000))
	dir, out := landDemo(t, "--count", strconv.FormatInt(count, 10), "--bad-rate", "0.02", "--partitions", "3")
	for _, want := range []string{"Business questions, answered from file://", `people who took "Learning Git"`, "most taken", "least taken"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	rep := reportJSON(t, dir)
	if rep.Raw.Attempts+rep.QuarantinedRows != count || rep.QuarantinedRows == 0 {
		t.Errorf("report: %d attempts + %d quarantined, want %d in all, some quarantined", rep.Raw.Attempts, rep.QuarantinedRows, count)
	}
	if rep.Dedup.Attempts >= rep.Raw.Attempts {
		t.Errorf("dedup attempts %d, raw %d: the demo resends about 1%% of attempts", rep.Dedup.Attempts, rep.Raw.Attempts)
	}
	if len(rep.Raw.Topics) != 1 || rep.Raw.Topics[0].Topic != demoTopic {
		t.Errorf("topics %+v, want only %s", rep.Raw.Topics, demoTopic)
	}
}

// repoPath returns the path of a file of the repository, by its path
// relative to the repository root.
func repoPath(t *testing.T, rel string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(rel))
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(repoPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// questionFiles are the shipped queries, one per business question.
var questionFiles = []string{
	"01_assessments.sql", "02_topic.sql", "03_learning_git.sql", "04_course_ranking.sql",
	"05_average_score.sql", "06_pass_share.sql", "07_average_duration.sql",
}

// lakeViews is the DuckDB setup that the shipped queries run after, for the
// lake in dir: the lake variable, then sql/duckdb/00_views.sql.
func lakeViews(t *testing.T, dir string) string {
	return "SET VARIABLE lake = " + duckdb.Literal(dir) + ";\n" + readRepoFile(t, "sql/duckdb/00_views.sql")
}

// byBasis runs setup then query and returns the rows keyed by their basis column.
func byBasis(t *testing.T, setup, query string) map[string][]map[string]any {
	t.Helper()
	res := duckdb.Query(t, setup+"\n"+query)
	out := map[string][]map[string]any{}
	for _, r := range res.Rows {
		b, _ := r["basis"].(string)
		out[b] = append(out[b], r)
	}
	if len(out) != 2 || out[report.BasisRaw] == nil || out[report.BasisDedup] == nil {
		t.Fatalf("rows %v: want bases raw and dedup", res.Rows)
	}
	return out
}

func int64Of(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(int64)
	if !ok {
		t.Fatalf("value %#v (%T) is not an integer", v, v)
	}
	return n
}

func floatOf(t *testing.T, v any) *float64 {
	t.Helper()
	if v == nil {
		return nil
	}
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("value %#v (%T) is not a double", v, v)
	}
	return &f
}

// shippedFigures answers the business questions with the shipped DuckDB
// queries over the views setup defines (attempts and attempts_dedup).
func shippedFigures(t *testing.T, setup string) map[string]*report.Figures {
	t.Helper()
	figs := map[string]*report.Figures{
		report.BasisRaw:   {Basis: report.BasisRaw, Topics: []report.TopicCount{}, MostTaken: []report.CourseRank{}, LeastTaken: []report.CourseRank{}},
		report.BasisDedup: {Basis: report.BasisDedup, Topics: []report.TopicCount{}, MostTaken: []report.CourseRank{}, LeastTaken: []report.CourseRank{}},
	}
	// Totals that no question asks for but every figure rests on.
	for b, rows := range byBasis(t, setup, `
		SELECT 'raw' AS basis, count(*) AS n, count(DISTINCT exam_name) AS courses FROM attempts
		UNION ALL SELECT 'dedup', count(*), count(DISTINCT exam_name) FROM attempts_dedup`) {
		figs[b].Attempts = int64Of(t, rows[0]["n"])
		figs[b].Courses = int(int64Of(t, rows[0]["courses"]))
	}
	var gitKeenIDs int64
	for _, name := range questionFiles {
		for b, rows := range byBasis(t, setup, readRepoFile(t, "sql/duckdb/"+name)) {
			f := figs[b]
			r := rows[0]
			switch name {
			case "01_assessments.sql":
				f.Assessments = int64Of(t, r["assessments"])
			case "02_topic.sql":
				for _, r := range rows {
					f.Topics = append(f.Topics, report.TopicCount{Topic: r["kafka_topic"].(string), Attempts: int64Of(t, r["attempts"])})
				}
			case "03_learning_git.sql":
				f.CourseAttempts = int64Of(t, r["attempts"])
				if b == report.BasisRaw {
					gitKeenIDs = int64Of(t, r["distinct_keen_ids"])
				}
			case "04_course_ranking.sql":
				for _, r := range rows {
					c := report.CourseRank{Rank: int(int64Of(t, r["course_rank"])), ExamName: r["exam_name"].(string), Attempts: int64Of(t, r["attempts"])}
					if r["ranking_end"] == "most" {
						f.MostTaken = append(f.MostTaken, c)
					} else {
						f.LeastTaken = append(f.LeastTaken, c)
					}
				}
			case "05_average_score.sql":
				f.Scored, f.AvgScore = int64Of(t, r["scored_attempts"]), floatOf(t, r["avg_score"])
			case "06_pass_share.sql":
				if int64Of(t, r["scored_attempts"]) != f.Scored && f.Scored != 0 {
					t.Errorf("%s: %s scored_attempts differs from 05_average_score.sql", name, b)
				}
				f.Passed, f.PassShare = int64Of(t, r["passed_attempts"]), floatOf(t, r["pass_share"])
			case "07_average_duration.sql":
				f.Timed, f.AvgDurationSeconds = int64Of(t, r["timed_attempts"]), floatOf(t, r["avg_duration_seconds"])
			}
		}
	}
	// Distinct keen_id among the raw rows of the course is the dedup count.
	if gitKeenIDs != figs[report.BasisDedup].CourseAttempts {
		t.Errorf("03_learning_git.sql: %d distinct keen_id over raw rows, %d dedup attempts", gitKeenIDs, figs[report.BasisDedup].CourseAttempts)
	}
	return figs
}

// compareFigures reports every figure that differs; means agree to 1e-9
// relative (sums in another order round differently).
func compareFigures(t *testing.T, what string, got, want report.Figures) {
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
			t.Errorf("%s %s %s: %v, want %v", what, want.Basis, m.name, g, w)
		case g != nil && math.Abs(*g-*w) > 1e-9*math.Max(1, math.Abs(*w)):
			t.Errorf("%s %s %s: %v, want %v", what, want.Basis, m.name, *g, *w)
		}
		*m.got, *m.want = nil, nil
	}
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		if g, w := gv.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("%s %s %s: %+v, want %+v", what, want.Basis, gv.Type().Field(i).Name, g, w)
		}
	}
}

// checkShippedSQL checks that the shipped DuckDB queries over the lake in
// dir give the report's figures, figure by figure.
func checkShippedSQL(t *testing.T, dir string, rep report.Report) {
	t.Helper()
	figs := shippedFigures(t, lakeViews(t, dir))
	compareFigures(t, "report vs sql/duckdb", rep.Raw, *figs[report.BasisRaw])
	compareFigures(t, "report vs sql/duckdb", rep.Dedup, *figs[report.BasisDedup])
}

// TestShippedSQLAgreesWithReport lands generated attempts (with resends and
// malformed records) and checks that the shipped DuckDB queries answer
// every question as landerd report --json does.
func TestShippedSQLAgreesWithReport(t *testing.T) {
	duckdb.Query(t, "SELECT 1") // skip early when DuckDB is not installed
	dir, _ := landDemo(t, "--count", "3000", "--partitions", "3")
	rep := reportJSON(t, dir)
	if rep.Raw.Attempts == rep.Dedup.Attempts || rep.Raw.CourseAttempts == 0 || len(rep.Raw.LeastTaken) == 0 {
		t.Fatalf("the generated lake does not exercise the figures: %+v", rep)
	}
	checkShippedSQL(t, dir, rep)

	// Another threshold and ranking size change the report as they change
	// the query, and only the figures they should.
	other := reportJSON(t, dir, "--pass-threshold", "0.5", "--top", "2")
	res := duckdb.Query(t, lakeViews(t, dir)+`
		SELECT count(*) FILTER (WHERE score > 0.5) AS passed FROM attempts_dedup`)
	if got, want := other.Dedup.Passed, int64Of(t, res.Rows[0]["passed"]); got != want || got == rep.Dedup.Passed {
		t.Errorf("--pass-threshold 0.5: passed %d, want %d (and not the 0.70 figure %d)", got, want, rep.Dedup.Passed)
	}
	if other.Dedup.MostTaken[len(other.Dedup.MostTaken)-1].Rank > 2 || len(other.Dedup.MostTaken) >= len(rep.Dedup.MostTaken) {
		t.Errorf("--top 2: most taken %+v", other.Dedup.MostTaken)
	}
}

// rawJSONFigures computes the figures straight from the real data set's JSON
// file with DuckDB alone: no landerd code, no lake. Dedup keeps each
// keen_id's first copy in the file (the copies are identical).
func rawJSONFigures(t *testing.T, file, topic string) map[string]*report.Figures {
	t.Helper()
	setup := `
		CREATE TABLE src AS SELECT row_number() OVER () AS pos, *
		FROM read_json(` + duckdb.Literal(file) + `, format = 'array', maximum_object_size = 16777216);
		CREATE VIEW raw_attempts AS
		SELECT pos, keen_id, base_exam_id, exam_name,
		       CASE WHEN sequences.counts.total > 0 THEN sequences.counts.correct / sequences.counts.total END AS score,
		       epoch(list_max(flatten(list_transform(sequences.questions, q -> list_transform(q.options, o -> o."at")))))
		         - epoch(started_at) AS duration_seconds
		FROM src;
		CREATE VIEW dedup_attempts AS
		SELECT * FROM raw_attempts QUALIFY row_number() OVER (PARTITION BY keen_id ORDER BY pos) = 1;`
	figs := map[string]*report.Figures{}
	for b, rows := range byBasis(t, setup, `
		SELECT 'raw' AS basis, * FROM (SELECT count(*) AS n, count(DISTINCT base_exam_id) AS assessments,
		       count(*) FILTER (WHERE exam_name = 'Learning Git') AS git, count(DISTINCT exam_name) AS courses,
		       count(score) AS scored, avg(score) AS avg_score, count(*) FILTER (WHERE score > 0.7) AS passed,
		       count(duration_seconds) AS timed, avg(duration_seconds) AS avg_duration FROM raw_attempts)
		UNION ALL
		SELECT 'dedup' AS basis, * FROM (SELECT count(*), count(DISTINCT base_exam_id),
		       count(*) FILTER (WHERE exam_name = 'Learning Git'), count(DISTINCT exam_name),
		       count(score), avg(score), count(*) FILTER (WHERE score > 0.7),
		       count(duration_seconds), avg(duration_seconds) FROM dedup_attempts)`) {
		r := rows[0]
		f := &report.Figures{
			Basis: b, Attempts: int64Of(t, r["n"]), Assessments: int64Of(t, r["assessments"]),
			Topics:         []report.TopicCount{{Topic: topic, Attempts: int64Of(t, r["n"])}},
			CourseAttempts: int64Of(t, r["git"]), Courses: int(int64Of(t, r["courses"])),
			Scored: int64Of(t, r["scored"]), AvgScore: floatOf(t, r["avg_score"]),
			Passed: int64Of(t, r["passed"]), Timed: int64Of(t, r["timed"]), AvgDurationSeconds: floatOf(t, r["avg_duration"]),
		}
		f.PassShare = new(float64)
		*f.PassShare = float64(f.Passed) / float64(f.Scored)
		figs[b] = f
	}
	// Every course's attempts; the ranking ends follow from the definition:
	// a course's rank is 1 + the courses with more (or fewer) attempts.
	for b, rows := range byBasis(t, setup, `
		SELECT 'raw' AS basis, exam_name, count(*) AS n FROM raw_attempts WHERE exam_name IS NOT NULL GROUP BY exam_name
		UNION ALL
		SELECT 'dedup', exam_name, count(*) FROM dedup_attempts WHERE exam_name IS NOT NULL GROUP BY exam_name`) {
		figs[b].MostTaken = rankEnd(t, rows, 5, func(a, b int64) bool { return a > b })
		figs[b].LeastTaken = rankEnd(t, rows, 5, func(a, b int64) bool { return a < b })
	}
	return figs
}

// rankEnd lists the courses whose rank is at most n, where a course's rank
// is 1 + the number of courses that come strictly before it.
func rankEnd(t *testing.T, rows []map[string]any, n int, before func(a, b int64) bool) []report.CourseRank {
	t.Helper()
	out := []report.CourseRank{}
	for _, r := range rows {
		c := report.CourseRank{Rank: 1, ExamName: r["exam_name"].(string), Attempts: int64Of(t, r["n"])}
		for _, o := range rows {
			if before(int64Of(t, o["n"]), c.Attempts) {
				c.Rank++
			}
		}
		if c.Rank <= n {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b report.CourseRank) int {
		if a.Rank != b.Rank {
			return a.Rank - b.Rank
		}
		return strings.Compare(a.ExamName, b.ExamName)
	})
	return out
}

// TestRealDataReport lands the real data set with the demo and checks the
// report against DuckDB reading the raw JSON file (an independent path),
// and the shipped queries against the report.
func TestRealDataReport(t *testing.T) {
	file := realdata.Path(t, realdata.ArrayFile)
	duckdb.Query(t, "SELECT 1")
	dir, out := landDemo(t, "--file", file)
	if !strings.Contains(out, "3,280 rows in") || !strings.Contains(out, "3,242 distinct keen_id (38 rows resend") {
		t.Errorf("demo report does not state the real data set's rows and duplicates:\n%s", out)
	}
	rep := reportJSON(t, dir)
	if rep.Raw.Attempts != realdata.Attempts || rep.Dedup.Attempts != realdata.DistinctKeenIDs || rep.QuarantinedRows != 0 {
		t.Errorf("report: %d rows, %d distinct keen_id, %d quarantined; want %d, %d, 0",
			rep.Raw.Attempts, rep.Dedup.Attempts, rep.QuarantinedRows, realdata.Attempts, realdata.DistinctKeenIDs)
	}
	figs := rawJSONFigures(t, file, demoTopic)
	compareFigures(t, "report vs raw JSON", rep.Raw, *figs[report.BasisRaw])
	compareFigures(t, "report vs raw JSON", rep.Dedup, *figs[report.BasisDedup])
	checkShippedSQL(t, dir, rep)
	if t.Failed() {
		return
	}
	t.Logf("real data set: %s", summary(rep))
}

func summary(rep report.Report) string {
	var b strings.Builder
	for _, f := range []report.Figures{rep.Raw, rep.Dedup} {
		fmt.Fprintf(&b, "\n%s: attempts %d, assessments %d, %s %d, courses %d, most %v, least %v, avg score %.6f, passed %d/%d = %.6f, avg duration %.3f s over %d",
			f.Basis, f.Attempts, f.Assessments, rep.Course, f.CourseAttempts, f.Courses, f.MostTaken, f.LeastTaken,
			*f.AvgScore, f.Passed, f.Scored, *f.PassShare, *f.AvgDurationSeconds, f.Timed)
	}
	return b.String()
}

// TestSQLDialectsAgree: the Spark and Trino question files are the DuckDB
// ones (which the tests run) apart from the line saying how to run them,
// and Trino's tables declare every column of the lake, in order.
func TestSQLDialectsAgree(t *testing.T) {
	body := func(text string) string {
		lines := strings.Split(text, "\n")
		return strings.Join(append([]string{lines[0]}, lines[2:]...), "\n")
	}
	for _, name := range questionFiles {
		duck := body(readRepoFile(t, "sql/duckdb/"+name))
		for _, dialect := range []string{"spark", "trino"} {
			if got := body(readRepoFile(t, "sql/"+dialect+"/"+name)); got != duck {
				t.Errorf("sql/%s/%s differs from sql/duckdb/%s beyond its second line", dialect, name, name)
			}
		}
	}
	checkTrinoColumns(t, "sql/trino/00_tables.sql", "hive.landerd.", "ingest_date")
	checkTrinoColumns(t, "sql/trino/00_tables_all_tenants.sql", "hive.landerd.", "tenant", "ingest_date")
	checkTrinoColumns(t, "sql/trino/00_tables_tenant.sql", `hive."landerd_${tenant}".`, "ingest_date")
}

// checkTrinoColumns checks that the Trino script file creates every table of
// the lake as prefix+name, declaring every column in order, then the
// partition columns.
func checkTrinoColumns(t *testing.T, file, prefix string, partitions ...string) {
	t.Helper()
	ddl := readRepoFile(t, file)
	for _, tbl := range flatten.Tables() {
		name := strings.TrimPrefix(tbl.Name, "_")
		start := strings.Index(ddl, "CREATE TABLE IF NOT EXISTS "+prefix+name+" (\n")
		if start < 0 {
			t.Errorf("%s does not create %s", file, prefix+name)
			continue
		}
		block := ddl[start:]
		block = block[strings.Index(block, "\n")+1 : strings.Index(block, "\n)")]
		var cols []string
		for _, l := range strings.Split(block, "\n") {
			cols = append(cols, strings.Fields(l)[0])
		}
		var want []string
		for _, c := range tbl.Columns {
			want = append(want, c.Name)
		}
		want = append(want, partitions...)
		if !slices.Equal(cols, want) {
			t.Errorf("%s: table %s columns:\n got %v\nwant %v", file, name, cols, want)
		}
		quoted := make([]string, len(partitions))
		for i, p := range partitions {
			quoted[i] = "'" + p + "'"
		}
		if wantPart := "partitioned_by = ARRAY[" + strings.Join(quoted, ", ") + "]"; !strings.Contains(ddl[start:], wantPart) {
			t.Errorf("%s: table %s is not %s", file, name, wantPart)
		}
	}
}
