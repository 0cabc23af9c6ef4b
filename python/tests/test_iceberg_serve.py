"""landerd_lake.iceberg's timed rounds (spark_serve), with a stand-in for a
Spark session: every question file is timed and answered, the table is
refreshed and its files counted before each round."""

from __future__ import annotations

import json
from typing import Any

from landerd_lake import iceberg as ice

# One row of every question's columns, for both bases.
ROW: dict[str, Any] = {
    "assessments": 7,
    "kafka_topic": "assessment-attempts",
    "attempts": 5,
    "distinct_keen_ids": 4,
    "course_rank": 1,
    "exam_name": "Learning Git",
    "ranking_end": "most",
    "scored_attempts": 3,
    "avg_score": 0.5,
    "passed_attempts": 1,
    "pass_share": 0.25,
    "timed_attempts": 2,
    "avg_duration_seconds": 60.0,
}


class Row(dict):
    def asDict(self) -> dict:  # pyspark Row.asDict
        return dict(self)


class Frame:
    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows

    def collect(self) -> list[Row]:
        return self.rows


class FakeSpark:
    """Answers count(*) AS n with 12, the question files with ROW."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def sql(self, stmt: str) -> Frame:
        self.seen.append(stmt)
        if "count(*) AS n" in stmt:
            return Frame([Row(n=12)])
        if stmt.startswith(("CREATE", "REFRESH")):
            return Frame([])
        return Frame([Row(ROW, basis="raw"), Row(ROW, basis="dedup")])


def test_spark_serve_times_each_question() -> None:
    cat = ice.Catalog(type="hadoop", warehouse="/tmp/lake")
    spark = FakeSpark()
    out: list[str] = []
    ice.spark_serve(spark, cat, ["before\n", "\n", "after\n"], out.append)  # type: ignore[arg-type]
    got = [json.loads(line) for line in out]
    assert [g["label"] for g in got] == ["before", "after"]
    for g in got:
        assert list(g["seconds"]) == list(ice.QUESTIONS)
        assert g["total_seconds"] == sum(g["seconds"].values())
        assert g["data_files"] == 12 and g["snapshots"] == 12
        assert g["answers"]["raw"]["assessments"] == 7
        assert g["answers"]["dedup"]["pass_share"] == 0.25
    refreshes = [s for s in spark.seen if s.startswith("REFRESH TABLE")]
    assert refreshes == ["REFRESH TABLE landerd.landerd.attempts"] * 2
