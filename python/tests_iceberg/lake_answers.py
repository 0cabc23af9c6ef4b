"""Print, as one JSON object, what each reader makes of the Iceberg tables
the LANDERD_ICEBERG_* variables name (landerd_lake.iceberg.Catalog.from_env):
for Spark, pyiceberg and DuckDB (or those --engine names), the attempts table's snapshots, the seven
answers at its current snapshot, and the row count at each snapshot given
with --snapshot (time travel); pyiceberg also gives the answers there.
With --lineage Spark also counts each table's rows and distinct Kafka
records (landerd_lake.iceberg.spark_lineage).

test/system/iceberg runs it on tables landerd landed from the real data set
and compares everything with `landerd report --json`. It needs no pytest:
a reader that cannot start raises, and the process fails."""

from __future__ import annotations

import argparse
import json
import resource
from pathlib import Path

from landerd_lake import iceberg as ice

ENGINES = ("spark", "pyiceberg", "duckdb")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--snapshot", type=int, action="append", default=[])
    p.add_argument(
        "--engine",
        choices=ENGINES,
        action="append",
        help="read with this engine only (repeatable); all three by default. "
        "pyiceberg and DuckDB read local warehouses and SQL catalogs only.",
    )
    p.add_argument(
        "--lineage",
        action="store_true",
        help="Spark also counts each table's rows and distinct (topic, partition, offset)",
    )
    args = p.parse_args()
    engines = args.engine or list(ENGINES)
    cat = ice.Catalog.from_env()
    out: dict = {}

    if "pyiceberg" in engines:
        tbl = ice.load_table(cat)
        out["pyiceberg"] = {
            "snapshots": [s.snapshot_id for s in tbl.snapshots()],
            "answers": ice.pyiceberg_answers(tbl),
            "counts": {str(s): ice.pyiceberg_count(tbl, s) for s in args.snapshot},
            "answers_at": {str(s): ice.pyiceberg_answers(tbl, s) for s in args.snapshot},
        }

    if "duckdb" in engines:
        con = ice.duckdb_connect()
        meta = ice.metadata_location(cat)
        out["duckdb"] = {
            "snapshots": ice.duckdb_snapshots(con, meta),
            "answers": ice.duckdb_answers(con, meta),
            "counts": {str(s): ice.duckdb_count(con, meta, s) for s in args.snapshot},
        }
        con.close()

    memory = {"python_peak_rss_kib": 0, "spark_jvm_peak_rss_kib": 0}
    if "spark" in engines:
        spark = ice.spark_session(cat, app="landerd-iceberg-lake")
        out["spark"] = {
            "snapshots": ice.spark_snapshots(spark, cat),
            "answers": ice.spark_answers(spark, cat),
            "counts": {str(s): ice.spark_count(spark, cat, snapshot_id=s) for s in args.snapshot},
        }
        if args.lineage:
            out["spark"]["lineage"] = ice.spark_lineage(spark, cat)
        jvm = spark.sparkContext._gateway.proc.pid  # spark-submit execs java
        status = Path(f"/proc/{jvm}/status").read_text()
        hwm = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
        spark.stop()
        memory["spark_jvm_peak_rss_kib"] = int(hwm)
    memory["python_peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["memory"] = memory
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
