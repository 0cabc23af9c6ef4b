"""A small synthetic attempts table in Iceberg, shaped like landerd's
(docs/schema.md), written with pyiceberg in two commits, and the seven
answers computed from the rows in plain Python, as the oracle the readers
are checked against.

Run as a program (scripts/python/py-iceberg python/tests_iceberg/attempts.py)
it writes the table through the SQL catalog named by the LANDERD_ICEBERG_*
variables and prints one JSON object: the snapshots, their row counts and
the answers; test/system/trino reads the same table with Trino.
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime, timedelta, timezone

import pyarrow as pa

from landerd_lake import iceberg as ice

UTC = timezone.utc
TS = pa.timestamp("us", tz="UTC")

#: The attempts table's columns (docs/schema.md), in order; False = not null.
COLUMNS: list[tuple[str, pa.DataType, bool]] = [
    ("keen_id", pa.string(), False),
    ("keen_timestamp", TS, True),
    ("keen_created_at", TS, True),
    ("started_at", TS, True),
    ("base_exam_id", pa.string(), True),
    ("user_exam_id", pa.string(), True),
    ("exam_name", pa.string(), True),
    ("certification", pa.bool_(), True),
    ("max_attempts", pa.int32(), True),
    ("sequence_id", pa.string(), True),
    ("sequence_attempt", pa.int32(), True),
    ("counts_correct", pa.int32(), True),
    ("counts_incorrect", pa.int32(), True),
    ("counts_incomplete", pa.int32(), True),
    ("counts_submitted", pa.int32(), True),
    ("counts_unanswered", pa.int32(), True),
    ("counts_total", pa.int32(), True),
    ("counts_all_correct", pa.bool_(), True),
    ("score", pa.float64(), True),
    ("question_count", pa.int32(), True),
    ("option_count", pa.int32(), True),
    ("first_answer_at", TS, True),
    ("completed_at", TS, True),
    ("duration_seconds", pa.float64(), True),
    ("unknown_fields", pa.string(), True),
    ("kafka_topic", pa.string(), False),
    ("kafka_partition", pa.int32(), False),
    ("kafka_offset", pa.int64(), False),
    ("kafka_timestamp", TS, True),
    ("landed_at", TS, False),
]

SCHEMA = pa.schema([pa.field(n, t, nullable=null) for n, t, null in COLUMNS])
TOPIC = "assessment-attempts"

#: (keen_id, exam, base_exam_id, correct, total, seconds taken or None),
#: one commit each. The second resends k03 (same keen_id, a later offset),
#: so raw and dedup differ; k05 has no counts (no score), k06 was never
#: answered (no duration), k09 has no exam name.
BATCHES = [
    [
        ("k01", "Learning Git", "e-git", 8, 10, 610.5),
        ("k02", "Learning Git", "e-git", 5, 10, 402.25),
        ("k03", "Intro to Python", "e-py", 9, 12, 1205.0),
        ("k04", "Intro to Python", "e-py", 7, 7, 95.75),
        ("k05", "Learning Git", "e-git", None, None, 300.0),
        ("k06", "Kafka Basics", "e-kafka", 2, 4, None),
    ],
    [
        ("k03", "Intro to Python", "e-py", 9, 12, 1205.0),
        ("k07", "Learning Git", "e-git", 3, 4, 250.0),
        ("k08", "SQL Joins", "e-sql", 6, 9, 733.125),
        ("k09", None, None, 1, 3, 60.0),
    ],
]

DAY1 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def rows(batch: int) -> pa.Table:
    """The rows of commit batch (0 or 1): offsets follow on from the
    earlier batch, landed on the batch's own day (a partition each)."""
    first = sum(len(b) for b in BATCHES[:batch])
    landed = DAY1 + timedelta(days=batch)
    out: dict[str, list] = {n: [] for n, _, _ in COLUMNS}
    for i, (keen, exam, base, correct, total, secs) in enumerate(BATCHES[batch]):
        offset = first + i
        started = landed - timedelta(hours=2, minutes=offset)
        completed = None if secs is None else started + timedelta(seconds=secs)
        score = None if correct is None or not total else correct / total
        values = {
            "keen_id": keen,
            "keen_timestamp": started,
            "keen_created_at": started,
            "started_at": started,
            "base_exam_id": base,
            "user_exam_id": f"u-{keen}",
            "exam_name": exam,
            "certification": offset % 2 == 0,
            "max_attempts": 1,
            "sequence_id": f"s-{base}",
            "sequence_attempt": 1,
            "counts_correct": correct,
            "counts_incorrect": None if correct is None else total - correct,
            "counts_incomplete": None if correct is None else 0,
            "counts_submitted": total,
            "counts_unanswered": None if correct is None else 0,
            "counts_total": total,
            "counts_all_correct": None if correct is None else correct == total,
            "score": score,
            "question_count": total,
            "option_count": None if total is None else 4 * total,
            "first_answer_at": None if completed is None else started + timedelta(seconds=5),
            "completed_at": completed,
            "duration_seconds": secs if completed is not None else None,
            "unknown_fields": '{"sequences.extra":1}' if offset == 2 else None,
            "kafka_topic": TOPIC,
            "kafka_partition": offset % 2,
            "kafka_offset": offset,
            "kafka_timestamp": landed - timedelta(seconds=1),
            "landed_at": landed + timedelta(seconds=offset),
        }
        for name, value in values.items():
            out[name].append(value)
    return pa.table(out, schema=SCHEMA)


def write(cat: ice.Catalog, table: str = "attempts") -> list[int]:
    """Create cat's namespace and table (partitioned by day(landed_at)) with
    pyiceberg through the SQL catalog and commit BATCHES one append each;
    return the snapshot ids, oldest first."""
    from pyiceberg.transforms import DayTransform

    catalog = ice.pyiceberg_catalog(cat)
    catalog.create_namespace_if_not_exists(cat.namespace)
    tbl = catalog.create_table(
        (cat.namespace, table), schema=SCHEMA, properties={"format-version": "2"}
    )
    with tbl.update_spec() as spec:
        spec.add_field("landed_at", DayTransform(), "landed_at_day")
    snapshots = []
    for b in range(len(BATCHES)):
        tbl.append(rows(b))
        snap = tbl.current_snapshot()
        assert snap is not None
        snapshots.append(snap.snapshot_id)
    return snapshots


def expected(batches: int = len(BATCHES)) -> dict[str, dict]:
    """The answers over the first batches commits, from the rows alone, by
    the definitions of sql/spark (report's names, as landerd_lake.iceberg.answers)."""
    all_rows = [r for b in range(batches) for r in rows(b).to_pylist()]
    first: dict[str, dict] = {}
    for r in sorted(all_rows, key=lambda r: (r["kafka_partition"], r["kafka_offset"])):
        first.setdefault(r["keen_id"], r)
    out = {}
    for basis, rs in (("raw", all_rows), ("dedup", list(first.values()))):
        scores = [r["score"] for r in rs if r["score"] is not None]
        secs = [r["duration_seconds"] for r in rs if r["duration_seconds"] is not None]
        counts: dict[str, int] = {}
        for r in rs:
            if r["exam_name"] is not None:
                counts[r["exam_name"]] = counts.get(r["exam_name"], 0) + 1
        git = [r for r in rs if r["exam_name"] == "Learning Git"]
        passed = sum(1 for s in scores if s > 0.70)
        out[basis] = {
            "attempts": len(rs),
            "assessments": len({r["base_exam_id"] for r in rs if r["base_exam_id"] is not None}),
            "topics": [{"topic": TOPIC, "attempts": len(rs)}],
            "course_attempts": len(git),
            "course_distinct_keen_ids": len({r["keen_id"] for r in git}),
            "most_taken": _ranking(counts, most=True),
            "least_taken": _ranking(counts, most=False),
            "scored_attempts": len(scores),
            "avg_score": statistics.fmean(scores) if scores else None,
            "passed_attempts": passed,
            "pass_share": passed / len(scores) if scores else None,
            "timed_attempts": len(secs),
            "avg_duration_seconds": statistics.fmean(secs) if secs else None,
        }
    return out


def _ranking(counts: dict[str, int], most: bool, places: int = 5) -> list[dict]:
    def rank(n: int) -> int:
        return 1 + sum(1 for m in counts.values() if (m > n if most else m < n))

    ranked = [{"rank": rank(n), "exam_name": name, "attempts": n} for name, n in counts.items()]
    ranked = [r for r in ranked if r["rank"] <= places]
    return sorted(ranked, key=lambda r: (r["rank"], r["exam_name"]))


def main() -> None:
    """Write the table through the catalog of the environment and print
    what a reader should find."""
    cat = ice.Catalog.from_env()
    snapshots = write(cat)
    tbl = ice.load_table(cat)
    print(
        json.dumps(
            {
                "catalog": cat.name,
                "namespace": cat.namespace,
                "table": "attempts",
                "metadata_location": tbl.metadata_location,
                "snapshots": snapshots,
                "counts": [sum(len(b) for b in BATCHES[: i + 1]) for i in range(len(BATCHES))],
                "answers": expected(),
            }
        )
    )


if __name__ == "__main__":
    main()
