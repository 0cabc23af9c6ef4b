-- Views over the landerd lake for Spark SQL (Spark 3 and 4; the tests run it
-- with pyspark 4.3 over local and HDFS lakes). Give the lake's root
-- as the variable lake, and run the question files in the same session:
--
--   spark-sql --hivevar lake=hdfs://namenode:8020/data/lake \
--       -f sql/spark/00_views.sql -f sql/spark/01_assessments.sql
--
-- or, in a notebook, spark.sql(...) each statement with ${lake} replaced.
-- Spark discovers the Hive partition column (ingest_date or event_date) from
-- the folder names and skips the _landerd bookkeeping folder. (_quarantine
-- exists only once a record was quarantined: read it the same way, from
-- '${lake}/_quarantine'.)
-- On a multi-tenant lake (docs/tenants.md) these views read every tenant,
-- as the firm's analysts do: Spark discovers tenant and ingest_date, and
-- tenant is a column. A tenant's reader uses 00_views_tenant.sql.
-- attempts_dedup keeps one row per keen_id: the row with the lowest
-- (kafka_partition, kafka_offset, kafka_topic), the first copy that landed.
CREATE OR REPLACE TEMPORARY VIEW attempts USING parquet OPTIONS (path '${lake}/attempts');

CREATE OR REPLACE TEMPORARY VIEW questions USING parquet OPTIONS (path '${lake}/questions');

CREATE OR REPLACE TEMPORARY VIEW attempts_dedup AS
SELECT * FROM (
    SELECT *, row_number() OVER (
        PARTITION BY keen_id ORDER BY kafka_partition, kafka_offset, kafka_topic) AS keen_rank
    FROM attempts
) AS ranked
WHERE keen_rank = 1;
