package iceberg

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/system/postgres"
)

// The snippets of docs/iceberg.md, in docs/iceberg/: the tests run the
// files, and TestDocSnippets checks that the page quotes each verbatim.
var snippets = map[string]string{
	"spark.py":                      "python",
	"spark_hdfs.py":                 "python",
	"pyiceberg_sql.py":              "python",
	"pyiceberg_hadoop.py":           "python",
	"duckdb_offline.py":             "python",
	"trino-iceberg.properties":      "properties",
	"trino-iceberg-hdfs.properties": "properties",
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

// checkSQLSnippets runs the snippets of the sql catalog on l: Spark's,
// pyiceberg's with pandas, then DuckDB's on the metadata file pyiceberg
// named.
func checkSQLSnippets(t *testing.T, l *Landed, pg *postgres.Server) {
	env := append(l.ReaderEnv(pg), "LANDERD_ICEBERG_SQLALCHEMY_URI="+SQLAlchemyURL(t, pg))
	CheckSnippet(t, "spark.py", RunSnippet(t, env, "spark.py"), l)
	py := RunSnippet(t, env, "pyiceberg_sql.py")
	CheckSnippet(t, "pyiceberg_sql.py", py, l)
	if want := *l.Reports[len(l.Reports)-1].Raw.AvgScore; py.MeanScore == 0 || (py.MeanScore-want)/want > 1e-12 || (want-py.MeanScore)/want > 1e-12 {
		t.Errorf("docs/iceberg/pyiceberg_sql.py: pandas' mean score %v, report %v", py.MeanScore, want)
	}
	if py.Metadata == "" {
		t.Fatal("docs/iceberg/pyiceberg_sql.py printed no metadata file")
	}
	CheckSnippet(t, "duckdb_offline.py", RunSnippet(t, append(env, "LANDERD_ATTEMPTS_METADATA="+py.Metadata), "duckdb_offline.py"), l)
}

// checkHadoopSnippets runs the snippets of the hadoop catalog on l:
// pyiceberg's StaticTable, then DuckDB's on the metadata file the version
// hint names.
func checkHadoopSnippets(t *testing.T, l *Landed) {
	env := l.ReaderEnv(nil)
	CheckSnippet(t, "pyiceberg_hadoop.py", RunSnippet(t, env, "pyiceberg_hadoop.py"), l)
	dir := filepath.Join(l.Lake, "landerd", "attempts", "metadata")
	hint, err := os.ReadFile(filepath.Join(dir, "version-hint.text"))
	if err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(dir, "v"+strings.TrimSpace(string(hint))+".metadata.json")
	CheckSnippet(t, "duckdb_offline.py", RunSnippet(t, append(env, "LANDERD_ATTEMPTS_METADATA="+meta), "duckdb_offline.py"), l)
}
