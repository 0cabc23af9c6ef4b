-- Views over landerd's Iceberg tables (lake.format: iceberg) for Spark SQL,
-- with the Iceberg Spark runtime (iceberg-spark-runtime-4.1_2.13) and a
-- catalog configured as catalog (a SparkCatalog of type jdbc or hadoop;
-- python/src/landerd_lake/iceberg.py writes the settings). Give the catalog's
-- name as catalog and the tables' namespace as namespace, then run the
-- question files in the same session:
--
--   spark-sql --hivevar catalog=landerd --hivevar namespace=lake \
--       -f sql/spark/00_views_iceberg.sql -f sql/spark/01_assessments.sql
--
-- The views read each table's current snapshot; for an earlier one, query
-- ${catalog}.${namespace}.attempts VERSION AS OF <snapshot id> instead.
-- attempts_dedup keeps one row per keen_id: the row with the lowest
-- (kafka_partition, kafka_offset, kafka_topic), the first copy that landed.
CREATE OR REPLACE TEMPORARY VIEW attempts AS SELECT * FROM ${catalog}.${namespace}.attempts;

CREATE OR REPLACE TEMPORARY VIEW attempts_dedup AS
SELECT * FROM (
    SELECT *, row_number() OVER (
        PARTITION BY keen_id ORDER BY kafka_partition, kafka_offset, kafka_topic) AS keen_rank
    FROM attempts
) AS ranked
WHERE keen_rank = 1;
