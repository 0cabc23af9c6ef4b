"""Every file of sql/spark, run by Spark over the lake, gives the answers of
`landerd report --json` for the same lake."""

from __future__ import annotations

import re

import pytest

from landerd_lake import lake as lk

from conftest import REPO

SQL = REPO / "sql" / "spark"
QUESTIONS = sorted(p.name for p in SQL.glob("0[1-9]_*.sql"))


def statements(path, lake: str, tenant: str = "") -> list[str]:
    """Split a SQL file into statements, with ${lake} (and ${tenant}) replaced."""
    text = path.read_text().replace("${lake}", lake).replace("${tenant}", tenant)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def run_file(spark, lake: str, name: str) -> list[dict]:
    rows = []
    for stmt in statements(SQL / name, lake):
        rows = [r.asDict() for r in spark.sql(stmt).collect()]
    return rows


def by_basis(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["basis"], []).append(r)
    assert set(out) == {"raw", "dedup"}, out.keys()
    return out


def check(name: str, rows: list[dict], report: dict) -> None:
    """Assert the rows of question file name equal the report's figures."""
    for basis, got in by_basis(rows).items():
        want = report[basis]
        if name.startswith("01_"):
            assert [r["assessments"] for r in got] == [want["assessments"]]
        elif name.startswith("02_"):
            assert [(r["kafka_topic"], r["attempts"]) for r in got] == [
                (t["topic"], t["attempts"]) for t in want["topics"]
            ]
        elif name.startswith("03_"):
            assert [r["attempts"] for r in got] == [want["course_attempts"]]
            if basis == "dedup":
                assert got[0]["distinct_keen_ids"] == want["course_attempts"]
        elif name.startswith("04_"):
            for end, key in (("most", "most_taken"), ("least", "least_taken")):
                assert [
                    (r["course_rank"], r["exam_name"], r["attempts"])
                    for r in got
                    if r["ranking_end"] == end
                ] == [(c["rank"], c["exam_name"], c["attempts"]) for c in want[key]]
        elif name.startswith("05_"):
            assert got[0]["scored_attempts"] == want["scored_attempts"]
            assert got[0]["avg_score"] == pytest.approx(want["avg_score"], rel=1e-12)
        elif name.startswith("06_"):
            assert (got[0]["scored_attempts"], got[0]["passed_attempts"]) == (
                want["scored_attempts"],
                want["passed_attempts"],
            )
            assert got[0]["pass_share"] == pytest.approx(want["pass_share"], rel=1e-12)
        elif name.startswith("07_"):
            assert got[0]["timed_attempts"] == want["timed_attempts"]
            assert got[0]["avg_duration_seconds"] == pytest.approx(
                want["avg_duration_seconds"], rel=1e-12
            )
        else:
            pytest.fail(f"no check for {name}")


def test_every_question_has_a_file():
    assert [re.sub(r"_.*", "", n) for n in QUESTIONS] == [f"0{i}" for i in range(1, 8)]


def setup_views(spark, lake: str) -> None:
    for stmt in statements(SQL / "00_views.sql", lk.lake_url(lake)):
        spark.sql(stmt)


@pytest.mark.parametrize("name", QUESTIONS)
def test_generated_lake(spark, generated_lake, name):
    setup_views(spark, generated_lake.url)
    check(name, run_file(spark, lk.lake_url(generated_lake.url), name), generated_lake.report)


@pytest.mark.parametrize("name", QUESTIONS)
def test_real_lake(spark, real_lake, name):
    setup_views(spark, real_lake.url)
    check(name, run_file(spark, lk.lake_url(real_lake.url), name), real_lake.report)


@pytest.mark.parametrize("name", QUESTIONS)
def test_tenant_lake(spark, tenant_lake, name):
    """00_views_tenant.sql reads one tenant as `landerd report --tenant`
    does; 00_views.sql over a multi-tenant lake reads every tenant."""
    url = lk.lake_url(tenant_lake.url)
    for stmt in statements(SQL / "00_views_tenant.sql", url, "wiley"):
        spark.sql(stmt)
    assert "tenant" not in spark.table("attempts").columns
    check(name, run_file(spark, url, name), tenant_lake.reports["wiley"])
    setup_views(spark, tenant_lake.url)
    assert "tenant" in spark.table("attempts").columns
    check(name, run_file(spark, url, name), tenant_lake.reports[None])
