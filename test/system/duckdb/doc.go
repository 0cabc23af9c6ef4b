// Package duckdb lets tests read files with DuckDB, a reader landerd did
// not write, to prove that the lake's Parquet files (and the raw JSON they
// came from) are readable by other software and hold what landerd meant.
//
// Query runs SQL through scripts/duckdb/query.mjs under node and returns the
// columns, with their DuckDB type names, and the rows of the last statement.
//
// The reader needs node and the npm packages in scripts/duckdb/node_modules,
// which scripts/duckdb/install.sh installs (it also installs node and npm
// with apt-get when they are missing). When either is missing, Query skips
// the test and names that command; when the environment variable CI is set it
// fails the test instead, because CI must have run the install script, and a
// skipped check there would hide a lake no one can read.
package duckdb
