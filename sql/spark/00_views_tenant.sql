-- Views over ONE tenant of a multi-tenant landerd lake, for Spark SQL: what
-- a tenant's data scientist runs. Give the lake's root as the variable lake
-- and the tenant as tenant, and run the question files in the same session:
--
--   spark-sql --hivevar lake=hdfs://namenode:8020/data/lake --hivevar tenant=pearson \
--       -f sql/spark/00_views_tenant.sql -f sql/spark/01_assessments.sql
--
-- or, in a notebook, spark.sql(...) each statement with ${lake} and
-- ${tenant} replaced. attempts and questions read only
-- <lake>/<table>/tenant=<tenant>, a table partitioned by ingest_date (or
-- event_date) that Spark discovers from the folder names; nothing above the
-- tenant's folder is listed, so a reader whose HDFS group is the tenant's
-- can run it. (The tenant's quarantined records: '${lake}/_quarantine/tenant=${tenant}'.)
-- Across tenants, 00_views.sql over a multi-tenant lake gives the firm's
-- view, with tenant as a column. docs/tenants.md describes the layout.
-- attempts_dedup keeps one row per keen_id: the row with the lowest
-- (kafka_partition, kafka_offset, kafka_topic), the first copy that landed.
CREATE OR REPLACE TEMPORARY VIEW attempts USING parquet OPTIONS (path '${lake}/attempts/tenant=${tenant}');

CREATE OR REPLACE TEMPORARY VIEW questions USING parquet OPTIONS (path '${lake}/questions/tenant=${tenant}');

CREATE OR REPLACE TEMPORARY VIEW attempts_dedup AS
SELECT * FROM (
    SELECT *, row_number() OVER (
        PARTITION BY keen_id ORDER BY kafka_partition, kafka_offset, kafka_topic) AS keen_rank
    FROM attempts
) AS ranked
WHERE keen_rank = 1;
