# Spark (pyspark 4.1) on landerd's Iceberg tables on HDFS in the hadoop
# catalog: Spark's HadoopCatalog with an hdfs:// warehouse. pyspark brings
# Hadoop's HDFS client, so nothing else is needed for one NameNode; Spark
# acts on HDFS as HADOOP_USER_NAME, else the OS user. Set the warehouse to
# your lake.url.
import os

from pyspark.sql import SparkSession

lake = os.environ.get("LANDERD_ICEBERG_WAREHOUSE", "hdfs://namenode:8020/data/lake")
jars = os.environ.get("LANDERD_ICEBERG_JARS", "iceberg-spark-runtime-4.1_2.13-1.12.0.jar")

spark = (
    SparkSession.builder.appName("read-landerd-hdfs")
    .config("spark.jars", jars)
    .config(
        "spark.sql.extensions",
        "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
    )
    .config("spark.sql.catalog.landerd", "org.apache.iceberg.spark.SparkCatalog")
    .config("spark.sql.catalog.landerd.type", "hadoop")
    .config("spark.sql.catalog.landerd.warehouse", lake)
    .getOrCreate()
)

attempts = spark.table("landerd.landerd.attempts")
print("attempts:", attempts.count())
print("distinct keen_id:", attempts.select("keen_id").distinct().count())
for row in spark.sql(
    "SELECT snapshot_id FROM landerd.landerd.attempts.snapshots ORDER BY committed_at"
).collect():
    sid = row.snapshot_id
    n = spark.sql(f"SELECT count(*) AS n FROM landerd.landerd.attempts VERSION AS OF {sid}")
    print("snapshot", sid, "rows", n.first().n)
