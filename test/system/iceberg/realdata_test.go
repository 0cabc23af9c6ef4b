package iceberg

import (
	"testing"
	"time"

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

func checkReaders(t *testing.T, l *Landed, env []string, engines ...string) {
	t.Helper()
	final := l.Reports[len(l.Reports)-1]
	if final.Raw.Attempts != realdata.Attempts || final.Dedup.Attempts != realdata.DistinctKeenIDs || final.QuarantinedRows != 0 {
		t.Fatalf("landerd report: %d rows, %d distinct keen_id, %d quarantined; want %d, %d, 0",
			final.Raw.Attempts, final.Dedup.Attempts, final.QuarantinedRows, realdata.Attempts, realdata.DistinctKeenIDs)
	}
	if l.Reports[0].Raw.Attempts != realDataFirst {
		t.Fatalf("landerd report after the first step: %d rows, want %d", l.Reports[0].Raw.Attempts, realDataFirst)
	}
	CheckReaders(t, l, env, engines...)
}
