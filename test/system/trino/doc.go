// Package trino runs the lake's shipped Trino SQL (sql/trino) on a real
// Trino server and checks its answers against `landerd report`, so that the
// queries data scientists are given are proven on the engine they name.
//
// The package is for tests and the benchmarks only; the landerd binary
// never imports it. Server
// starts Trino's coordinator as a process (one node that also runs the
// work) with a configuration of its own in a temporary directory: Hive
// catalogs with the file metastore over the local file system, so no Hive
// Metastore service and no HDFS are needed, and Iceberg catalogs
// (IcebergCatalog) of the JDBC type, their tables listed in a PostgreSQL
// database (test/system/postgres) as landerd's lake.format: iceberg lists
// them, their files on the local file system or, with IcebergCatalog.HDFS,
// on Apache HDFS (test/system/minidfs) through the Iceberg plugin's HDFS
// client. Query speaks Trino's HTTP client
// protocol directly (POST /v1/statement, then follow nextUri), so no CLI is
// needed either. Statements splits a SQL file into its statements;
// QuestionFiles names the question files.
//
// Trino itself comes from Maven Central (io.trino:trino-server-core and the
// io.trino:trino-hive and io.trino:trino-iceberg plugins, and the Iceberg
// plugin's HDFS jars from the full io.trino:trino-server tarball), installed by scripts/trino/install.sh into
// ${LANDERD_CACHE:-$HOME/.cache/landerd}/trino (Install runs it); it needs
// Java 24 or newer (JavaHome).
package trino
