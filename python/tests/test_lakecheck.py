"""The lake check the end-to-end tests call: one JSON line of what Spark
reads in the lake."""

from __future__ import annotations

import io
import json
import shutil

from landerd_lake.lakecheck import check, main, serve

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
        "tenant",
    }
    assert got["tenant"] is None
    assert_exactly_once(got, generated_lake)
    assert got["questions"] > got["attempts"]


def test_serve_answers_each_lake_on_its_line(spark, generated_lake, tmp_path):
    """--serve: one answer per lake, in order; a lake that fails says why."""
    missing = tmp_path / "no-such-lake"
    broken = tmp_path / "broken"
    (broken / "attempts" / "ingest_date=2026-01-01").mkdir(parents=True)
    (broken / "attempts" / "ingest_date=2026-01-01" / "x.parquet").write_bytes(b"not parquet")
    lakes = [generated_lake.url, "", str(missing), str(broken), generated_lake.url]
    out = io.StringIO()
    serve(spark, io.StringIO("\n".join(lakes) + "\n"), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(answers) == 4, answers
    assert_exactly_once(answers[0], generated_lake)
    assert answers[1]["distinct"] == 0 and answers[1]["partitions"] == {}, answers[1]
    assert set(answers[2]) == {"error"} and str(broken) in answers[2]["error"], answers[2]
    assert answers[3] == answers[0]


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
        "tenant": None,
    }


def assert_tenant(got: dict, report: dict, partitions: list[int]) -> None:
    """Assert got is one tenant's part of a lake: its rows as `landerd report
    --tenant` counts them, each once, from its own Kafka partitions, whole."""
    assert got["attempts"] == report["raw"]["attempts"]
    assert got["quarantine"] == report["quarantined_rows"]
    assert got["distinct"] == got["attempts"] + got["quarantine"]
    assert got["duplicates"] == 0
    assert sorted(got["partitions"]) == [f"assessment-attempts/{p}" for p in partitions]
    for name, p in got["partitions"].items():
        assert p["min_offset"] == 0 and p["rows"] == p["max_offset"] + 1, (name, p)


def test_tenant_lake(spark, tenant_lake):
    """--tenant reads one tenant's folders only; without, every tenant."""
    sums = {"attempts": 0, "quarantine": 0, "questions": 0}
    for tenant, parts in tenant_lake.partitions.items():
        got = check(spark, tenant_lake.url, tenant)
        assert got["tenant"] == tenant
        assert_tenant(got, tenant_lake.reports[tenant], parts)
        for k in sums:
            sums[k] += got[k]
    whole = check(spark, tenant_lake.url)
    assert whole["tenant"] is None
    assert {k: whole[k] for k in sums} == sums
    assert whole["attempts"] == tenant_lake.reports[None]["raw"]["attempts"]
    assert whole["quarantine"] == tenant_lake.reports[None]["quarantined_rows"]
    assert whole["distinct"] == whole["attempts"] + whole["quarantine"]
    assert len(whole["partitions"]) == 4
    # A tenant without data reads as an empty lake.
    assert check(spark, tenant_lake.url, "acme")["distinct"] == 0


def test_tenant_cli_and_serve(spark, tenant_lake):
    out = run(
        [
            str(REPO / "scripts/python/py"),
            "-m",
            "landerd_lake.lakecheck",
            "--tenant",
            "wiley",
            tenant_lake.url,
        ],
        "lakecheck --tenant wiley (Spark)",
    )
    got = json.loads(out)
    assert got["tenant"] == "wiley"
    assert_tenant(got, tenant_lake.reports["wiley"], tenant_lake.partitions["wiley"])
    answers = io.StringIO()
    serve(spark, io.StringIO(f"{tenant_lake.url}\twiley\n{tenant_lake.url}\n"), answers)
    one, whole = (json.loads(line) for line in answers.getvalue().splitlines())
    assert one == got
    assert whole["tenant"] is None and whole["attempts"] > got["attempts"]


def test_tenant_usage(capsys):
    for argv in (
        ["--tenant", "Pearson", "/lake"],
        ["--tenant", "_unassigned", "/lake"],
        ["--tenant", "wiley"],
        ["--tenant", "wiley", "--serve"],
    ):
        assert main(argv) == 2, argv
    assert "invalid tenant name 'Pearson'" in capsys.readouterr().err
