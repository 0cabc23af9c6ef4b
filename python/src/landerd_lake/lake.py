"""Find and read the tables of a landerd lake with Spark."""

from __future__ import annotations

import os
from dataclasses import dataclass

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

#: The lake's tables, as folders under its root.
TABLES = ("attempts", "questions", "_quarantine")


def lake_url(lake: str) -> str:
    """Return lake as a URL Spark and Hadoop read: hdfs:// and file:// URLs
    as they are, a plain path as an absolute file:// URL."""
    lake = lake.rstrip("/") or "/"
    if "://" in lake:
        return lake
    return "file://" + os.path.abspath(lake)


def _fs_path(spark: SparkSession, url: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(url)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def exists(spark: SparkSession, url: str) -> bool:
    """Report whether url (a folder or file on any Hadoop filesystem) exists."""
    fs, path = _fs_path(spark, url)
    return bool(fs.exists(path))


def has_data(spark: SparkSession, url: str) -> bool:
    """Report whether the folder url holds a Parquet data file, in a
    partition folder or directly; names starting with _ or . are not data."""
    fs, path = _fs_path(spark, url)
    if not fs.exists(path):
        return False
    it = fs.listFiles(path, True)
    while it.hasNext():
        st = it.next()
        rel = st.getPath().toUri().getPath()[len(path.toUri().getPath()) :]
        parts = [p for p in rel.split("/") if p]
        data = not any(p.startswith(("_", ".")) for p in parts)
        if parts and data and parts[-1].endswith(".parquet"):
            return True
    return False


def read(spark: SparkSession, lake: str, table: str) -> DataFrame | None:
    """Read one table of the lake with spark.read.parquet and no options,
    or return None when the table holds no data file (missing or empty)."""
    url = lake_url(lake) + "/" + table
    if not has_data(spark, url):
        return None
    try:
        return spark.read.parquet(url)
    except AnalysisException as err:
        if "UNABLE_TO_INFER_SCHEMA" in str(err) or "PATH_NOT_FOUND" in str(err):
            return None
        raise


class LakeProblem(Exception):
    """The lake cannot answer the questions: it is missing, empty, or holds
    only quarantined records. Shown in a notebook as its message alone."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a stack trace.
        return [f"LakeProblem: {self}"]


@dataclass
class Lake:
    """The tables of a lake, None where a table holds no data."""

    url: str
    attempts: DataFrame | None
    questions: DataFrame | None
    quarantine: DataFrame | None


def open_lake(spark: SparkSession, lake: str) -> Lake:
    """Read every table of the lake, or raise LakeProblem with a message
    saying what is wrong and what to do when there are no attempts."""
    url = lake_url(lake)
    try:
        root_exists = exists(spark, url)
    except Exception as err:  # an unreachable NameNode, a bad URL
        raise LakeProblem(f"cannot reach the lake {url}: {err}") from None
    if not root_exists:
        raise LakeProblem(
            f"the lake {url} does not exist: set LAKE in the first cell to the folder "
            "landerd lands into (lake.url in its config), e.g. /data/lake or "
            "hdfs://namenode:8020/data/lake"
        )
    tables = {t: read(spark, url, t) for t in TABLES}
    if tables["attempts"] is None:
        if tables["_quarantine"] is not None:
            n = tables["_quarantine"].count()
            reasons = ", ".join(
                f"{r['reason']} ({r['count']})"
                for r in tables["_quarantine"].groupBy("reason").count().orderBy("reason").collect()
            )
            raise LakeProblem(
                f"the lake {url} holds no attempts, only {n} quarantined record(s): {reasons}. "
                "Nothing that arrived could be read as an attempt; read the _quarantine "
                "table's reason, field and detail columns (docs/schema.md) to see why."
            )
        raise LakeProblem(
            f"the lake {url} holds no attempts yet (no Parquet file under {url}/attempts): "
            "has landerd landed anything? Files appear once a flush publishes them."
        )
    return Lake(url, tables["attempts"], tables["questions"], tables["_quarantine"])
