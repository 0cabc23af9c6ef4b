"""The notebook, executed headless, answers the seven questions exactly as
`landerd report --json` does, and says plainly what is wrong with a lake
it cannot use."""

from __future__ import annotations

import shutil

import pytest

from landerd_lake import notebook
from landerd_lake.lake import LakeProblem, open_lake

# The figures of `landerd report --json` the notebook answers, per basis.
EXACT = [
    "attempts",
    "assessments",
    "topics",
    "course_attempts",
    "courses",
    "most_taken",
    "least_taken",
    "scored_attempts",
    "passed_attempts",
    "timed_attempts",
]
MEANS = ["avg_score", "pass_share", "avg_duration_seconds"]


def assert_same_answers(got: dict, report: dict) -> None:
    assert got["quarantined_rows"] == report["quarantined_rows"]
    assert got["pass_threshold"] == report["pass_threshold"]
    assert got["course"] == report["course"]
    for basis in ("raw", "dedup"):
        for key in EXACT:
            assert got[basis][key] == report[basis][key], (basis, key)
        for key in MEANS:
            # Spark sums in another order than landerd: equal to rounding.
            assert got[basis][key] == pytest.approx(report[basis][key], rel=1e-12), (basis, key)


def test_real_lake(real_lake, tmp_path):
    nb, err = notebook.execute(real_lake.url)
    assert err is None, notebook.errors(nb)
    assert_same_answers(notebook.answers(nb), real_lake.report)
    assert notebook.answers(nb)["tenants"] == real_lake.report["tenants"] == []
    charts = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(charts) == 5
    # Spark's start-up chatter stays out of the notebook (the JVM's own
    # note on incubator modules cannot be silenced from a config file).
    stderr = "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("name") == "stderr"
    )
    assert "WARN " not in stderr and "log level" not in stderr, stderr


def test_empty_lake_stops_with_a_message(tmp_path):
    """A lake with no attempts stops the notebook in its first cells with a
    one-line message, no stack trace, and the HTML export still renders."""
    (tmp_path / "lake").mkdir()
    nb, err = notebook.execute(str(tmp_path / "lake"))
    assert err is not None
    (e,) = notebook.errors(nb)
    assert e["ename"] == "LakeProblem"
    assert "holds no attempts yet" in e["evalue"]
    assert e["traceback"] == [f"LakeProblem: {e['evalue']}"]
    first = next(i for i, c in enumerate(nb.cells) if c.get("outputs") and c.outputs[-1] is e)
    assert first <= 5
    assert notebook.answers(nb) is None


def test_lake_problems(spark, generated_lake, tmp_path):
    with pytest.raises(LakeProblem, match="does not exist"):
        open_lake(spark, str(tmp_path / "nowhere"))
    only_quarantine = tmp_path / "quarantined"
    shutil.copytree(generated_lake.url + "/_quarantine", only_quarantine / "_quarantine")
    with pytest.raises(LakeProblem, match=r"no attempts, only \d+ quarantined record\(s\): \w+"):
        open_lake(spark, str(only_quarantine))
    # A table folder without data files counts as missing.
    (only_quarantine / "attempts" / "ingest_date=2026-01-01").mkdir(parents=True)
    with pytest.raises(LakeProblem, match="no attempts, only"):
        open_lake(spark, str(only_quarantine))
    lake = open_lake(spark, generated_lake.url)
    assert lake.attempts.count() == generated_lake.report["raw"]["attempts"]


def test_tenant_lake(tenant_lake):
    """TENANT = "wiley" answers as `landerd report --tenant wiley`; None
    answers for the whole lake, every tenant."""
    for tenant in ("wiley", None):
        nb, err = notebook.execute(tenant_lake.url, tenant=tenant)
        assert err is None, notebook.errors(nb)
        got = notebook.answers(nb)
        assert got["tenant"] == (tenant or "")
        assert got["tenants"] == tenant_lake.reports[tenant]["tenants"]
        assert_same_answers(got, tenant_lake.reports[tenant])


def test_tenant_problems(spark, tenant_lake, generated_lake):
    lake = open_lake(spark, tenant_lake.url, tenant="oreilly")
    assert lake.tenant == "oreilly"
    assert lake.attempts.count() == tenant_lake.reports["oreilly"]["raw"]["attempts"]
    assert "tenant" not in lake.attempts.columns
    whole = open_lake(spark, tenant_lake.url)
    assert sorted(r.tenant for r in whole.attempts.select("tenant").distinct().collect()) == sorted(
        tenant_lake.partitions
    )
    with pytest.raises(LakeProblem, match="tenants with attempts: oreilly, pearson, wiley"):
        open_lake(spark, tenant_lake.url, tenant="acme")
    with pytest.raises(LakeProblem, match="invalid tenant name 'Acme'"):
        open_lake(spark, tenant_lake.url, tenant="Acme")
    with pytest.raises(LakeProblem, match="is single-tenant"):
        open_lake(spark, generated_lake.url, tenant="pearson")
