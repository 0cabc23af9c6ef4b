package duckdb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/landerd/landerd/test/kit/repo"
)

// InstallScript is the command, relative to the repository root, that
// installs the reader.
const InstallScript = "scripts/duckdb/install.sh"

// Column is one result column: its name and its DuckDB type name as DuckDB
// prints it, e.g. "BIGINT", "TIMESTAMP WITH TIME ZONE" or
// `STRUCT("id" VARCHAR, "checked" BOOLEAN)[]`.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Result is the result of the last statement of a query.
//
// Values in Rows, and inside nested lists and structs, are:
//   - nil for NULL, bool for BOOLEAN, string for VARCHAR;
//   - int64 for every integer type whose value fits (TINYINT to BIGINT, and
//     UBIGINT, HUGEINT, UHUGEINT values in int64 range); a json.Number holding
//     the exact digits otherwise;
//   - float64 for FLOAT and DOUBLE, and the strings "NaN", "Infinity" and
//     "-Infinity" for the values JSON cannot hold;
//   - string for DECIMAL (exact digits, e.g. "12.340"), DATE ("2026-01-01"),
//     TIMESTAMP WITH TIME ZONE (RFC 3339 in UTC with six fractional digits,
//     e.g. "2026-01-01T12:34:56.123456Z", parseable by time.RFC3339Nano),
//     TIMESTAMP (the same without the "Z"), INTERVAL, TIME, UUID and BLOB;
//   - []any for LIST and ARRAY, map[string]any for STRUCT, []any of
//     map[string]any{"key", "value"} for MAP.
//
// Duplicate column names are made unique by DuckDB's rule ("x", "x:1").
type Result struct {
	Columns []Column
	Rows    []map[string]any
}

// Types returns the DuckDB type name of each column, by column name.
func (r Result) Types() map[string]string {
	types := make(map[string]string, len(r.Columns))
	for _, c := range r.Columns {
		types[c.Name] = c.Type
	}
	return types
}

// Literal returns s as a SQL string literal, quotes doubled, for putting
// paths into queries: "read_parquet(" + Literal(glob) + ")".
func Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Query runs sql (one or more statements separated by semicolons) in a fresh
// in-memory DuckDB database and returns the result of the last statement.
// It fails the test when DuckDB reports an error, and skips it (or fails it
// when $CI is set) when the reader is not installed.
func Query(tb testing.TB, sql string) Result {
	tb.Helper()
	dir, err := readerDir()
	if err == nil {
		err = checkInstalled(dir)
	}
	if err != nil {
		unavailable(tb, os.Getenv("CI") != "", err)
	}
	res, err := run(tb, dir, sql)
	if err != nil {
		tb.Fatalf("duckdb: %v\nSQL:\n%s", err, sql)
	}
	return res
}

// errNotInstalled marks a reader that is not ready to run.
var errNotInstalled = errors.New("duckdb reader not installed")

// readerDir returns scripts/duckdb under the repository root.
func readerDir() (string, error) {
	root, err := repo.Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "scripts", "duckdb"), nil
}

// checkInstalled reports errNotInstalled when node is not on the PATH or the
// npm packages are missing from dir.
func checkInstalled(dir string) error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("%w: node not found on PATH", errNotInstalled)
	}
	pkg := filepath.Join(dir, "node_modules", "@duckdb", "node-api", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		return fmt.Errorf("%w: %s missing", errNotInstalled, filepath.Join(dir, "node_modules"))
	}
	return nil
}

// unavailable stops the test because the reader cannot run: a failure under
// CI, a skip elsewhere.
func unavailable(tb testing.TB, ci bool, err error) {
	tb.Helper()
	if ci {
		tb.Fatalf("duckdb: %v; CI must run %s before the tests", err, InstallScript)
	}
	tb.Skipf("duckdb: %v; run %s to enable this test", err, InstallScript)
}

// run executes query.mjs in dir with sql on stdin and decodes its JSON output.
func run(tb testing.TB, dir, sql string) (Result, error) {
	cmd := exec.CommandContext(tb.Context(), "node", filepath.Join(dir, "query.mjs"), "--json")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return Result{}, fmt.Errorf("run query.mjs: %w", err)
		}
		return Result{}, fmt.Errorf("run query.mjs: %w: %s", err, msg)
	}
	return decode(stdout.Bytes())
}

// decode parses query.mjs's JSON output, keeping integers exact.
func decode(out []byte) (Result, error) {
	var raw struct {
		Columns []Column         `json:"columns"`
		Rows    []map[string]any `json:"rows"`
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return Result{}, fmt.Errorf("decode query output: %w", err)
	}
	for _, row := range raw.Rows {
		for k, v := range row {
			row[k] = numbers(v)
		}
	}
	if raw.Rows == nil {
		raw.Rows = []map[string]any{}
	}
	return Result{Columns: raw.Columns, Rows: raw.Rows}, nil
}

// numbers replaces each json.Number in v with an int64 (integer literals in
// range) or a float64 (literals with a fraction or exponent), recursively.
// Integers outside the int64 range stay json.Number.
func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		s := v.String()
		if strings.ContainsAny(s, ".eE") {
			f, err := v.Float64()
			if err != nil {
				return v
			}
			return f
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		return v
	case []any:
		for i := range v {
			v[i] = numbers(v[i])
		}
		return v
	case map[string]any:
		for k := range v {
			v[k] = numbers(v[k])
		}
		return v
	default:
		return v
	}
}
