// Package iceberg checks the readers of landerd's Iceberg tables
// (lake.format: iceberg) without landerd: Spark with the Iceberg runtime
// (jdbc and hadoop catalogs), pyiceberg and DuckDB with its iceberg
// extension, all from python/src/landerd_lake/iceberg.py, against a SQL
// catalog on a real PostgreSQL (test/system/postgres).
//
// Python cannot start the Go harness, so the Go test starts PostgreSQL and
// runs the Python suite python/tests_iceberg with scripts/python/py-iceberg
// (the Iceberg venv, pyspark 4.1), naming the database in the
// LANDERD_ICEBERG_* variables. Env and Python are exported for other
// suites that need the same (test/system/trino reads a table pyiceberg
// wrote).
//
// Land (LandRealData for the common case) has the landerd binary land the
// real data set (test/kit/realdata), or given records with tenancy, into
// Iceberg tables in two steps, on the sql catalog or the hadoop one, on a
// local lake or on Apache HDFS (test/system/minidfs);
// TestRealDataSQLCatalog, TestRealDataHadoopCatalog and
// TestRealDataHadoopCatalogOnHDFS check that the readers answer as
// `landerd report --json` and find each step's rows at the snapshot it
// left (CheckReaders, which test/system/trino uses too). They skip only
// when the data set is absent. TestEventDateReaders has the binary land
// generated attempts under lake.partition_by event_date, some without
// started_at, and checks with python/tests_iceberg/event_date.py that
// pyiceberg and Spark see the null partition and read started_at IS NULL
// from it alone. The package is for tests only; a system that cannot be
// installed or started fails the test, naming it; nothing else skips.
package iceberg
