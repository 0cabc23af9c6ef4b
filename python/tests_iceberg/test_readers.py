"""Spark (jdbc and hadoop catalogs), pyiceberg and DuckDB read the same
Iceberg attempts table: the same row counts, the first snapshot's count by
time travel, and the seven answers of the rows themselves."""

from __future__ import annotations

import pytest
from pyiceberg.exceptions import NoSuchNamespaceError

from landerd_lake import iceberg as ice

import attempts


def test_catalog_rows_carry_the_catalog_name(written):
    """The SQL catalog lists the table under the configured catalog name,
    and a reader with another name finds nothing there, not even the
    namespace: each name is a catalog of its own."""
    other = ice.pyiceberg_catalog(
        ice.Catalog(
            "sql",
            written.catalog.warehouse,
            name="not_" + written.catalog.name,
            uri=written.catalog.uri,
            user=written.catalog.user,
            password=written.catalog.password,
        )
    )
    assert ice.pyiceberg_catalog(written.catalog).list_tables(written.catalog.namespace) == [
        (written.catalog.namespace, "attempts")
    ]
    with pytest.raises(NoSuchNamespaceError):
        other.list_tables(written.catalog.namespace)


def test_two_snapshots(written):
    assert len(written.snapshots) == 2 and written.counts == [6, 10]
    tbl = ice.load_table(written.catalog)
    assert [s.snapshot_id for s in tbl.snapshots()] == written.snapshots
    spec = tbl.spec()
    assert [(f.name, str(f.transform)) for f in spec.fields] == [("landed_at_day", "day")]


def counts_spark(spark, cat, snapshots):
    return [ice.spark_count(spark, cat)] + [
        ice.spark_count(spark, cat, snapshot_id=s) for s in snapshots
    ]


def test_spark_jdbc(spark, written):
    assert ice.spark_snapshots(spark, written.catalog) == written.snapshots
    got = counts_spark(spark, written.catalog, written.snapshots)
    assert got == [written.counts[-1], *written.counts]


def test_spark_hadoop(spark, hadoop_written):
    assert len(hadoop_written.snapshots) == 2
    got = counts_spark(spark, hadoop_written.catalog, hadoop_written.snapshots)
    assert got == [hadoop_written.counts[-1], *hadoop_written.counts]
    meta = ice.hadoop_metadata(hadoop_written.catalog)
    assert meta.endswith("/metadata/v2.metadata.json"), meta


@pytest.mark.parametrize("layout", ["sql", "hadoop"])
def test_pyiceberg(request, layout):
    w = request.getfixturevalue("written" if layout == "sql" else "hadoop_written")
    tbl = ice.load_table(w.catalog)
    assert [s.snapshot_id for s in tbl.snapshots()] == w.snapshots
    got = [ice.pyiceberg_count(tbl)] + [ice.pyiceberg_count(tbl, s) for s in w.snapshots]
    assert got == [w.counts[-1], *w.counts]


@pytest.mark.parametrize("layout", ["sql", "hadoop"])
def test_duckdb(request, duck, layout):
    w = request.getfixturevalue("written" if layout == "sql" else "hadoop_written")
    meta = ice.metadata_location(w.catalog)
    assert ice.duckdb_snapshots(duck, meta) == w.snapshots
    got = [ice.duckdb_count(duck, meta)] + [ice.duckdb_count(duck, meta, s) for s in w.snapshots]
    assert got == [w.counts[-1], *w.counts]


def check(got: dict, want: dict) -> None:
    """Assert the answers equal, the means to 1e-12 relative (engines add
    in different orders)."""
    for basis in ("raw", "dedup"):
        g, w = dict(got[basis]), dict(want[basis])
        for key in ("avg_score", "pass_share", "avg_duration_seconds"):
            assert g.pop(key) == pytest.approx(w.pop(key), rel=1e-12), (basis, key)
        assert g == w, basis


def test_expected_answers_differ_by_basis():
    """The synthetic rows make raw and dedup differ, so a reader that
    confused them would fail."""
    want = attempts.expected()
    assert want["raw"]["attempts"] == 10 and want["dedup"]["attempts"] == 9
    assert want["raw"]["course_attempts"] == 4
    assert want["raw"]["avg_score"] != want["dedup"]["avg_score"]


def test_answers_spark_jdbc(spark, written):
    check(ice.spark_answers(spark, written.catalog), attempts.expected())


def test_answers_spark_hadoop(spark, hadoop_written):
    check(ice.spark_answers(spark, hadoop_written.catalog), attempts.expected())


@pytest.mark.parametrize("layout", ["sql", "hadoop"])
def test_answers_pyiceberg(request, layout):
    w = request.getfixturevalue("written" if layout == "sql" else "hadoop_written")
    tbl = ice.load_table(w.catalog)
    check(ice.pyiceberg_answers(tbl), attempts.expected())
    check(ice.pyiceberg_answers(tbl, w.snapshots[0]), attempts.expected(batches=1))


@pytest.mark.parametrize("layout", ["sql", "hadoop"])
def test_answers_duckdb(request, duck, layout):
    w = request.getfixturevalue("written" if layout == "sql" else "hadoop_written")
    check(ice.duckdb_answers(duck, ice.metadata_location(w.catalog)), attempts.expected())
