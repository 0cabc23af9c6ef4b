"""Read tables of a multi-tenant lake with Spark, as whoever runs it, and
print what each read gave as one line of JSON.

    HADOOP_USER_NAME=alice python -m landerd_lake.tenantread URL [URL...]

Each URL is a Parquet table: one tenant's, e.g.
hdfs://host:port/lake/attempts/tenant=pearson (partitioned by ingest_date),
or all tenants', hdfs://host:port/lake/attempts (partitioned by tenant and
ingest_date). Spark (local[2], no UI, errors-only logs) reads it with
spark.read.parquet and no options. One line per URL on stdout:

    {"url": URL, "rows": N, "tenants": {"<tenant>": n, ...}}

("tenants" only when the table has a tenant column), or, when the read
failed, for example because HDFS refused the user:

    {"url": URL, "error": "<Java exception class>", "message": "<its message>"}

Exit status 0 when every URL was answered, 1 when Spark could not start,
2 on bad usage.
"""

from __future__ import annotations

import json
import re
import sys

from pyspark.sql import SparkSession

from landerd_lake.spark import session

#: A Java exception as Spark's errors quote it: class, colon, message.
_JAVA_EXCEPTION = re.compile(r"\b((?:[a-z_][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)): ([^\n]*)")


def java_error(text: str) -> tuple[str, str]:
    """Return the first Java exception's class and message quoted in text,
    preferring Hadoop's AccessControlException, or ("", first line)."""
    found = _JAVA_EXCEPTION.findall(text)
    for cls, msg in found:
        if cls.endswith("AccessControlException"):
            return cls, msg.strip()
    if found:
        return found[0][0], found[0][1].strip()
    return "", text.strip().splitlines()[0] if text.strip() else ""


def read(spark: SparkSession, url: str) -> dict:
    """Read the Parquet table at url and say how many rows it holds, per
    tenant when it has a tenant column, or why it could not be read."""
    try:
        df = spark.read.parquet(url)
        if "tenant" in df.columns:
            counts = {r["tenant"]: r["count"] for r in df.groupBy("tenant").count().collect()}
            return {
                "url": url,
                "rows": sum(counts.values()),
                "tenants": dict(sorted(counts.items())),
            }
        return {"url": url, "rows": df.count()}
    except Exception as err:  # Spark raises Py4J and pyspark errors alike
        cls, msg = java_error(str(err))
        return {"url": url, "error": cls or type(err).__name__, "message": msg}


def main(argv: list[str]) -> int:
    if not argv or any(a.startswith("-") for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        spark = session("landerd-tenantread")
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 1
    try:
        for url in argv:
            print(json.dumps(read(spark, url)), flush=True)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
