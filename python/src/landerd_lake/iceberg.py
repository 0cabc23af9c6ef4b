"""Read landerd's Iceberg tables (lake.format: iceberg) with the tools data
scientists use: Spark with the Iceberg runtime, pyiceberg, and DuckDB with
its iceberg extension, and answer the business questions from them.

A Catalog says where the tables are: an Iceberg SQL catalog on PostgreSQL
(the Java JdbcCatalog's tables, which iceberg-go's and pyiceberg's sql
catalogs share) or a Hadoop-style catalog, a warehouse folder holding
<warehouse>/<namespace>/<table>/metadata/vN.metadata.json and
version-hint.text. The questions are the shipped files 01-07 of sql/spark
and sql/duckdb, run over the views of 00_views_iceberg.sql.

This module runs in the Iceberg venv (scripts/python/install-iceberg.sh;
scripts/python/py-iceberg runs it), not in the main one: the Iceberg Spark
runtime is built for Spark 4.1.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from pyiceberg.catalog import Catalog as PyIcebergCatalog
    from pyiceberg.table import Table
    from pyspark.sql import SparkSession

#: The repository's sql/ folder (this module runs from the checkout).
SQL_DIR = Path(__file__).resolve().parents[3] / "sql"

#: The catalog name landerd registers its tables under: a SQL catalog keeps
#: it in every row (catalog_name), so readers must use the writer's.
DEFAULT_CATALOG_NAME = "landerd"
DEFAULT_NAMESPACE = "landerd"  # lake.iceberg.namespace's default

#: The environment variables Catalog.from_env reads.
ENV = {
    "type": "LANDERD_ICEBERG_CATALOG_TYPE",  # sql or hadoop
    "name": "LANDERD_ICEBERG_CATALOG_NAME",
    "namespace": "LANDERD_ICEBERG_NAMESPACE",
    "warehouse": "LANDERD_ICEBERG_WAREHOUSE",
    "uri": "LANDERD_ICEBERG_URI",  # jdbc:postgresql://... or postgresql://...
    "user": "LANDERD_ICEBERG_USER",
    "password": "LANDERD_ICEBERG_PASSWORD",
}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: The namespaces landerd makes: lake.iceberg.namespace (a lowercase letter,
#: then at most 62 lowercase letters, digits and '_'), alone or, with
#: tenancy, followed by '_' and a tenant's name (pkg/sink's TenantNameForm:
#: a lowercase letter or digit, then at most 62 of those, '_' and '-') or
#: by '__unassigned' (the namespace of records of no known tenant).
NAMESPACE = re.compile(r"[a-z][a-z0-9_]{0,62}(?:_(?:[a-z0-9][a-z0-9_-]{0,62}|_unassigned))?")


def _ident(kind: str, value: str) -> str:
    if not _IDENT.fullmatch(value):
        raise ValueError(f"{kind} {value!r} is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)")
    return value


def check_namespace(namespace: str) -> str:
    """Return namespace when landerd can make it (NAMESPACE, e.g. landerd
    or landerd_acme-corp), else raise ValueError."""
    if not NAMESPACE.fullmatch(namespace):
        raise ValueError(
            f"namespace {namespace!r} is not one landerd makes: lake.iceberg.namespace "
            "([a-z][a-z0-9_]{0,62}), or it, '_' and a tenant ([a-z0-9][a-z0-9_-]{0,62})"
        )
    return namespace


def spark_ident(name: str) -> str:
    """name as a Spark SQL identifier: as it is when plain, else in
    backticks (`landerd_acme-corp`), a backtick doubled."""
    if _IDENT.fullmatch(name):
        return name
    return "`" + name.replace("`", "``") + "`"


@dataclass(frozen=True)
class Catalog:
    """Where landerd's Iceberg tables are.

    type is "sql" (uri names the PostgreSQL database, as a JDBC URL
    jdbc:postgresql://host:port/db or as postgresql://host:port/db; user and
    password log in) or "hadoop" (warehouse alone). warehouse is a path or
    URL (file://, hdfs://); a SQL catalog uses it for tables it creates.
    name is the catalog's name: a SQL catalog stores it with every table
    (catalog_name), so it must be the writer's."""

    type: str
    warehouse: str
    name: str = DEFAULT_CATALOG_NAME
    namespace: str = DEFAULT_NAMESPACE
    uri: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.type not in ("sql", "hadoop"):
            raise ValueError(f"catalog type {self.type!r}: want sql or hadoop")
        if self.type == "sql" and not self.uri:
            raise ValueError("a sql catalog needs a uri (jdbc:postgresql://host:port/db)")
        _ident("catalog name", self.name)
        check_namespace(self.namespace)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Catalog:
        """Build a Catalog from the LANDERD_ICEBERG_* variables of ENV;
        type defaults to sql, name to landerd, namespace to landerd."""
        env = os.environ if environ is None else environ
        get = {k: env.get(v) or None for k, v in ENV.items()}
        if get["warehouse"] is None:
            raise ValueError(f"{ENV['warehouse']} is not set")
        return cls(
            type=get["type"] or "sql",
            warehouse=get["warehouse"],
            name=get["name"] or DEFAULT_CATALOG_NAME,
            namespace=get["namespace"] or DEFAULT_NAMESPACE,
            uri=get["uri"],
            user=get["user"],
            password=get["password"],
        )

    @property
    def warehouse_url(self) -> str:
        """The warehouse as a URL: a plain path as an absolute file:// URL."""
        if "://" in self.warehouse:
            return self.warehouse.rstrip("/")
        return "file://" + os.path.abspath(self.warehouse)

    def _db(self) -> urllib.parse.SplitResult:
        assert self.uri is not None
        uri = self.uri.removeprefix("jdbc:")
        parts = urllib.parse.urlsplit(uri)
        if parts.scheme.split("+")[0] not in ("postgresql", "postgres"):
            raise ValueError(f"catalog uri {self.uri!r}: want jdbc:postgresql://host:port/db")
        return parts

    def jdbc_url(self) -> str:
        """The database as a JDBC URL, without user or password."""
        p = self._db()
        host = p.hostname or "localhost"
        port = f":{p.port}" if p.port else ""
        query = f"?{p.query}" if p.query else ""
        return f"jdbc:postgresql://{host}{port}{p.path}{query}"

    def sqlalchemy_url(self) -> str:
        """The database as a SQLAlchemy URL for psycopg2, user and password
        included (escaped), as pyiceberg's SqlCatalog takes it."""
        from sqlalchemy.engine import URL

        p = self._db()
        query = dict(urllib.parse.parse_qsl(p.query))
        url = URL.create(
            "postgresql+psycopg2",
            username=self.user or p.username,
            password=self.password or p.password,
            host=p.hostname,
            port=p.port,
            database=p.path.lstrip("/"),
            query=query,
        )
        return url.render_as_string(hide_password=False)

    def table_dir(self, table: str) -> str:
        """A Hadoop catalog's folder of table: <warehouse>/<namespace>/<table>."""
        return f"{self.warehouse_url}/{self.namespace}/{table}"


# ---------------------------------------------------------------- Spark


def spark_jars(environ: Mapping[str, str] | None = None) -> list[str]:
    """The jars Spark needs for Iceberg and PostgreSQL: LANDERD_ICEBERG_JARS
    (comma-separated, set by scripts/python/py-iceberg), else every jar in
    ${LANDERD_CACHE:-~/.cache/landerd}/iceberg-jars. Raises RuntimeError when
    there are none."""
    env = os.environ if environ is None else environ
    if env.get("LANDERD_ICEBERG_JARS"):
        jars = [j for j in env["LANDERD_ICEBERG_JARS"].split(",") if j]
    else:
        cache = Path(env.get("LANDERD_CACHE") or Path.home() / ".cache" / "landerd")
        jars = sorted(str(p) for p in (cache / "iceberg-jars").glob("*.jar"))
    missing = [j for j in jars if not Path(j).is_file()]
    if not jars or missing:
        raise RuntimeError(
            f"the Iceberg Spark jars are missing ({missing or 'none found'}): "
            "run scripts/python/install-iceberg.sh"
        )
    return jars


def spark_catalog_conf(cat: Catalog) -> dict[str, str]:
    """The Spark settings that make cat a catalog of the session, under its
    name: an Iceberg SparkCatalog of type jdbc (the PostgreSQL driver, user
    and password) or hadoop."""
    prefix = f"spark.sql.catalog.{cat.name}"
    conf = {
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.type": "jdbc" if cat.type == "sql" else "hadoop",
        f"{prefix}.warehouse": cat.warehouse_url,
    }
    if cat.type == "sql":
        conf[f"{prefix}.uri"] = cat.jdbc_url()
        if cat.user:
            conf[f"{prefix}.jdbc.user"] = cat.user
        if cat.password:
            conf[f"{prefix}.jdbc.password"] = cat.password
    return conf


def spark_session(*catalogs: Catalog, app: str = "landerd-iceberg", **conf: str) -> SparkSession:
    """Return the process's Spark session (landerd_lake.spark's settings)
    with the Iceberg runtime and the PostgreSQL driver on its class path,
    Iceberg's SQL extensions, and each of catalogs attached. Catalogs can be
    attached later with attach_spark. Raises RuntimeError naming Spark and
    Java when the JVM cannot start, or the jars when they are missing."""
    from landerd_lake.spark import session

    settings = {
        "spark.jars": ",".join(spark_jars()),
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        **conf,
    }
    for cat in catalogs:
        settings.update(spark_catalog_conf(cat))
    return session(app, **settings)


def attach_spark(spark: SparkSession, cat: Catalog) -> None:
    """Attach cat to a running session (Spark loads a catalog on first use,
    so its settings may be set at run time)."""
    for key, value in spark_catalog_conf(cat).items():
        spark.conf.set(key, value)


def spark_table(cat: Catalog, table: str = "attempts") -> str:
    """The table's name in Spark SQL: catalog.namespace.table, the
    namespace quoted when it is not a plain identifier
    (landerd.`landerd_acme-corp`.attempts)."""
    return f"{cat.name}.{spark_ident(cat.namespace)}.{_ident('table', table)}"


def spark_count(
    spark: SparkSession, cat: Catalog, table: str = "attempts", snapshot_id: int | None = None
) -> int:
    """Count the rows of table, at its current snapshot or, time travelling,
    at snapshot_id (VERSION AS OF)."""
    sql = f"SELECT count(*) AS n FROM {spark_table(cat, table)}"
    if snapshot_id is not None:
        sql += f" VERSION AS OF {int(snapshot_id)}"
    return int(spark.sql(sql).collect()[0]["n"])


def spark_snapshots(spark: SparkSession, cat: Catalog, table: str = "attempts") -> list[int]:
    """The table's snapshot ids, oldest first (its snapshots metadata table)."""
    rows = spark.sql(
        f"SELECT snapshot_id FROM {spark_table(cat, table)}.snapshots ORDER BY committed_at"
    ).collect()
    return [int(r["snapshot_id"]) for r in rows]


def spark_answers(
    spark: SparkSession, cat: Catalog, timings: dict[str, float] | None = None
) -> dict[str, dict]:
    """The seven answers from the attempts table, raw and dedup: the views
    of sql/spark/00_views_iceberg.sql, then sql/spark/01-07 (each file's
    seconds in timings, when given)."""
    for stmt in statements(
        SQL_DIR / "spark" / "00_views_iceberg.sql",
        catalog=cat.name,
        namespace=spark_ident(cat.namespace),
    ):
        spark.sql(stmt)
    return answers(lambda sql: [r.asDict() for r in spark.sql(sql).collect()], "spark", timings)


def spark_serve(
    spark: SparkSession, cat: Catalog, labels: Iterable[str], out: Callable[[str], None]
) -> None:
    """Answer the seven questions once per label, in the one session: for
    each, the attempts table is refreshed (Spark's catalog caches tables),
    its data files and snapshots counted, and the questions timed. out gets
    one JSON object per label: label, data_files, snapshots, seconds (each
    question file's), total_seconds and the answers. This is how the
    benchmarks time the same session before and after a compaction."""
    name = spark_table(cat)
    for raw in labels:
        label = raw.strip()
        if not label:
            continue
        spark.sql(f"REFRESH TABLE {name}")
        files = int(spark.sql(f"SELECT count(*) AS n FROM {name}.files").collect()[0]["n"])
        snaps = int(spark.sql(f"SELECT count(*) AS n FROM {name}.snapshots").collect()[0]["n"])
        timings: dict[str, float] = {}
        got = spark_answers(spark, cat, timings)
        out(
            json.dumps(
                {
                    "label": label,
                    "data_files": files,
                    "snapshots": snaps,
                    "seconds": timings,
                    "total_seconds": sum(timings.values()),
                    "answers": got,
                }
            )
        )


#: landerd's tables, and those of them whose rows are the topic's records:
#: every (kafka_topic, kafka_partition, kafka_offset) is in one of these two.
TABLES = ("attempts", "questions", "_quarantine")
RECORD_TABLES = ("attempts", "_quarantine")


def spark_lineage(spark: SparkSession, cat: Catalog) -> dict[str, Any]:
    """Count the Kafka lineage of the tables' current snapshots: for each
    table its rows and its distinct (kafka_topic, kafka_partition,
    kafka_offset), and the same over attempts and _quarantine together
    ("records"), which hold each record of the topic once."""
    key = "kafka_topic, kafka_partition, kafka_offset"

    def count(source: str) -> dict[str, int]:
        row = spark.sql(
            f"SELECT count(*) AS n_rows, count(DISTINCT {key}) AS n_keys FROM {source}"
        ).collect()[0]
        return {"rows": int(row["n_rows"]), "keys": int(row["n_keys"])}

    union = " UNION ALL ".join(f"SELECT {key} FROM {spark_table(cat, t)}" for t in RECORD_TABLES)
    return {
        "tables": {t: count(spark_table(cat, t)) for t in TABLES},
        "records": count(f"({union}) AS records"),
    }


# ---------------------------------------------------------------- pyiceberg


def pyiceberg_catalog(cat: Catalog) -> PyIcebergCatalog:
    """A pyiceberg SqlCatalog on cat's database (type sql only; a Hadoop
    catalog has no pyiceberg catalog: use load_table)."""
    from pyiceberg.catalog.sql import SqlCatalog

    if cat.type != "sql":
        raise ValueError(f"pyiceberg has no {cat.type} catalog; use load_table")
    return SqlCatalog(cat.name, uri=cat.sqlalchemy_url(), warehouse=cat.warehouse_url)


def hadoop_metadata(cat: Catalog, table: str = "attempts") -> str:
    """The current metadata file of a Hadoop catalog's table:
    metadata/v<N>.metadata.json, N read from metadata/version-hint.text.
    Local warehouses only (a path or file:// URL)."""
    root = _local(cat.table_dir(table))
    hint = root / "metadata" / "version-hint.text"
    try:
        version = int(hint.read_text().strip())
    except (OSError, ValueError) as err:
        raise FileNotFoundError(f"no readable version hint for table {table}: {err}") from err
    path = root / "metadata" / f"v{version}.metadata.json"
    if not path.is_file():
        raise FileNotFoundError(f"{hint} names version {version}, but {path} does not exist")
    return str(path)


def _local(url: str) -> Path:
    if url.startswith("file://"):
        return Path(urllib.parse.urlsplit(url).path)
    if "://" in url:
        raise ValueError(f"{url}: only local warehouses are read here")
    return Path(url)


def load_table(cat: Catalog, table: str = "attempts") -> Table:
    """The table through pyiceberg: from the SQL catalog, or for a Hadoop
    catalog as a StaticTable on its current metadata file."""
    if cat.type == "sql":
        return pyiceberg_catalog(cat).load_table((cat.namespace, table))
    from pyiceberg.table import StaticTable

    return StaticTable.from_metadata(hadoop_metadata(cat, table))


def pyiceberg_count(tbl: Table, snapshot_id: int | None = None) -> int:
    """Count the rows of tbl, at its current snapshot or at snapshot_id."""
    return tbl.scan(snapshot_id=snapshot_id).to_arrow().num_rows


def pyiceberg_answers(tbl: Table, snapshot_id: int | None = None) -> dict[str, dict]:
    """The seven answers from the attempts table read by pyiceberg (its scan
    planning and Parquet reading), computed by DuckDB over the Arrow table
    pyiceberg returns with the views and questions of sql/duckdb; pyiceberg
    itself has no SQL."""
    arrow = tbl.scan(snapshot_id=snapshot_id).to_arrow()
    con = duckdb_connect(extensions=False)
    try:
        return arrow_answers(con, arrow)
    finally:
        con.close()


def arrow_answers(con: duckdb.DuckDBPyConnection, arrow: pa.Table) -> dict[str, dict]:
    """The seven answers over an Arrow table of attempts, in DuckDB: the
    table registered as attempts, the attempts_dedup view of
    sql/duckdb/00_views_iceberg.sql, then sql/duckdb/01-07."""
    con.register("attempts", arrow)
    views = statements(SQL_DIR / "duckdb" / "00_views_iceberg.sql")
    dedup = [s for s in views if s.startswith("CREATE OR REPLACE VIEW attempts_dedup ")]
    if len(dedup) != 1:
        raise RuntimeError("sql/duckdb/00_views_iceberg.sql: want one attempts_dedup view")
    con.execute(dedup[0])
    return answers(lambda sql: _duck_rows(con, sql), "duckdb")


# ---------------------------------------------------------------- DuckDB


def duckdb_extension(name: str) -> str:
    """The path of DuckDB extension name (iceberg, avro) from its wheel,
    duckdb-extension-<name>, for the installed DuckDB's version."""
    import duckdb

    pkg = f"duckdb_extension_{name}"
    try:
        base = resources.files(pkg)
    except ModuleNotFoundError as err:
        raise RuntimeError(
            f"DuckDB's {name} extension is not installed (pip package "
            f"duckdb-extension-{name}): run scripts/python/install-iceberg.sh"
        ) from err
    path = Path(str(base)) / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise RuntimeError(
            f"{path} is missing: duckdb-extension-{name} is not for DuckDB {duckdb.__version__}"
        )
    return str(path)


def duckdb_connect(extensions: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never downloads: extensions are neither
    installed nor loaded automatically, and with extensions the avro and
    iceberg extensions are loaded from their wheels, avro first (iceberg's
    start-up looks for it)."""
    import duckdb

    con = duckdb.connect(
        config={
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "allow_unsigned_extensions": "false",
        }
    )
    if extensions:
        for name in ("avro", "iceberg"):
            con.execute(f"LOAD '{duckdb_extension(name)}'")
    return con


def metadata_location(cat: Catalog, table: str = "attempts") -> str:
    """The table's current metadata file: from the SQL catalog (through
    pyiceberg), or a Hadoop catalog's vN.metadata.json."""
    if cat.type == "hadoop":
        return hadoop_metadata(cat, table)
    return load_table(cat, table).metadata_location


def duckdb_count(
    con: duckdb.DuckDBPyConnection, metadata: str, snapshot_id: int | None = None
) -> int:
    """Count the rows of the table whose metadata file is metadata, with
    iceberg_scan, at its current snapshot or at snapshot_id."""
    args = "?" if snapshot_id is None else "?, snapshot_from_id = ?"
    params = [metadata] if snapshot_id is None else [metadata, int(snapshot_id)]
    row = con.execute(f"SELECT count(*) FROM iceberg_scan({args})", params).fetchone()
    assert row is not None
    return int(row[0])


def duckdb_snapshots(con: duckdb.DuckDBPyConnection, metadata: str) -> list[int]:
    """The snapshot ids of the table whose metadata file is metadata, oldest first."""
    rows = con.execute(
        "SELECT snapshot_id FROM iceberg_snapshots(?) ORDER BY sequence_number", [metadata]
    ).fetchall()
    return [int(r[0]) for r in rows]


def duckdb_answers(con: duckdb.DuckDBPyConnection, metadata: str) -> dict[str, dict]:
    """The seven answers from the attempts table whose metadata file is
    metadata: sql/duckdb/00_views_iceberg.sql, then sql/duckdb/01-07."""
    con.execute("SET VARIABLE attempts_metadata = ?", [metadata])
    for stmt in statements(SQL_DIR / "duckdb" / "00_views_iceberg.sql"):
        con.execute(stmt)
    return answers(lambda sql: _duck_rows(con, sql), "duckdb")


def _duck_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# ---------------------------------------------------------------- answers


def statements(path: Path, **variables: str) -> list[str]:
    """The statements of a SQL file, comments removed, with each ${name}
    replaced by variables[name]."""
    text = path.read_text()
    for name, value in variables.items():
        text = text.replace("${" + name + "}", value)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


#: The question files, 01-07: the same in sql/spark and sql/duckdb.
QUESTIONS = (
    "01_assessments.sql",
    "02_topic.sql",
    "03_learning_git.sql",
    "04_course_ranking.sql",
    "05_average_score.sql",
    "06_pass_share.sql",
    "07_average_duration.sql",
)


def answers(
    run: Callable[[str], list[dict]], dialect: str, timings: dict[str, float] | None = None
) -> dict[str, dict]:
    """Run the question files of sql/<dialect> with run (a statement in, its
    rows as dicts out), with the views attempts and attempts_dedup in place,
    and return the figures by basis (raw, dedup) under the names of
    `landerd report --json`: assessments, topics, course_attempts,
    most_taken, least_taken, scored_attempts, avg_score, passed_attempts,
    pass_share, timed_attempts, avg_duration_seconds, plus attempts (rows).
    When timings is given, it gets each question file's wall seconds."""
    out: dict[str, dict[str, Any]] = {"raw": {}, "dedup": {}}
    for name in QUESTIONS:
        rows: list[dict] = []
        start = time.perf_counter()
        for stmt in statements(SQL_DIR / dialect / name):
            rows = run(stmt)
        if timings is not None:
            timings[name] = time.perf_counter() - start
        for basis, figs in out.items():
            got = [r for r in rows if r["basis"] == basis]
            _figures(name, got, figs)
    for basis, view in (("raw", "attempts"), ("dedup", "attempts_dedup")):
        out[basis]["attempts"] = int(run(f"SELECT count(*) AS n FROM {view}")[0]["n"])
    return out


def _figures(name: str, rows: list[dict], figs: dict[str, Any]) -> None:
    if name.startswith("01_"):
        figs["assessments"] = int(rows[0]["assessments"])
    elif name.startswith("02_"):
        figs["topics"] = [{"topic": r["kafka_topic"], "attempts": int(r["attempts"])} for r in rows]
    elif name.startswith("03_"):
        figs["course_attempts"] = int(rows[0]["attempts"])
        figs["course_distinct_keen_ids"] = int(rows[0]["distinct_keen_ids"])
    elif name.startswith("04_"):
        for end, key in (("most", "most_taken"), ("least", "least_taken")):
            figs[key] = [
                {
                    "rank": int(r["course_rank"]),
                    "exam_name": r["exam_name"],
                    "attempts": int(r["attempts"]),
                }
                for r in rows
                if r["ranking_end"] == end
            ]
    elif name.startswith("05_"):
        figs["scored_attempts"] = int(rows[0]["scored_attempts"])
        figs["avg_score"] = _float(rows[0]["avg_score"])
    elif name.startswith("06_"):
        figs["passed_attempts"] = int(rows[0]["passed_attempts"])
        figs["pass_share"] = _float(rows[0]["pass_share"])
    elif name.startswith("07_"):
        figs["timed_attempts"] = int(rows[0]["timed_attempts"])
        figs["avg_duration_seconds"] = _float(rows[0]["avg_duration_seconds"])


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


def main(argv: list[str] | None = None) -> int:
    """Print the seven answers of the catalog named by the environment
    (Catalog.from_env) as one JSON object per engine."""
    import argparse

    p = argparse.ArgumentParser(
        prog="landerd_lake.iceberg",
        description="Answer the business questions from landerd's Iceberg attempts table; "
        "the catalog comes from the LANDERD_ICEBERG_* variables: " + ", ".join(ENV.values()),
    )
    p.add_argument(
        "--engine", choices=("spark", "pyiceberg", "duckdb"), action="append", required=True
    )
    p.add_argument(
        "--serve",
        action="store_true",
        help="spark only: start the session, print a ready line, then answer the questions "
        "once per line read on stdin (its label), timed, until stdin ends (spark_serve)",
    )
    args = p.parse_args(argv)
    cat = Catalog.from_env()
    if args.serve:
        if args.engine != ["spark"]:
            p.error("--serve takes --engine spark alone")
        spark = spark_session(cat)

        def emit(line: str) -> None:
            print(line, flush=True)

        emit(json.dumps({"ready": True, "spark": spark.version}))
        spark_serve(spark, cat, sys.stdin, emit)
        return 0
    for engine in args.engine:
        if engine == "spark":
            got = spark_answers(spark_session(cat), cat)
        elif engine == "pyiceberg":
            got = pyiceberg_answers(load_table(cat))
        else:
            con = duckdb_connect()
            got = duckdb_answers(con, metadata_location(cat))
            con.close()
        print(json.dumps({"engine": engine, **got}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
