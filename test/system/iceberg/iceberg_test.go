package iceberg

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/landerd/landerd/test/system/postgres"
)

// TestReaders starts PostgreSQL and runs python/tests_iceberg: pyiceberg
// writes the attempts table in two commits through the SQL catalog, Spark
// copies it into a Hadoop catalog, and Spark (both catalogs), pyiceberg and
// DuckDB must read the same counts, the first snapshot's count by time
// travel, and the answers of the rows. The catalog's name is not the
// default, so a reader that ignored it would find no table.
func TestReaders(t *testing.T) {
	pg := postgres.Start(t, postgres.Config{Database: "iceberg", User: "iceberg"})
	dir := t.TempDir()
	measure := filepath.Join(dir, "measure.json")
	env := append(Env(pg, Catalog{Name: "landerd_test", Warehouse: filepath.Join(dir, "unused")}),
		"LANDERD_ICEBERG_MEASURE="+measure)
	begin := time.Now()
	out := Python(t, env, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--durations=0", "--basetemp", filepath.Join(dir, "pytest"), "tests_iceberg")
	t.Logf("python/tests_iceberg in %s:\n%s", time.Since(begin).Round(100*time.Millisecond), tail(string(out), 3000))
	b, err := os.ReadFile(measure)
	if err != nil {
		t.Fatalf("Spark's memory was not measured: %v", err)
	}
	var m struct {
		PeakKiB   int64 `json:"spark_jvm_peak_rss_kib"`
		PythonKiB int64 `json:"python_peak_rss_kib"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	t.Logf("peak RSS: Spark's JVM %d MiB, Python (pyiceberg, DuckDB) %d MiB; PostgreSQL %d MiB (Pss)", m.PeakKiB>>10, m.PythonKiB>>10, pg.Memory()>>20)
}
