"""Fixtures of the Iceberg readers' checks: a SQL catalog on the real
PostgreSQL that test/system/iceberg starts (its database, user and password
come in LANDERD_ICEBERG_URI, _USER and _PASSWORD), a warehouse in a
temporary folder, the synthetic attempts table written there by pyiceberg
in two commits, the same table copied by Spark into a Hadoop catalog, and
one Spark session with both catalogs.

These tests run in the Iceberg venv (scripts/python/py-iceberg), through
`go test ./test/system/iceberg`; run alone, without the database, they fail
saying so. A system that cannot start (PostgreSQL, Spark) fails them."""

from __future__ import annotations

import json
import os
import resource
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from landerd_lake import iceberg as ice

import attempts


@dataclass
class Written:
    """The table as written: its catalog, snapshots and rows per snapshot."""

    catalog: ice.Catalog
    snapshots: list[int]
    counts: list[int]


@pytest.fixture(scope="session")
def sql_catalog(tmp_path_factory) -> ice.Catalog:
    """The SQL catalog on the test's PostgreSQL, its warehouse a temporary
    folder; the catalog's name from LANDERD_ICEBERG_CATALOG_NAME (default
    landerd)."""
    if not os.environ.get(ice.ENV["uri"]):
        pytest.fail(
            f"PostgreSQL: {ice.ENV['uri']} is not set; these tests need the database "
            "that `go test ./test/system/iceberg` starts and names in it"
        )
    env = dict(os.environ)
    env[ice.ENV["warehouse"]] = str(tmp_path_factory.mktemp("warehouse"))
    env[ice.ENV["type"]] = "sql"
    return ice.Catalog.from_env(env)


@pytest.fixture(scope="session")
def written(sql_catalog) -> Written:
    """The attempts table, written by pyiceberg in two commits."""
    snapshots = attempts.write(sql_catalog)
    counts = [sum(len(b) for b in attempts.BATCHES[: i + 1]) for i in range(len(snapshots))]
    return Written(sql_catalog, snapshots, counts)


@pytest.fixture(scope="session")
def spark(sql_catalog, tmp_path_factory):
    """One Spark session (local[2]) with the SQL catalog attached as a jdbc
    catalog; a failure to start fails the test. At the end, the JVM's peak
    resident memory is written to $LANDERD_ICEBERG_MEASURE when set."""
    try:
        s = ice.spark_session(sql_catalog, app="landerd-iceberg-tests")
    except RuntimeError as err:
        pytest.fail(f"Spark did not start: {err}")
    yield s
    out = os.environ.get("LANDERD_ICEBERG_MEASURE")
    if out:
        proc = s.sparkContext._gateway.proc  # the JVM (spark-submit execs java)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        hwm = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
        python = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        Path(out).write_text(
            json.dumps({"spark_jvm_peak_rss_kib": int(hwm), "python_peak_rss_kib": python})
        )
    s.stop()


@pytest.fixture(scope="session")
def hadoop_written(spark, written, tmp_path_factory) -> Written:
    """The same rows in a Hadoop catalog (<warehouse>/lake/attempts with
    vN.metadata.json and version-hint.text), written by Spark in two commits
    as pyiceberg wrote them: the first snapshot's rows, then the rest."""
    cat = replace(
        written.catalog,
        type="hadoop",
        name=written.catalog.name + "_fs",
        warehouse=str(tmp_path_factory.mktemp("hadoop-warehouse")),
        uri=None,
    )
    ice.attach_spark(spark, cat)
    src, dst = ice.spark_table(written.catalog), ice.spark_table(cat)
    first = written.counts[0]
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {cat.name}.{cat.namespace}")
    spark.sql(
        f"CREATE TABLE {dst} USING iceberg PARTITIONED BY (days(landed_at)) "
        "TBLPROPERTIES ('format-version' = '2') "
        f"AS SELECT * FROM {src} WHERE kafka_offset < {first}"
    )
    spark.sql(f"INSERT INTO {dst} SELECT * FROM {src} WHERE kafka_offset >= {first}")
    return Written(cat, ice.spark_snapshots(spark, cat), written.counts)


@pytest.fixture(scope="session")
def duck():
    """DuckDB with the iceberg and avro extensions loaded from their wheels."""
    try:
        con = ice.duckdb_connect()
    except Exception as err:  # duckdb.Error and RuntimeError from the loader
        pytest.fail(f"DuckDB's iceberg extension did not load offline: {err}")
    yield con
    con.close()
