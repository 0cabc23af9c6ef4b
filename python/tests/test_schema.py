"""Spark reads every table of the lake with no options, with the types
docs/schema.md promises."""

from __future__ import annotations

import re

import pytest

from landerd_lake import lake as lk

from conftest import REPO

# docs/schema.md's Spark type names, as Spark's simpleString spells them.
SPARK_TYPES = {
    "STRING": "string",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
    "INT": "int",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "BINARY": "binary",
    "ARRAY&lt;STRUCT&gt;": "array<struct>",
}
OPTIONS = "array<struct<id:string,checked:boolean,correct:boolean,submitted:int,at:timestamp>>"


def documented() -> dict[str, list[tuple[str, str]]]:
    """Return each table's columns and Spark types, in order, from docs/schema.md."""
    tables: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in (REPO / "docs" / "schema.md").read_text().splitlines():
        m = re.match(r"^## `(\w+)`", line)
        if m:
            current = tables.setdefault(m.group(1), [])
            continue
        m = re.match(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|", line)
        if m and current is not None:
            spark_type = m.group(2).split(" / ")[0].strip()
            current.append((m.group(1), SPARK_TYPES[spark_type]))
    assert set(tables) == set(lk.TABLES), tables.keys()
    return tables


def expected(table: str) -> list[tuple[str, str]]:
    cols = [(c, OPTIONS if t == "array<struct>" else t) for c, t in documented()[table]]
    return [*cols, ("ingest_date", "date")]


def actual(df) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in df.schema.fields]


@pytest.mark.parametrize("table", lk.TABLES)
def test_generated_lake_schema(spark, generated_lake, table):
    df = spark.read.parquet(generated_lake.url + "/" + table)
    assert actual(df) == expected(table)
    assert df.count() > 0


@pytest.mark.parametrize("table", ["attempts", "questions"])
def test_real_lake_schema(spark, real_lake, table):
    df = spark.read.parquet(lk.lake_url(real_lake.url) + "/" + table)
    assert actual(df) == expected(table)


def test_real_lake_values(spark, real_lake):
    """Spark decodes the values, not only the types: instants in UTC, the
    ingest date from the folder names, the options of each question."""
    url = lk.lake_url(real_lake.url)
    a = spark.read.parquet(url + "/attempts")
    a.createOrReplaceTempView("schema_attempts")
    row = spark.sql("""
        SELECT count(*) AS n, min(started_at) AS first_start, max(started_at) AS last_start,
               count(DISTINCT ingest_date) AS days, min(ingest_date) AS day,
               sum(CASE WHEN landed_at IS NULL THEN 1 ELSE 0 END) AS no_landed_at,
               sum(CASE WHEN to_date(landed_at) <> ingest_date THEN 1 ELSE 0 END) AS off_day
        FROM schema_attempts""").first()
    assert row.n == real_lake.report["raw"]["attempts"]
    # ../shared/data/FACTS.md: started_at ranges over 2017-11-21 … 2018-01-28 (UTC).
    assert str(row.first_start).startswith("2017-11-21")
    assert str(row.last_start).startswith("2018-01-28")
    assert row.days >= 1 and row.no_landed_at == 0 and row.off_day == 0
    q = spark.read.parquet(url + "/questions")
    q.createOrReplaceTempView("schema_questions")
    opt = spark.sql("""
        SELECT sum(size(options)) AS options, sum(option_count) AS counted,
               sum(size(filter(options, o -> o.checked))) AS checked,
               sum(options_checked) AS counted_checked
        FROM schema_questions""").first()
    assert opt.options > 0
    assert (opt.options, opt.checked) == (opt.counted, opt.counted_checked)
