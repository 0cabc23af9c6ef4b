"""Check a landerd lake with Spark and print what it holds as one line of JSON.

    python -m landerd_lake.lakecheck [--tenant TENANT] LAKE_URL

LAKE_URL is a local path, a file:// URL or hdfs://host:port/path. Spark
(local[2], no UI, errors-only logs) reads attempts, questions and _quarantine
with spark.read.parquet and no options; a missing table counts as 0 rows.
With --tenant, it reads only each table's tenant=TENANT folder of a
multi-tenant lake (docs/tenants.md), listing nothing above it; without,
the whole lake (every tenant's, and the records of no tenant).
The line on stdout:

    {"attempts": N, "quarantine": N, "questions": N, "distinct": D,
     "duplicates": K, "partitions": {"<topic>/<partition>":
     {"rows": n, "min_offset": a, "max_offset": b}}, "tenant": T}

distinct counts the distinct (kafka_topic, kafka_partition, kafka_offset)
over attempts and _quarantine together; duplicates is the number of such
triples seen more than once; partitions sums attempts and _quarantine rows
per Kafka partition. Every message landed exactly once means
distinct == attempts + quarantine, duplicates == 0, and for each partition
rows == max_offset - min_offset + 1 when its offsets have no gaps (for one
tenant of a lake whose tenants share partitions, the other tenants' offsets
are its gaps). tenant is TENANT, or null.
Exit status 0 when the lake was read, 1 when Spark or the read failed
(the reason on stderr), 2 on bad usage.

    python -m landerd_lake.lakecheck --serve

keeps one Spark session for many lakes: it reads one LAKE_URL per line on
stdin (LAKE_URL, or LAKE_URL, a tab and TENANT) and answers each with one
line on stdout, the JSON above or {"error": "<why>"} when that lake could
not be read, until end of input.
Programs that check many lakes pay Spark's start-up once.
"""

from __future__ import annotations

import json
import sys

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from landerd_lake import lake as lk
from landerd_lake.spark import session

LINEAGE = ["kafka_topic", "kafka_partition", "kafka_offset"]


def check(spark: SparkSession, lake: str, tenant: str | None = None) -> dict:
    """Return the figures lakecheck prints for the lake, or for one tenant's
    part of it."""
    url = lk.lake_url(lake)
    tables = {t: lk.read(spark, url, t, tenant) for t in lk.TABLES}
    counts = {t: (df.count() if df is not None else 0) for t, df in tables.items()}
    keyed: list[DataFrame] = [
        tables[t].select(*LINEAGE) for t in ("attempts", "_quarantine") if tables[t] is not None
    ]
    distinct = duplicates = 0
    partitions: dict[str, dict[str, int]] = {}
    if keyed:
        rows = keyed[0] if len(keyed) == 1 else keyed[0].unionByName(keyed[1])
        per_key = rows.groupBy(*LINEAGE).count()
        agg = per_key.agg(
            F.count(F.lit(1)).alias("distinct"),
            F.coalesce(F.sum(F.when(F.col("count") > 1, 1).otherwise(0)), F.lit(0)).alias("dups"),
        ).first()
        distinct, duplicates = int(agg["distinct"]), int(agg["dups"])
        for r in (
            rows.groupBy("kafka_topic", "kafka_partition")
            .agg(
                F.count(F.lit(1)).alias("rows"),
                F.min("kafka_offset").alias("min_offset"),
                F.max("kafka_offset").alias("max_offset"),
            )
            .orderBy("kafka_topic", "kafka_partition")
            .collect()
        ):
            partitions[f"{r['kafka_topic']}/{r['kafka_partition']}"] = {
                "rows": int(r["rows"]),
                "min_offset": int(r["min_offset"]),
                "max_offset": int(r["max_offset"]),
            }
    return {
        "attempts": counts["attempts"],
        "quarantine": counts["_quarantine"],
        "questions": counts["questions"],
        "distinct": distinct,
        "duplicates": duplicates,
        "partitions": partitions,
        "tenant": tenant,
    }


def serve(spark: SparkSession, lines, out) -> None:
    """Check the lake named on each line of lines, one JSON line each to out."""
    for line in lines:
        lake, _, tenant = line.strip().partition("\t")
        if not lake:
            continue
        try:
            answer = check(spark, lake, tenant or None)
        except Exception as err:  # one lake's failure is that lake's answer
            answer = {"error": f"read {lake} with Spark: {err}"}
        print(json.dumps(answer, sort_keys=True), file=out, flush=True)


def parse(argv: list[str]) -> tuple[str, str | None] | None:
    """Return (LAKE_URL or --serve, the tenant or None), or None on bad usage."""
    tenant = None
    if len(argv) == 3 and argv[0] == "--tenant":
        tenant, argv = argv[1], argv[2:]
        try:
            lk.check_tenant(tenant)
        except ValueError as err:
            print(f"lakecheck: --tenant: {err}", file=sys.stderr)
            return None
    if len(argv) != 1 or (argv[0].startswith("-") and argv[0] != "--serve"):
        return None
    if argv[0] == "--serve" and tenant is not None:
        return None
    return argv[0], tenant


def main(argv: list[str]) -> int:
    """Run the check on the lake of argv and print the JSON line, or serve
    stdin."""
    args = parse(argv)
    if args is None:
        print(
            "usage: python -m landerd_lake.lakecheck [--tenant TENANT] LAKE_URL | --serve",
            file=sys.stderr,
        )
        return 2
    lake, tenant = args
    try:
        spark = session("landerd-lakecheck")
    except RuntimeError as err:
        print(f"lakecheck: {err}", file=sys.stderr)
        return 1
    if lake == "--serve":
        try:
            serve(spark, sys.stdin, sys.stdout)
        finally:
            spark.stop()
        return 0
    try:
        result = check(spark, lake, tenant)
    except Exception as err:  # report any read failure as one line, exit 1
        print(f"lakecheck: read {lake} with Spark: {err}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    print(json.dumps(result, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
