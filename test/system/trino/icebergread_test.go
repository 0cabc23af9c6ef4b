package trino

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/test/kit/realdata"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/servertest"
	"github.com/landerd/landerd/test/system/iceberg"
	"github.com/landerd/landerd/test/system/minidfs"
	"github.com/landerd/landerd/test/system/postgres"
)

// TestIcebergOnHDFS has landerd land the real data set on Apache HDFS (a
// MiniDFSCluster, landed as its superuser as test/icehdfs lands) into
// Iceberg tables catalogued in PostgreSQL, in two steps; then Spark's
// JdbcCatalog and Trino's Iceberg connector (iceberg.catalog.type=jdbc,
// fs.hadoop.enabled=true) read them where they are, hdfs:// locations,
// and give the seven answers of `landerd report --json` and each step's
// rows at its snapshot. Spark and Trino share the landing, so it is here,
// beside Trino's harness. It skips only when the real data set is absent.
func TestIcebergOnHDFS(t *testing.T) {
	realdata.Path(t, realdata.ArrayFile) // skip before starting anything
	begin := time.Now()
	c := minidfs.Start(t, minidfs.Config{})
	pg := postgres.Start(t, postgres.Config{Database: "iceberg", User: "iceberg"})
	l := iceberg.Land(t, iceberg.LandOptions{PG: pg, HDFS: c, First: 2000})
	t.Logf("landerd landed the real data set in %s at %s; snapshots after each step %v", time.Since(begin).Round(100*time.Millisecond), l.Lake, l.Snapshots)
	if final := l.Reports[1]; final.Raw.Attempts != realdata.Attempts || final.Dedup.Attempts != realdata.DistinctKeenIDs {
		t.Fatalf("landerd report: %d rows, %d distinct keen_id; want %d, %d", final.Raw.Attempts, final.Dedup.Attempts, realdata.Attempts, realdata.DistinctKeenIDs)
	}

	start := time.Now()
	iceberg.CheckReaders(t, l, l.ReaderEnv(pg), iceberg.EngineSpark)
	t.Logf("Spark's JdbcCatalog read the tables in %s", time.Since(start).Round(100*time.Millisecond))

	srv := startIcebergTrino(t, IcebergCatalog{Name: "iceberg", JDBCURL: pg.JDBCURL(), User: pg.User(), Password: pg.Password(), Warehouse: "/trino-warehouse", HDFS: c.URL()})
	checkTrinoNamespace(t, srv, config.DefaultIcebergNamespace, l, l.Lake+"/landerd/attempts/")
	t.Logf("test took %s", time.Since(begin).Round(100*time.Millisecond))
}

// tenantNames are the tenants of TestIcebergTenantNamespace: the first
// has a hyphen, so its namespace needs quoting in SQL.
var tenantNames = []string{"acme-corp", "pearson"}

// TestIcebergTenantNamespace has landerd land generated attempts of two
// tenants, named by a record header, with tenancy on and the sql catalog,
// so that tenant acme-corp's tables are in namespace landerd_acme-corp;
// then Spark (backticks), pyiceberg (a tuple), DuckDB (the metadata file
// pyiceberg names) and Trino (double quotes) read that namespace and give
// the seven answers of `landerd report --json --tenant acme-corp`, and
// each step's rows at its snapshot; so do the snippets of docs/iceberg.md
// for the sql catalog, given that namespace. The tenants' shares differ (two
// records in three are acme-corp's), so answers read from the other
// tenant's tables, or from both, would differ.
func TestIcebergTenantNamespace(t *testing.T) {
	begin := time.Now()
	pg := postgres.Start(t, postgres.Config{Database: "iceberg", User: "iceberg"})
	gen := attemptgen.New(attemptgen.Config{Seed: 23, DuplicateRate: 0.05})
	recs := make([]fakekafka.Record, 1500)
	for i := range recs {
		r := gen.Next()
		tenant := tenantNames[0]
		if i%3 == 2 {
			tenant = tenantNames[1]
		}
		recs[i] = fakekafka.Record{Key: r.Key, Value: r.Value, Headers: []fakekafka.Header{{Key: iceberg.TenantHeader, Value: []byte(tenant)}}}
	}
	l := iceberg.Land(t, iceberg.LandOptions{PG: pg, Records: recs, Tenants: tenantNames, First: 600})
	ns := icetable.Namespace(config.DefaultIcebergNamespace, tenantNames[0])
	t.Logf("landerd landed %d records of tenants %v in %s; %s's snapshots after each step %v", len(recs), tenantNames, time.Since(begin).Round(100*time.Millisecond), ns, l.Snapshots)
	all, acme, other := l.Report(t), l.Reports[1], l.TenantReport(t, tenantNames[1])
	if acme.Raw.Attempts != 1000 || other.Raw.Attempts != 500 || all.Raw.Attempts != 1500 || acme.QuarantinedRows+other.QuarantinedRows != 0 {
		t.Fatalf("landerd report: %d attempts in all, %d of %s, %d of %s; want 1500, 1000 and 500, none quarantined",
			all.Raw.Attempts, acme.Raw.Attempts, tenantNames[0], other.Raw.Attempts, tenantNames[1])
	}
	if acme.Raw.Attempts == acme.Dedup.Attempts {
		t.Fatalf("%s: raw and dedup both %d attempts; want resends, so that the bases differ", tenantNames[0], acme.Raw.Attempts)
	}

	start := time.Now()
	iceberg.CheckReaders(t, l, l.NamespaceEnv(pg, ns))
	t.Logf("Spark, pyiceberg and DuckDB read %s in %s", ns, time.Since(start).Round(100*time.Millisecond))

	// The snippets of docs/iceberg.md, given the tenant's namespace: Spark
	// quotes it in backticks, pyiceberg takes it in a tuple, and DuckDB
	// reads the metadata file pyiceberg names, in the tenant's folder.
	env := append(l.NamespaceEnv(pg, ns), "LANDERD_ICEBERG_SQLALCHEMY_URI="+iceberg.SQLAlchemyURL(t, pg))
	iceberg.CheckSnippet(t, "spark.py", iceberg.RunSnippet(t, env, "spark.py"), l)
	py := iceberg.RunSnippet(t, env, "pyiceberg_sql.py")
	iceberg.CheckSnippet(t, "pyiceberg_sql.py", py, l)
	if want := "file://" + l.Lake + "/landerd/tenant=" + tenantNames[0] + "/attempts/metadata/"; !strings.HasPrefix(py.Metadata, want) {
		t.Fatalf("docs/iceberg/pyiceberg_sql.py: metadata file %q, want one under %s", py.Metadata, want)
	}
	iceberg.CheckSnippet(t, "duckdb_offline.py", iceberg.RunSnippet(t, append(env, "LANDERD_ATTEMPTS_METADATA="+py.Metadata), "duckdb_offline.py"), l)

	dir := t.TempDir()
	srv := startIcebergTrino(t, IcebergCatalog{Name: "iceberg", JDBCURL: pg.JDBCURL(), User: pg.User(), Password: pg.Password(), Warehouse: filepath.Join(dir, "warehouse")})
	checkTrinoNamespace(t, srv, ns, l, "file://"+l.Lake+"/landerd/tenant="+tenantNames[0]+"/attempts/")
	t.Logf("test took %s", time.Since(begin).Round(100*time.Millisecond))
}

// startIcebergTrino starts Trino with the Iceberg catalogs cats, stopped
// when the test ends; a Trino that cannot start fails the test.
func startIcebergTrino(t *testing.T, cats ...IcebergCatalog) *Server {
	t.Helper()
	home := installTrino(t)
	javaHome := JavaHome()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	srv, err := Start(ctx, Options{Home: home, JavaHome: javaHome, Dir: dir, Iceberg: cats})
	if err != nil {
		t.Fatalf("Trino: %v", err)
	}
	t.Logf("trino started in %s at %s", srv.Started.Round(time.Millisecond), srv.URL())
	t.Cleanup(func() {
		if rss := servertest.PeakRSS(srv.Pid()); rss > 0 {
			t.Logf("trino peak RSS: %d MiB", rss>>20)
		}
		if t.Failed() {
			t.Logf("trino log:\n%s", srv.LogTail(40))
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Trino: %v", err)
		}
	})
	return srv
}

// plainIdent is an identifier Trino takes unquoted.
var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// trinoIdent quotes name for Trino SQL when it is not a plain identifier,
// as docs/iceberg.md says: "landerd_acme-corp".
func trinoIdent(name string) string {
	if plainIdent.MatchString(name) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// checkTrinoNamespace has srv's catalog iceberg read namespace ns of l: the
// views of sql/trino/00_views_iceberg.sql with its namespace, quoted, in
// place of landerd, then the question files, whose answers must be l's
// last report; each step's rows FOR VERSION AS OF its snapshot; and every
// data file of the attempts table under location (the lake as Trino names
// it: the table's own folder).
func checkTrinoNamespace(t *testing.T, srv *Server, ns string, l *iceberg.Landed, location string) {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	table := "iceberg." + trinoIdent(ns) + "."
	script := strings.ReplaceAll(readFile(t, root, "sql/trino/00_views_iceberg.sql"), "iceberg.landerd.", table)
	for _, st := range Statements(script) {
		if _, err := srv.Query(ctx, "iceberg", "", st); err != nil {
			t.Fatalf("sql/trino/00_views_iceberg.sql on %s: %v", ns, err)
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
	final := l.Reports[len(l.Reports)-1]
	raw, dedup := checkAnswers(t, q, root, final, false)
	t.Logf("trino on %s: %s", ns, iceberg.Summary(map[string]report.Figures{report.BasisRaw: raw, report.BasisDedup: dedup}))
	for i, s := range l.Snapshots {
		n := intOf(t, q(fmt.Sprintf("SELECT count(*) AS n FROM %sattempts FOR VERSION AS OF %d", table, s))[0]["n"])
		if want := l.Reports[i].Raw.Attempts; n != want {
			t.Errorf("trino: %d rows of %sattempts FOR VERSION AS OF %d (step %d), want %d", n, table, s, i+1, want)
		}
	}
	files := q(fmt.Sprintf(`SELECT file_path FROM %s"attempts$files"`, table))
	if len(files) == 0 {
		t.Errorf("trino: %sattempts has no data files", table)
	}
	for _, f := range files {
		if p, _ := f["file_path"].(string); !strings.HasPrefix(p, location) {
			t.Errorf("trino: data file %q of %sattempts, want it under %s", p, table, location)
			break
		}
	}
	t.Logf("trino read %s (%d data files under %s) in %s", ns, len(files), location, time.Since(start).Round(100*time.Millisecond))
}
