-- Views over landerd's Iceberg tables (lake.format: iceberg) for Trino's
-- Iceberg connector, under which the question files 01-07 run unchanged.
-- "iceberg" is a catalog of connector.name=iceberg on landerd's catalog
-- (docs/iceberg.md gives its properties) and landerd the tables' namespace
-- (lake.iceberg.namespace); replace either when yours differ, then run:
--
--   trino --catalog iceberg -f sql/trino/00_views_iceberg.sql
--   trino --catalog iceberg --schema landerd_views -f sql/trino/01_assessments.sql
--
-- The views live in a schema of their own, landerd_views, so that nothing
-- but landerd writes to its namespace. They read each table's current
-- snapshot; for an earlier one, query iceberg.landerd.attempts FOR VERSION
-- AS OF <snapshot id> instead.
CREATE SCHEMA IF NOT EXISTS iceberg.landerd_views;

CREATE OR REPLACE VIEW iceberg.landerd_views.attempts AS
SELECT * FROM iceberg.landerd.attempts;

CREATE OR REPLACE VIEW iceberg.landerd_views.questions AS
SELECT * FROM iceberg.landerd.questions;

CREATE OR REPLACE VIEW iceberg.landerd_views.quarantine AS
SELECT * FROM iceberg.landerd."_quarantine";

-- attempts_dedup keeps one row per keen_id: the row with the lowest
-- (kafka_partition, kafka_offset, kafka_topic), the first copy that landed.
CREATE OR REPLACE VIEW iceberg.landerd_views.attempts_dedup AS
SELECT * FROM (
    SELECT *, row_number() OVER (
        PARTITION BY keen_id ORDER BY kafka_partition, kafka_offset, kafka_topic) AS keen_rank
    FROM iceberg.landerd.attempts
) AS ranked
WHERE keen_rank = 1;
