package iceberg

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/system/postgres"
)

// DefaultCatalogName is the catalog name landerd registers its tables
// under. A SQL catalog stores it in every row (catalog_name), so a reader
// must use the writer's.
const DefaultCatalogName = "landerd"

// Catalog names a SQL catalog on a PostgreSQL of test/system/postgres.
type Catalog struct {
	// Name is the catalog's name; empty means DefaultCatalogName.
	Name string
	// Namespace holds the tables; empty means "landerd", lake.iceberg.namespace's default.
	Namespace string
	// Warehouse is the local folder (an absolute path) tables are created in.
	Warehouse string
}

// Env returns the LANDERD_ICEBERG_* variables that point
// landerd_lake.iceberg at cat on pg, after the process's environment.
func Env(pg *postgres.Server, cat Catalog) []string {
	name, ns := cat.Name, cat.Namespace
	if name == "" {
		name = DefaultCatalogName
	}
	if ns == "" {
		ns = "landerd"
	}
	return append(os.Environ(),
		"LANDERD_ICEBERG_CATALOG_TYPE=sql",
		"LANDERD_ICEBERG_CATALOG_NAME="+name,
		"LANDERD_ICEBERG_NAMESPACE="+ns,
		"LANDERD_ICEBERG_WAREHOUSE="+cat.Warehouse,
		"LANDERD_ICEBERG_URI="+pg.JDBCURL(),
		"LANDERD_ICEBERG_USER="+pg.User(),
		"LANDERD_ICEBERG_PASSWORD="+pg.Password(),
	)
}

// Python runs scripts/python/py-iceberg with args in the repository's
// python/ folder and env, installing the Iceberg venv and jars first when
// needed, and returns its stdout. Any failure (the install, a test) fails
// the test with stderr's end.
func Python(tb testing.TB, env []string, args ...string) []byte {
	tb.Helper()
	// The venv's first build downloads pyspark (some 450 MB); a Spark
	// session's start takes a minute on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd, err := PythonCommand(ctx, env, args...)
	if err != nil {
		tb.Fatalf("Iceberg readers: %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("Iceberg readers (scripts/python/py-iceberg %v): %v\n%s\n%s", args, err, tail(stdout.String(), 6000), tail(stderr.String(), 3000))
	}
	return stdout.Bytes()
}

// PythonCommand returns the command that runs scripts/python/py-iceberg
// with args in the repository's python/ folder and env (installing the
// Iceberg venv and jars first when needed), for a caller that talks to
// the process while it runs; Python runs one to its end.
func PythonCommand(ctx context.Context, env []string, args ...string) (*exec.Cmd, error) {
	root, err := repo.Root()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "sh", append([]string{filepath.Join(root, "scripts", "python", "py-iceberg")}, args...)...)
	cmd.Dir = filepath.Join(root, "python")
	cmd.Env = env
	return cmd, nil
}

// Written is what python/tests_iceberg/attempts.py reports of the
// synthetic attempts table it wrote with pyiceberg.
type Written struct {
	Catalog          string  `json:"catalog"`
	Namespace        string  `json:"namespace"`
	Table            string  `json:"table"`
	MetadataLocation string  `json:"metadata_location"`
	Snapshots        []int64 `json:"snapshots"`
	// Counts are the table's rows at each snapshot.
	Counts []int64 `json:"counts"`
	// Answers are the business questions' figures by basis (raw, dedup),
	// computed from the rows, under `landerd report --json`'s names.
	Answers map[string]map[string]any `json:"answers"`
}

// WriteAttempts writes the synthetic attempts table (two commits) with
// pyiceberg through cat on pg and returns what it wrote.
func WriteAttempts(tb testing.TB, pg *postgres.Server, cat Catalog) Written {
	tb.Helper()
	out := Python(tb, Env(pg, cat), "tests_iceberg/attempts.py")
	var w Written
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		tb.Fatalf("Iceberg readers: decode what tests_iceberg/attempts.py printed: %v\n%s", err, out)
	}
	return w
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
