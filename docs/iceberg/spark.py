# Spark (pyspark 4.1, e.g. in a notebook) on landerd's Iceberg tables in a
# SQL catalog on PostgreSQL: Spark's JdbcCatalog. Set the five values to
# your lake.iceberg.catalog.uri (as a JDBC URL), its user and password,
# lake.url (a path, or an hdfs:// URL) and the namespace: lake.iceberg.namespace,
# or a tenant's, <namespace>_<tenant>.
import os

from pyspark.sql import SparkSession

catalog_db = os.environ.get("LANDERD_ICEBERG_URI", "jdbc:postgresql://db.example:5432/lake")
user = os.environ.get("LANDERD_ICEBERG_USER", "reader")
password = os.environ.get("LANDERD_ICEBERG_PASSWORD", "")
lake = os.environ.get("LANDERD_ICEBERG_WAREHOUSE", "/data/lake")
namespace = os.environ.get("LANDERD_ICEBERG_NAMESPACE", "landerd")
# The Iceberg runtime and the PostgreSQL driver: local jars, or
# spark.jars.packages with their Maven coordinates when Spark may download.
jars = os.environ.get(
    "LANDERD_ICEBERG_JARS",
    "iceberg-spark-runtime-4.1_2.13-1.12.0.jar,postgresql-42.7.14.jar",
)

spark = (
    SparkSession.builder.appName("read-landerd")
    .config("spark.jars", jars)
    .config(
        "spark.sql.extensions",
        "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
    )
    # The catalog's name must be landerd: the SQL catalog stores it in every row.
    .config("spark.sql.catalog.landerd", "org.apache.iceberg.spark.SparkCatalog")
    .config("spark.sql.catalog.landerd.type", "jdbc")
    .config("spark.sql.catalog.landerd.uri", catalog_db)
    .config("spark.sql.catalog.landerd.jdbc.user", user)
    .config("spark.sql.catalog.landerd.jdbc.password", password)
    # Where tables Spark creates go; landerd's are found where the catalog says.
    .config("spark.sql.catalog.landerd.warehouse", lake if "://" in lake else "file://" + lake)
    .getOrCreate()
)

# Backticks: a tenant's namespace may hold '-' (landerd_acme-corp).
table = f"landerd.`{namespace}`.attempts"
attempts = spark.table(table)
print("attempts:", attempts.count())
print("distinct keen_id:", attempts.select("keen_id").distinct().count())

# Every snapshot (one per flush) and its row count, by time travel.
for row in spark.sql(f"SELECT snapshot_id FROM {table}.snapshots ORDER BY committed_at").collect():
    sid = row.snapshot_id
    n = spark.sql(f"SELECT count(*) AS n FROM {table} VERSION AS OF {sid}")
    print("snapshot", sid, "rows", n.first().n)
