"""How pyiceberg and Spark read a landerd attempts table partitioned by
event_date = day(started_at), with the attempts that have no started_at
in the null partition.

Run as a program (scripts/python/py-iceberg python/tests_iceberg/event_date.py)
on the tables named by the LANDERD_ICEBERG_* variables, it prints one JSON
object: for each reader the rows of each partition ("null" for the null
partition), and for the filter started_at IS NULL the rows returned and
the partition folders of the files read; test/system/iceberg checks them
against what landerd was given.
"""

from __future__ import annotations

import json

from pyiceberg.expressions import IsNull

from landerd_lake import iceberg as ice


def _folder(path: str) -> str:
    """The partition folder of a data file: event_date=<day> or event_date=null."""
    return path.split("/data/", 1)[1].split("/", 1)[0]


def pyiceberg_view(cat: ice.Catalog) -> dict:
    table = ice.load_table(cat)
    partitions = {
        str(row["partition"]["event_date"] or "null"): row["record_count"]
        for row in table.inspect.partitions().to_pylist()
    }
    scan = table.scan(row_filter=IsNull("started_at"), selected_fields=("kafka_offset",))
    files = sorted({_folder(task.file.file_path) for task in scan.plan_files()})
    return {
        "spec": str(table.spec().fields[0].name) + "=" + str(table.spec().fields[0].transform),
        "partitions": partitions,
        "is_null_rows": scan.to_arrow().num_rows,
        "is_null_folders": files,
    }


def spark_view(cat: ice.Catalog) -> dict:
    spark = ice.spark_session(cat, app="landerd-event-date")
    name = ice.spark_table(cat)
    partitions = {
        str(row[0]["event_date"] if row[0]["event_date"] is not None else "null"): row[1]
        for row in spark.sql(f"SELECT partition, record_count FROM {name}.partitions").collect()
    }
    nulls = spark.sql(
        f"SELECT input_file_name() AS f FROM {name} WHERE started_at IS NULL"
    ).collect()
    return {
        "partitions": partitions,
        "is_null_rows": len(nulls),
        "is_null_folders": sorted({_folder(row.f) for row in nulls}),
        "by_day": {
            str(row[0] if row[0] is not None else "null"): row[1]
            for row in spark.sql(
                f"SELECT CAST(started_at AS DATE), count(*) FROM {name} GROUP BY 1"
            ).collect()
        },
    }


def main() -> None:
    cat = ice.Catalog.from_env()
    out = {"pyiceberg": pyiceberg_view(cat), "spark": spark_view(cat)}
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
