"""Find and read the tables of a landerd lake with Spark."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

#: The lake's tables, as folders under its root.
TABLES = ("attempts", "questions", "_quarantine")

#: What a tenant's name looks like (docs/tenants.md). In a multi-tenant lake
#: each table holds one folder per tenant, <table>/tenant=<name>.
TENANT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def check_tenant(tenant: str) -> str:
    """Return tenant, or raise ValueError when no tenant can have that name."""
    if not TENANT_NAME.fullmatch(tenant):
        raise ValueError(f"invalid tenant name {tenant!r}: want [a-z0-9][a-z0-9_-]{{0,62}}")
    return tenant


def table_path(table: str, tenant: str | None = None) -> str:
    """Return the folder of table under the lake's root: the table, or the
    tenant's part of it (attempts/tenant=pearson)."""
    if tenant is None:
        return table
    return f"{table}/tenant={check_tenant(tenant)}"


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


def tenants(spark: SparkSession, lake: str, table: str = "attempts") -> list[str] | None:
    """Return the tenants with a folder in table, sorted (_unassigned left
    out), or None when the table has no tenant folder (a single-tenant lake
    or no table). Listing the table needs the right to list its folder."""
    fs, path = _fs_path(spark, lake_url(lake) + "/" + table)
    if not fs.exists(path):
        return None
    names = [
        st.getPath().getName()[len("tenant=") :]
        for st in fs.listStatus(path)
        if st.isDirectory() and st.getPath().getName().startswith("tenant=")
    ]
    if not names:
        return None
    return sorted(n for n in names if not n.startswith("_"))


def read(spark: SparkSession, lake: str, table: str, tenant: str | None = None) -> DataFrame | None:
    """Read one table of the lake with spark.read.parquet and no options,
    or return None when the table holds no data file (missing or empty).
    With a tenant, read only that tenant's folder of the table: nothing
    above it is listed."""
    url = lake_url(lake) + "/" + table_path(table, tenant)
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
    """The tables of a lake (of one tenant's part of it when tenant is
    set), None where a table holds no data."""

    url: str
    attempts: DataFrame | None
    questions: DataFrame | None
    quarantine: DataFrame | None
    tenant: str | None = None


def open_lake(spark: SparkSession, lake: str, tenant: str | None = None) -> Lake:
    """Read every table of the lake, or raise LakeProblem with a message
    saying what is wrong and what to do when there are no attempts.

    With a tenant, read only <table>/tenant=<tenant> of each table, as a
    tenant's reader may; None reads the whole lake: on a multi-tenant lake,
    every tenant, with tenant as a column."""
    url = lake_url(lake)
    if tenant is not None:
        try:
            check_tenant(tenant)
        except ValueError as err:
            raise LakeProblem(f"{err}; set TENANT to None for the whole lake") from None
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
    tables = {t: read(spark, url, t, tenant) for t in TABLES}
    if tenant is not None and all(df is None for df in tables.values()):
        raise LakeProblem(_no_tenant_data(spark, url, tenant))
    where = url if tenant is None else f"{url} (tenant {tenant})"
    if tables["attempts"] is None:
        if tables["_quarantine"] is not None:
            n = tables["_quarantine"].count()
            reasons = ", ".join(
                f"{r['reason']} ({r['count']})"
                for r in tables["_quarantine"].groupBy("reason").count().orderBy("reason").collect()
            )
            raise LakeProblem(
                f"the lake {where} holds no attempts, only {n} quarantined record(s): {reasons}. "
                "Nothing that arrived could be read as an attempt; read the _quarantine "
                "table's reason, field and detail columns (docs/schema.md) to see why."
            )
        raise LakeProblem(
            f"the lake {where} holds no attempts yet (no Parquet file under "
            f"{url}/{table_path('attempts', tenant)}): "
            "has landerd landed anything? Files appear once a flush publishes them."
        )
    return Lake(url, tables["attempts"], tables["questions"], tables["_quarantine"], tenant)


def _no_tenant_data(spark: SparkSession, url: str, tenant: str) -> str:
    """Say why a tenant has no data, as far as this reader may look."""
    msg = (
        f"the tenant {tenant} has no data in the lake {url} (no Parquet file under "
        f"{url}/{table_path('attempts', tenant)} or {url}/{table_path('_quarantine', tenant)})"
    )
    try:
        names = tenants(spark, url)
    except Exception:  # a tenant's reader may not list the table's folder
        return msg
    if names is None and has_data(spark, url + "/attempts"):
        return (
            f"the lake {url} is single-tenant (no tenant= folders): "
            "set TENANT to None to read it whole"
        )
    if names:
        msg += f"; tenants with attempts: {', '.join(names)}"
    return msg
