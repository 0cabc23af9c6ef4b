package trino

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/servertest"
)

// realData is the real data set, relative to the repository's root.
const realData = "../shared/data/assessment-attempts-20180128-121051-nested.json"

// TestShippedSQLOnTrino lands lakes with `landerd demo`, registers them in
// a real Trino with sql/trino/00_tables.sql (twice: it must be re-runnable),
// runs every question file and compares each answer with `landerd report
// --json`, raw and dedup. Lake "hive" holds the real data set (skipped when
// it is absent); lake "gen" holds generated attempts with malformed records,
// so the quarantine table is registered and read too, through a catalog
// with another name, as 00_tables.sql tells users to substitute. Lake "ten"
// is multi-tenant (a demo's files moved under tenant folders by Kafka
// partition): registered with 00_tables_all_tenants.sql it answers as
// `landerd report`, and with 00_tables_tenant.sql for one tenant as
// `landerd report --tenant`.
func TestShippedSQLOnTrino(t *testing.T) {
	begin := time.Now()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	home := installTrino(t)
	javaHome := JavaHome()
	dir := t.TempDir()
	bin, err := repo.BuildLanderd(dir)
	if err != nil {
		t.Fatal(err)
	}

	type lake struct {
		catalog string
		args    []string
		skip    string
		tenants bool
	}
	lakes := []lake{
		{catalog: "hive", args: []string{"--file", filepath.Join(root, realData)}},
		{catalog: "gen", args: []string{"--count", "3000"}},
		{catalog: "ten", args: []string{"--count", "2000", "--partitions", "4", "--bad-rate", "0.02"}, tenants: true},
	}
	if _, err := os.Stat(filepath.Join(root, realData)); err != nil {
		lakes[0].skip = fmt.Sprintf("real data set absent: %v", err)
	}
	reports := map[string]report.Report{}
	for _, l := range lakes {
		if l.skip != "" {
			continue
		}
		lakeDir := filepath.Join(dir, l.catalog, "lake")
		run(t, bin, append([]string{"demo", "--lake", lakeDir}, l.args...)...)
		reports[l.catalog] = reportOf(t, bin, lakeDir)
		if l.tenants {
			splitTenants(t, lakeDir)
			reports[l.catalog] = reportOf(t, bin, lakeDir)
			reports[l.catalog+"/"+trinoTenant] = reportOf(t, bin, lakeDir, "--tenant", trinoTenant)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	srv, err := Start(ctx, Options{
		Home: home, JavaHome: javaHome, Dir: dir, Catalogs: []string{"hive", "gen", "ten"}, MaxHeap: "1G",
	})
	if err != nil {
		t.Fatalf("Trino: %v", err)
	}
	t.Logf("trino started in %s at %s", srv.Started.Round(time.Millisecond), srv.URL())
	defer func() {
		if rss := servertest.PeakRSS(srv.Pid()); rss > 0 {
			t.Logf("trino peak RSS: %d MiB", rss>>20)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Trino: %v", err)
		}
		if t.Failed() {
			t.Logf("trino log:\n%s", srv.LogTail(40))
		}
	}()

	for _, l := range lakes {
		t.Run(l.catalog, func(t *testing.T) {
			if l.skip != "" {
				t.Skip(l.skip)
			}
			start := time.Now()
			lakeDir := filepath.Join(dir, l.catalog, "lake")
			if !l.tenants {
				checkLake(ctx, t, srv, root, l.catalog, lakeDir, singleTenant, reports[l.catalog])
			} else {
				checkLake(ctx, t, srv, root, l.catalog, lakeDir, allTenants, reports[l.catalog])
				checkLake(ctx, t, srv, root, l.catalog, lakeDir, oneTenant, reports[l.catalog+"/"+trinoTenant])
				checkTenantColumn(ctx, t, srv, l.catalog, bin, lakeDir)
			}
			t.Logf("lake %s checked in %s", l.catalog, time.Since(start).Round(time.Millisecond))
		})
	}
	t.Logf("test took %s", time.Since(begin).Round(time.Millisecond))
}

// tableScript is a setup script of sql/trino and how it is run.
type tableScript struct {
	file       string // relative to the repository's root
	schema     string // the schema it creates
	tenant     string // replaces ${tenant}
	quarantine string // the folder the quarantine table needs, relative to the lake
}

// trinoTenant is the tenant registered on its own in the multi-tenant lake.
const trinoTenant = "wiley"

var (
	singleTenant = tableScript{file: "sql/trino/00_tables.sql", schema: "landerd", quarantine: "_quarantine"}
	allTenants   = tableScript{file: "sql/trino/00_tables_all_tenants.sql", schema: "landerd", quarantine: "_quarantine"}
	oneTenant    = tableScript{
		file: "sql/trino/00_tables_tenant.sql", schema: "landerd_" + trinoTenant, tenant: trinoTenant,
		quarantine: "_quarantine/tenant=" + trinoTenant,
	}
)

// tenantPartitions gives each tenant of lake "ten" the Kafka partitions
// whose files it gets: tenants of different sizes sharing one topic.
var tenantPartitions = map[string][]int32{"pearson": {0, 1}, trinoTenant: {2}, "oreilly": {3}}

// splitTenants turns a demo's single-tenant lake into a multi-tenant one:
// every data file moves from <table>/ingest_date=D to
// <table>/tenant=T/ingest_date=D, T chosen by the file's Kafka partition.
func splitTenants(t *testing.T, lakeDir string) {
	t.Helper()
	owner := map[int32]string{}
	for tenant, parts := range tenantPartitions {
		for _, p := range parts {
			owner[p] = tenant
		}
	}
	for _, table := range []string{"attempts", "questions", "_quarantine"} {
		files, err := filepath.Glob(filepath.Join(lakeDir, table, "ingest_date=*", "*.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			_, part, _, _, err := sink.ParseFileName(filepath.Base(f))
			if err != nil {
				t.Fatal(err)
			}
			day := filepath.Base(filepath.Dir(f))
			dest := filepath.Join(lakeDir, table, "tenant="+owner[part], day)
			if err := os.MkdirAll(dest, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(f, filepath.Join(dest, filepath.Base(f))); err != nil {
				t.Fatal(err)
			}
		}
		days, err := filepath.Glob(filepath.Join(lakeDir, table, "ingest_date=*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range days {
			if err := os.Remove(d); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// reportOf runs landerd report --json on the lake with extra flags.
func reportOf(t *testing.T, bin, lakeDir string, args ...string) report.Report {
	t.Helper()
	var rep report.Report
	out := run(t, bin, append([]string{"report", "--lake", lakeDir, "--json"}, args...)...)
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("decode landerd report --json: %v\n%s", err, out)
	}
	return rep
}

// checkTenantColumn checks that the tables of 00_tables_all_tenants.sql
// hold every tenant's rows under its name in the tenant column, the
// records of no tenant included.
func checkTenantColumn(ctx context.Context, t *testing.T, srv *Server, catalog, bin, lakeDir string) {
	t.Helper()
	res, err := srv.Query(ctx, catalog, "landerd", `
		SELECT tenant, 'attempts' AS tbl, count(*) AS n FROM attempts GROUP BY tenant
		UNION ALL SELECT tenant, 'quarantine', count(*) FROM quarantine GROUP BY tenant`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range res.Maps() {
		got[r["tbl"].(string)+"/"+r["tenant"].(string)] = intOf(t, r["n"])
	}
	want := map[string]int64{}
	for tenant := range tenantPartitions {
		rep := reportOf(t, bin, lakeDir, "--tenant", tenant)
		want["attempts/"+tenant] = rep.Raw.Attempts
		if rep.QuarantinedRows > 0 {
			want["quarantine/"+tenant] = rep.QuarantinedRows
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows per tenant column: %v, want %v", got, want)
	}
}

// checkLake registers the lake in catalog with the setup script ts and
// compares the answers of the question files with rep.
func checkLake(ctx context.Context, t *testing.T, srv *Server, root, catalog, lakeDir string, ts tableScript, rep report.Report) {
	script := readFile(t, root, ts.file)
	script = strings.ReplaceAll(script, "${lake}", "local:///"+catalog+"/lake")
	script = strings.ReplaceAll(script, "${tenant}", ts.tenant)
	if catalog != "hive" {
		script = strings.ReplaceAll(script, "hive.", catalog+".")
	}
	_, err := os.Stat(filepath.Join(lakeDir, filepath.FromSlash(ts.quarantine)))
	hasQuarantine := err == nil
	if hasQuarantine != (rep.QuarantinedRows > 0) {
		t.Fatalf("_quarantine present %v, report says %d quarantined rows", hasQuarantine, rep.QuarantinedRows)
	}
	for round := range 2 {
		for _, st := range Statements(script) {
			if !hasQuarantine && strings.Contains(st, "quarantine") {
				// As 00_tables.sql says: that table is created once a
				// record was quarantined.
				continue
			}
			if _, err := srv.Query(ctx, catalog, "", st); err != nil {
				t.Fatalf("%s (run %d): %v", ts.file, round+1, err)
			}
		}
	}

	q := func(sql string) []map[string]any {
		t.Helper()
		res, err := srv.Query(ctx, catalog, ts.schema, sql)
		if err != nil {
			t.Fatal(err)
		}
		return res.Maps()
	}
	checkAnswers(t, q, root, rep, hasQuarantine)
}

// checkAnswers runs the question files of sql/trino through q, in a
// schema whose attempts, attempts_dedup, questions and (when hasQuarantine)
// quarantine are landerd's tables, and compares each answer with rep; then
// checks the questions table and the timestamps against the attempts. It
// returns Trino's answers.
func checkAnswers(t *testing.T, q func(string) []map[string]any, root string, rep report.Report, hasQuarantine bool) (raw, dedup report.Figures) {
	t.Helper()
	byBasis := func(rows []map[string]any) map[string][]map[string]any {
		out := map[string][]map[string]any{}
		for _, r := range rows {
			b := r["basis"].(string)
			out[b] = append(out[b], r)
		}
		if len(out) != 2 || out[report.BasisRaw] == nil || out[report.BasisDedup] == nil {
			t.Fatalf("rows by basis %v, want raw and dedup", out)
		}
		return out
	}

	figs := map[string]*report.Figures{
		report.BasisRaw:   {Basis: report.BasisRaw, Topics: []report.TopicCount{}, MostTaken: []report.CourseRank{}, LeastTaken: []report.CourseRank{}},
		report.BasisDedup: {Basis: report.BasisDedup, Topics: []report.TopicCount{}, MostTaken: []report.CourseRank{}, LeastTaken: []report.CourseRank{}},
	}
	// Totals no question asks for but the report states.
	for b, rows := range byBasis(q(`
		SELECT 'raw' AS basis, count(*) AS n, count(DISTINCT exam_name) AS courses FROM attempts
		UNION ALL SELECT 'dedup', count(*), count(DISTINCT exam_name) FROM attempts_dedup`)) {
		figs[b].Attempts = intOf(t, rows[0]["n"])
		figs[b].Courses = int(intOf(t, rows[0]["courses"]))
	}
	var gitKeenIDs int64
	for _, name := range QuestionFiles {
		sts := Statements(readFile(t, root, "sql/trino/"+name))
		if len(sts) != 1 {
			t.Fatalf("%s holds %d statements, want 1", name, len(sts))
		}
		for b, rows := range byBasis(q(sts[0])) {
			f, r := figs[b], rows[0]
			switch name {
			case "01_assessments.sql":
				f.Assessments = intOf(t, r["assessments"])
			case "02_topic.sql":
				for _, r := range rows {
					f.Topics = append(f.Topics, report.TopicCount{Topic: r["kafka_topic"].(string), Attempts: intOf(t, r["attempts"])})
				}
			case "03_learning_git.sql":
				f.CourseAttempts = intOf(t, r["attempts"])
				if b == report.BasisRaw {
					gitKeenIDs = intOf(t, r["distinct_keen_ids"])
				}
			case "04_course_ranking.sql":
				for _, r := range rows {
					c := report.CourseRank{Rank: int(intOf(t, r["course_rank"])), ExamName: r["exam_name"].(string), Attempts: intOf(t, r["attempts"])}
					if r["ranking_end"] == "most" {
						f.MostTaken = append(f.MostTaken, c)
					} else {
						f.LeastTaken = append(f.LeastTaken, c)
					}
				}
			case "05_average_score.sql":
				f.Scored, f.AvgScore = intOf(t, r["scored_attempts"]), floatOf(t, r["avg_score"])
			case "06_pass_share.sql":
				if s := intOf(t, r["scored_attempts"]); s != f.Scored {
					t.Errorf("%s: %s scored_attempts %d, 05_average_score.sql %d", name, b, s, f.Scored)
				}
				f.Passed, f.PassShare = intOf(t, r["passed_attempts"]), floatOf(t, r["pass_share"])
			case "07_average_duration.sql":
				f.Timed, f.AvgDurationSeconds = intOf(t, r["timed_attempts"]), floatOf(t, r["avg_duration_seconds"])
			}
		}
	}
	if gitKeenIDs != figs[report.BasisDedup].CourseAttempts {
		t.Errorf("03_learning_git.sql: %d distinct keen_id over raw rows, %d dedup attempts", gitKeenIDs, figs[report.BasisDedup].CourseAttempts)
	}
	compareFigures(t, rep.Raw, *figs[report.BasisRaw])
	compareFigures(t, rep.Dedup, *figs[report.BasisDedup])

	// The other tables and the timestamps, read through the same DDL.
	r := q(`SELECT
		(SELECT count(*) FROM questions) AS questions,
		(SELECT sum(question_count) FROM attempts) AS question_count,
		(SELECT sum(cardinality(options)) FROM questions) AS options,
		(SELECT sum(option_count) FROM attempts) AS option_count,
		(SELECT count(*) FROM questions q JOIN attempts a
			ON q.kafka_partition = a.kafka_partition AND q.kafka_offset = a.kafka_offset
			WHERE q.keen_id IS DISTINCT FROM a.keen_id) AS mismatched_keys,
		(SELECT max(abs(to_unixtime(completed_at) - to_unixtime(started_at) - duration_seconds))
			FROM attempts WHERE duration_seconds IS NOT NULL) AS duration_error`)[0]
	if a, b := intOf(t, r["questions"]), intOf(t, r["question_count"]); a != b || a == 0 {
		t.Errorf("questions: %d rows, attempts.question_count sums to %d", a, b)
	}
	if a, b := intOf(t, r["options"]), intOf(t, r["option_count"]); a != b || a == 0 {
		t.Errorf("questions.options: %d elements, attempts.option_count sums to %d", a, b)
	}
	if n := intOf(t, r["mismatched_keys"]); n != 0 {
		t.Errorf("%d questions carry another keen_id than their attempt", n)
	}
	if e := floatOf(t, r["duration_error"]); e == nil || *e > 1e-6 {
		t.Errorf("completed_at - started_at differs from duration_seconds by up to %v s: timestamps misread", e)
	}
	if hasQuarantine {
		r := q(`SELECT count(*) AS n, count(raw) AS with_raw, count(DISTINCT reason) AS reasons FROM quarantine`)[0]
		if n := intOf(t, r["n"]); n != rep.QuarantinedRows || intOf(t, r["with_raw"]) != n {
			t.Errorf("quarantine: %d rows (%d with raw bytes), report says %d", n, intOf(t, r["with_raw"]), rep.QuarantinedRows)
		}
		t.Logf("quarantine: %d rows in %d reasons", rep.QuarantinedRows, intOf(t, r["reasons"]))
	}
	return *figs[report.BasisRaw], *figs[report.BasisDedup]
}

// compareFigures reports every figure that differs. Counts, topics and
// rankings must be equal; the three means agree to 1e-12 relative, because
// Trino adds in another order than the report (0.6265699745547079 against
// 0.6265699745547048 on the real data set).
func compareFigures(t *testing.T, want, got report.Figures) {
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
			t.Errorf("%s %s: trino %v, report %v", want.Basis, m.name, g, w)
		case g != nil && math.Abs(*g-*w) > 1e-12*math.Max(1, math.Abs(*w)):
			t.Errorf("%s %s: trino %v, report %v", want.Basis, m.name, *g, *w)
		}
		*m.got, *m.want = nil, nil
	}
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		if g, w := gv.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("%s %s: trino %+v, report %+v", want.Basis, gv.Type().Field(i).Name, g, w)
		}
	}
}

func intOf(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func floatOf(t *testing.T, v any) *float64 {
	t.Helper()
	if v == nil {
		return nil
	}
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return &f
}

// installTrino installs Trino (Install), failing the test when it cannot,
// and returns the server's directory.
func installTrino(t *testing.T) string {
	t.Helper()
	start := time.Now()
	home, err := Install()
	if err != nil {
		t.Fatalf("Trino: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Logf("trino installed in %s", d.Round(time.Second))
	}
	return home
}

// run runs landerd and returns its stdout, failing the test on an error.
func run(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LANDERD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("landerd %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

func readFile(t *testing.T, root, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
