package trino

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/servertest"
	"github.com/landerd/landerd/test/system/iceberg"
	"github.com/landerd/landerd/test/system/postgres"
)

// TestIcebergJDBCCatalog starts PostgreSQL and a Trino with an Iceberg
// catalog of the JDBC type on it, under landerd's catalog name. Trino
// creates a table partitioned by day(landed_at), inserts rows and reads
// them back; then a table pyiceberg wrote through the same catalog (the
// synthetic attempts of python/tests_iceberg, two commits) must be
// readable by Trino: its rows now and at the first snapshot, and figures
// of the business questions equal to those of the rows.
func TestIcebergJDBCCatalog(t *testing.T) {
	begin := time.Now()
	pg := postgres.Start(t, postgres.Config{Database: "iceberg", User: "iceberg"})
	dir := t.TempDir()
	wh := filepath.Join(dir, "warehouse")
	if err := os.MkdirAll(wh, 0o755); err != nil {
		t.Fatal(err)
	}
	written := iceberg.WriteAttempts(t, pg, iceberg.Catalog{Warehouse: wh})
	t.Logf("pyiceberg wrote %s.%s.attempts (snapshots %v) in %s", written.Catalog, written.Namespace, written.Snapshots, time.Since(begin).Round(100*time.Millisecond))

	home := installTrino(t)
	javaHome := JavaHome()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	trinoDir := filepath.Join(dir, "trino")
	if err := os.MkdirAll(trinoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	srv, err := Start(ctx, Options{
		Home: home, JavaHome: javaHome, Dir: trinoDir,
		Iceberg: []IcebergCatalog{{
			Name: "iceberg", JDBCURL: pg.JDBCURL(), User: pg.User(), Password: pg.Password(),
			CatalogName: written.Catalog, Warehouse: wh,
		}},
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
	q := func(sql string) []map[string]any {
		t.Helper()
		res, err := srv.Query(ctx, "iceberg", "", sql)
		if err != nil {
			t.Fatal(err)
		}
		return res.Maps()
	}

	t.Run("trino_writes", func(t *testing.T) {
		start := time.Now()
		q(`CREATE SCHEMA iceberg.made_by_trino`)
		q(`CREATE TABLE iceberg.made_by_trino.attempts (
			keen_id varchar NOT NULL, exam_name varchar, score double,
			kafka_offset bigint NOT NULL, landed_at timestamp(6) with time zone NOT NULL)
			WITH (format = 'PARQUET', partitioning = ARRAY['day(landed_at)'])`)
		q(`INSERT INTO iceberg.made_by_trino.attempts VALUES
			('k1', 'Learning Git', 0.8, 0, TIMESTAMP '2026-11-24 09:30:00.123456 UTC'),
			('k2', 'Learning Git', NULL, 1, TIMESTAMP '2026-11-24 23:59:59.999999 UTC'),
			('k3', 'SQL Joins', 0.5, 2, TIMESTAMP '2026-11-25 00:00:00.000001 UTC')`)
		rows := q(`SELECT keen_id, exam_name, score, kafka_offset,
			CAST(landed_at AS varchar) AS landed_at FROM iceberg.made_by_trino.attempts ORDER BY kafka_offset`)
		got := make([]string, len(rows))
		for i, r := range rows {
			got[i] = fmt.Sprint(r["keen_id"], " ", r["exam_name"], " ", r["score"], " ", r["kafka_offset"], " ", r["landed_at"])
		}
		want := []string{
			"k1 Learning Git 0.8 0 2026-11-24 09:30:00.123456 UTC",
			"k2 Learning Git <nil> 1 2026-11-24 23:59:59.999999 UTC",
			"k3 SQL Joins 0.5 2 2026-11-25 00:00:00.000001 UTC",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("rows read back:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		parts := q(`SELECT count(*) AS n FROM iceberg.made_by_trino."attempts$partitions"`)
		if n := intOf(t, parts[0]["n"]); n != 2 {
			t.Errorf("%d partitions, want 2 (two days of landed_at)", n)
		}
		// The table's files are under the catalog's warehouse.
		loc := q(`SELECT file_path FROM iceberg.made_by_trino."attempts$files"`)
		for _, r := range loc {
			if p, _ := r["file_path"].(string); !strings.HasPrefix(p, "file://"+wh+"/made_by_trino/") {
				t.Errorf("data file %s is not under the warehouse %s", p, wh)
			}
		}
		t.Logf("created, inserted and read back in %s", time.Since(start).Round(time.Millisecond))
	})

	t.Run("pyiceberg_table", func(t *testing.T) {
		start := time.Now()
		table := fmt.Sprintf("iceberg.%s.attempts", written.Namespace)
		n := intOf(t, q(`SELECT count(*) AS n FROM ` + table)[0]["n"])
		first := intOf(t, q(fmt.Sprintf(`SELECT count(*) AS n FROM %s FOR VERSION AS OF %d`, table, written.Snapshots[0]))[0]["n"])
		if n != written.Counts[len(written.Counts)-1] || first != written.Counts[0] {
			t.Errorf("rows %d now and %d at snapshot %d, want %v", n, first, written.Snapshots[0], written.Counts)
		}
		var snaps []int64
		for _, r := range q(`SELECT snapshot_id FROM iceberg.` + written.Namespace + `."attempts$snapshots" ORDER BY committed_at`) {
			snaps = append(snaps, intOf(t, r["snapshot_id"]))
		}
		if fmt.Sprint(snaps) != fmt.Sprint(written.Snapshots) {
			t.Errorf("snapshots %v, want %v", snaps, written.Snapshots)
		}
		// Figures of the business questions over the raw rows, as sql/trino
		// asks them, against those of the rows themselves.
		r := q(`SELECT count(DISTINCT base_exam_id) AS assessments,
			count_if(exam_name = 'Learning Git') AS course_attempts,
			count(score) AS scored_attempts, avg(score) AS avg_score,
			count_if(score > 0.70) AS passed_attempts,
			count(duration_seconds) AS timed_attempts, avg(duration_seconds) AS avg_duration_seconds,
			max(abs(to_unixtime(completed_at) - to_unixtime(started_at) - duration_seconds)) AS duration_error
			FROM ` + table)[0]
		want := written.Answers["raw"]
		for _, k := range []string{"assessments", "course_attempts", "scored_attempts", "passed_attempts", "timed_attempts"} {
			if g, w := intOf(t, r[k]), intOf(t, want[k]); g != w {
				t.Errorf("%s: trino %d, rows %d", k, g, w)
			}
		}
		for _, k := range []string{"avg_score", "avg_duration_seconds"} {
			g, w := floatOf(t, r[k]), floatOf(t, want[k])
			if g == nil || w == nil || *g-*w > 1e-12**w || *w-*g > 1e-12**w {
				t.Errorf("%s: trino %v, rows %v", k, r[k], want[k])
			}
		}
		if e := floatOf(t, r["duration_error"]); e == nil || *e > 1e-6 {
			t.Errorf("completed_at - started_at differs from duration_seconds by up to %v s: timestamps misread", e)
		}
		t.Logf("read in %s", time.Since(start).Round(time.Millisecond))
	})
	t.Logf("test took %s", time.Since(begin).Round(time.Millisecond))
}

// TestShippedSQLOnIcebergTables has landerd land the real data set into
// Iceberg tables catalogued in PostgreSQL, in two steps, starts Trino with
// an Iceberg catalog of the JDBC type on the same database, registers the
// views of sql/trino/00_views_iceberg.sql and runs the question files,
// whose answers must be those of `landerd report --json`; the first step's
// row count must come back FOR VERSION AS OF the snapshot it left. It
// skips only when the real data set is absent.
func TestShippedSQLOnIcebergTables(t *testing.T) {
	begin := time.Now()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	pg := postgres.Start(t, postgres.Config{Database: "iceberg", User: "iceberg"})
	l := iceberg.LandRealData(t, pg, 2000)
	t.Logf("landerd landed the real data set in %s; snapshots after each step %v", time.Since(begin).Round(100*time.Millisecond), l.Snapshots)

	home := installTrino(t)
	javaHome := JavaHome()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := t.TempDir()
	wh := filepath.Join(dir, "warehouse")
	if err := os.MkdirAll(wh, 0o755); err != nil {
		t.Fatal(err)
	}
	srv, err := Start(ctx, Options{
		Home: home, JavaHome: javaHome, Dir: dir,
		Iceberg: []IcebergCatalog{{Name: "iceberg", JDBCURL: pg.JDBCURL(), User: pg.User(), Password: pg.Password(), Warehouse: wh}},
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
	start := time.Now()
	for round := range 2 {
		for _, st := range Statements(readFile(t, root, "sql/trino/00_views_iceberg.sql")) {
			if _, err := srv.Query(ctx, "iceberg", "", st); err != nil {
				t.Fatalf("sql/trino/00_views_iceberg.sql (run %d): %v", round+1, err)
			}
		}
	}
	q := func(sql string) []map[string]any {
		t.Helper()
		res, err := srv.Query(ctx, "iceberg", "landerd_views", sql)
		if err != nil {
			t.Fatal(err)
		}
		return res.Maps()
	}
	raw, dedup := checkAnswers(t, q, root, l.Reports[1], false)
	for _, f := range []report.Figures{raw, dedup} {
		t.Logf("trino %s: (1) %d assessments (2) %v (3) %d %s (4) most %v least %v (5) avg score %v over %d (6) pass share %v (%d passed) (7) avg duration %v s over %d; %d rows",
			f.Basis, f.Assessments, f.Topics, f.CourseAttempts, l.Reports[1].Course, f.MostTaken, f.LeastTaken, *f.AvgScore, f.Scored, *f.PassShare, f.Passed, *f.AvgDurationSeconds, f.Timed, f.Attempts)
	}
	for i, s := range l.Snapshots {
		n := intOf(t, q(fmt.Sprintf("SELECT count(*) AS n FROM iceberg.landerd.attempts FOR VERSION AS OF %d", s))[0]["n"])
		if want := l.Reports[i].Raw.Attempts; n != want {
			t.Errorf("%d rows FOR VERSION AS OF %d (step %d), want %d", n, s, i+1, want)
		}
	}
	if n := intOf(t, q(`SELECT count(*) AS n FROM quarantine`)[0]["n"]); n != 0 {
		t.Errorf("_quarantine: %d rows, want none", n)
	}
	t.Logf("questions answered in %s; test took %s", time.Since(start).Round(time.Millisecond), time.Since(begin).Round(100*time.Millisecond))
}

// TestDocTrinoProperties: the catalog files docs/iceberg.md shows,
// docs/iceberg/trino-iceberg.properties for a local lake and
// trino-iceberg-hdfs.properties for one on HDFS, have the keys of the ones
// IcebergCatalog writes for the tests, with the same values but for the
// database, user, password and warehouse, which are each site's.
func TestDocTrinoProperties(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	parse := func(text string) map[string]string {
		m := map[string]string{}
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("not a property: %q", line)
			}
			m[k] = v
		}
		return m
	}
	site := map[string]bool{
		"iceberg.jdbc-catalog.connection-url": true, "iceberg.jdbc-catalog.connection-user": true,
		"iceberg.jdbc-catalog.connection-password": true, "iceberg.jdbc-catalog.default-warehouse-dir": true,
	}
	for file, hdfs := range map[string]string{"trino-iceberg.properties": "", "trino-iceberg-hdfs.properties": "hdfs://127.0.0.1:8020"} {
		doc := parse(readFile(t, root, "docs/iceberg/"+file))
		props, err := IcebergCatalog{Name: "iceberg", JDBCURL: "jdbc:postgresql://127.0.0.1:5432/iceberg", User: "iceberg", Password: "pw", Warehouse: "/tmp/wh", HDFS: hdfs}.properties()
		if err != nil {
			t.Fatal(err)
		}
		tested := parse(props)
		for k, v := range tested {
			d, ok := doc[k]
			switch {
			case !ok:
				t.Errorf("docs/iceberg/%s lacks %s", file, k)
			case !site[k] && d != v:
				t.Errorf("docs/iceberg/%s: %s=%s, the tests run with %s", file, k, d, v)
			}
		}
		for k := range doc {
			if _, ok := tested[k]; !ok {
				t.Errorf("docs/iceberg/%s sets %s, which the tests do not", file, k)
			}
		}
		scheme := "file://"
		if hdfs != "" {
			scheme = "hdfs://"
		}
		if w := doc["iceberg.jdbc-catalog.default-warehouse-dir"]; !strings.HasPrefix(w, scheme) {
			t.Errorf("docs/iceberg/%s: default-warehouse-dir %s, want a %s URL", file, w, scheme)
		}
	}
}
