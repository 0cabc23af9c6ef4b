"""The lake check the end-to-end tests call: one JSON line of what Spark
reads in the lake."""

from __future__ import annotations

import json
import shutil

from landerd_lake.lakecheck import check

from conftest import REPO, run


def assert_exactly_once(got: dict, landed) -> None:
    """Assert got accounts for every message landed exactly once."""
    report = landed.report
    assert got["attempts"] == report["raw"]["attempts"]
    assert got["quarantine"] == report["quarantined_rows"]
    assert got["distinct"] == landed.published
    assert got["duplicates"] == 0
    parts = got["partitions"]
    assert sum(p["rows"] for p in parts.values()) == landed.published
    for name, p in parts.items():
        assert name.startswith("assessment-attempts/")
        assert p["min_offset"] == 0
        assert p["rows"] == p["max_offset"] + 1, (name, p)


def test_cli_on_generated_lake(generated_lake):
    out = run(
        [str(REPO / "scripts/python/py"), "-m", "landerd_lake.lakecheck", generated_lake.url],
        "lakecheck (Spark)",
    )
    lines = out.splitlines()
    assert len(lines) == 1, out
    got = json.loads(lines[0])
    assert set(got) == {
        "attempts",
        "quarantine",
        "questions",
        "distinct",
        "duplicates",
        "partitions",
    }
    assert_exactly_once(got, generated_lake)
    assert got["questions"] > got["attempts"]


def test_real_lake(spark, real_lake):
    got = check(spark, real_lake.url)
    assert_exactly_once(got, real_lake)
    # ../shared/data/FACTS.md: 3,280 records; 38 resent, landed twice on purpose.
    assert got["attempts"] == 3280 and got["quarantine"] == 0


def test_duplicates_and_missing_tables(spark, generated_lake, tmp_path):
    """A file landed twice shows as duplicates; a missing table counts 0."""
    src = generated_lake.url
    lake = tmp_path / "lake"
    shutil.copytree(src + "/_quarantine", lake / "_quarantine")
    got = check(spark, str(lake))
    q = generated_lake.report["quarantined_rows"]
    assert (got["attempts"], got["questions"], got["quarantine"]) == (0, 0, q)
    assert (got["distinct"], got["duplicates"]) == (q, 0)
    # The same quarantine file again under another name: every row twice.
    files = sorted((lake / "_quarantine").rglob("*.parquet"))
    one = files[0]
    copy = one.with_name("copy-" + one.name)
    shutil.copy(one, copy)
    got = check(spark, str(lake))
    assert got["duplicates"] > 0
    assert got["quarantine"] == q + got["duplicates"]
    assert check(spark, str(tmp_path / "nothing")) == {
        "attempts": 0,
        "quarantine": 0,
        "questions": 0,
        "distinct": 0,
        "duplicates": 0,
        "partitions": {},
    }
