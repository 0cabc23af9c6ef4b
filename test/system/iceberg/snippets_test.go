package iceberg

import (
	"bufio"
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/system/postgres"
)

// The snippets of docs/iceberg.md, in docs/iceberg/: the tests run the
// files, and TestDocSnippets checks that the page quotes each verbatim.
var snippets = map[string]string{
	"spark.py":                 "python",
	"pyiceberg_sql.py":         "python",
	"pyiceberg_hadoop.py":      "python",
	"duckdb_offline.py":        "python",
	"trino-iceberg.properties": "properties",
}

// TestDocSnippets: docs/iceberg.md quotes every snippet file whole, in a
// fenced block of its language, so that what a reader copies is what the
// tests ran.
func TestDocSnippets(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "iceberg.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, lang := range snippets {
		b, err := os.ReadFile(filepath.Join(root, "docs", "iceberg", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(doc, []byte("```"+lang+"\n"+string(b)+"```\n")) {
			t.Errorf("docs/iceberg.md does not quote docs/iceberg/%s verbatim in a ```%s block", name, lang)
		}
	}
}

// snippetOut is what a snippet printed.
type snippetOut struct {
	attempts, distinct int64
	snapshots          []int64
	rows               map[int64]int64
	meanScore          float64
	metadata           string
}

// runSnippet runs docs/iceberg/<name> in the Iceberg venv with env and
// parses its lines: "attempts: N", "distinct keen_id: N", "snapshot S rows
// N", "mean score: X", "metadata file: F".
func runSnippet(t *testing.T, env []string, name string) snippetOut {
	t.Helper()
	start := time.Now()
	out := Python(t, env, filepath.Join("..", "docs", "iceberg", name))
	t.Logf("docs/iceberg/%s ran in %s", name, time.Since(start).Round(100*time.Millisecond))
	s := snippetOut{rows: map[int64]int64{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		var err error
		switch f := strings.Fields(line); {
		case strings.HasPrefix(line, "attempts: "):
			s.attempts, err = strconv.ParseInt(f[1], 10, 64)
		case strings.HasPrefix(line, "distinct keen_id: "):
			s.distinct, err = strconv.ParseInt(f[2], 10, 64)
		case strings.HasPrefix(line, "mean score: "):
			s.meanScore, err = strconv.ParseFloat(f[2], 64)
		case strings.HasPrefix(line, "metadata file: "):
			s.metadata = f[2]
		case len(f) == 4 && f[0] == "snapshot" && f[2] == "rows":
			var id, n int64
			if id, err = strconv.ParseInt(f[1], 10, 64); err == nil {
				n, err = strconv.ParseInt(f[3], 10, 64)
			}
			s.snapshots = append(s.snapshots, id)
			s.rows[id] = n
		}
		if err != nil {
			t.Fatalf("docs/iceberg/%s printed %q: %v", name, line, err)
		}
	}
	return s
}

// checkSnippet compares what a snippet printed with landerd's reports:
// the rows and distinct keen_ids now, each step's rows at its snapshot,
// and rows that never shrink from one snapshot to the next, the last
// snapshot's being the current count.
func checkSnippet(t *testing.T, name string, s snippetOut, l *Landed) {
	t.Helper()
	final := l.Reports[len(l.Reports)-1]
	if s.attempts != final.Raw.Attempts || s.distinct != final.Dedup.Attempts {
		t.Errorf("docs/iceberg/%s: %d attempts, %d distinct keen_id; report %d, %d", name, s.attempts, s.distinct, final.Raw.Attempts, final.Dedup.Attempts)
	}
	for i, id := range l.Snapshots {
		if n, ok := s.rows[id]; !ok || n != l.Reports[i].Raw.Attempts {
			t.Errorf("docs/iceberg/%s: snapshot %d (step %d) has %d rows (listed %v), want %d", name, id, i+1, n, ok, l.Reports[i].Raw.Attempts)
		}
	}
	var prev int64
	for _, id := range s.snapshots {
		if s.rows[id] < prev {
			t.Errorf("docs/iceberg/%s: snapshot %d has %d rows, fewer than the one before (%d)", name, id, s.rows[id], prev)
		}
		prev = s.rows[id]
	}
	if len(s.snapshots) == 0 || prev != s.attempts {
		t.Errorf("docs/iceberg/%s: the last of %d snapshots has %d rows, %d now", name, len(s.snapshots), prev, s.attempts)
	}
	t.Logf("docs/iceberg/%s: %d attempts, %d distinct keen_id, %d snapshots", name, s.attempts, s.distinct, len(s.snapshots))
}

// sqlalchemyURL is pg's database as pyiceberg's SqlCatalog takes it.
func sqlalchemyURL(t *testing.T, pg *postgres.Server) string {
	u, err := url.Parse(pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme = "postgresql+psycopg2"
	u.User = url.UserPassword(pg.User(), pg.Password())
	return u.String()
}

// checkSQLSnippets runs the snippets of the sql catalog on l: Spark's,
// pyiceberg's with pandas, then DuckDB's on the metadata file pyiceberg
// named.
func checkSQLSnippets(t *testing.T, l *Landed, pg *postgres.Server) {
	env := append(l.ReaderEnv(pg), "LANDERD_ICEBERG_SQLALCHEMY_URI="+sqlalchemyURL(t, pg))
	checkSnippet(t, "spark.py", runSnippet(t, env, "spark.py"), l)
	py := runSnippet(t, env, "pyiceberg_sql.py")
	checkSnippet(t, "pyiceberg_sql.py", py, l)
	if want := *l.Reports[len(l.Reports)-1].Raw.AvgScore; py.meanScore == 0 || (py.meanScore-want)/want > 1e-12 || (want-py.meanScore)/want > 1e-12 {
		t.Errorf("docs/iceberg/pyiceberg_sql.py: pandas' mean score %v, report %v", py.meanScore, want)
	}
	if py.metadata == "" {
		t.Fatal("docs/iceberg/pyiceberg_sql.py printed no metadata file")
	}
	checkSnippet(t, "duckdb_offline.py", runSnippet(t, append(env, "LANDERD_ATTEMPTS_METADATA="+py.metadata), "duckdb_offline.py"), l)
}

// checkHadoopSnippets runs the snippets of the hadoop catalog on l:
// pyiceberg's StaticTable, then DuckDB's on the metadata file the version
// hint names.
func checkHadoopSnippets(t *testing.T, l *Landed) {
	env := l.ReaderEnv(nil)
	checkSnippet(t, "pyiceberg_hadoop.py", runSnippet(t, env, "pyiceberg_hadoop.py"), l)
	dir := filepath.Join(l.Lake, "landerd", "attempts", "metadata")
	hint, err := os.ReadFile(filepath.Join(dir, "version-hint.text"))
	if err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(dir, "v"+strings.TrimSpace(string(hint))+".metadata.json")
	checkSnippet(t, "duckdb_offline.py", runSnippet(t, append(env, "LANDERD_ATTEMPTS_METADATA="+meta), "duckdb_offline.py"), l)
}
