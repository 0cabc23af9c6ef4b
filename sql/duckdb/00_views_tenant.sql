-- Views over ONE tenant of a multi-tenant landerd lake, for DuckDB: what a
-- tenant's data scientist runs. Set the lake's root and the tenant first,
-- then run this file and any question file in the same session:
--
--   SET VARIABLE lake = '/data/lake';
--   SET VARIABLE tenant = 'pearson';
--   .read sql/duckdb/00_views_tenant.sql
--   .read sql/duckdb/01_assessments.sql
--
-- attempts and questions read only <lake>/<table>/tenant=<tenant>, a table
-- partitioned by ingest_date (or event_date); nothing above the tenant's
-- folder is listed, so a reader who may enter only that folder can run it.
-- (The tenant's quarantined records: getvariable('lake') ||
-- '/_quarantine/tenant=' || getvariable('tenant') || '/*/*.parquet'.)
-- attempts_dedup keeps one row per keen_id: the row with the lowest
-- (kafka_partition, kafka_offset, kafka_topic), the first copy that landed.
-- docs/tenants.md describes the layout; 00_views_all_tenants.sql reads
-- every tenant at once, 00_views.sql a single-tenant lake.
CREATE OR REPLACE VIEW attempts AS
SELECT * FROM read_parquet(
    getvariable('lake') || '/attempts/tenant=' || getvariable('tenant') || '/*/*.parquet',
    hive_partitioning = true);

CREATE OR REPLACE VIEW questions AS
SELECT * FROM read_parquet(
    getvariable('lake') || '/questions/tenant=' || getvariable('tenant') || '/*/*.parquet',
    hive_partitioning = true);

CREATE OR REPLACE VIEW attempts_dedup AS
SELECT * EXCLUDE (keen_rank) FROM (
    SELECT *, row_number() OVER (
        PARTITION BY keen_id ORDER BY kafka_partition, kafka_offset, kafka_topic) AS keen_rank
    FROM attempts
) AS ranked
WHERE keen_rank = 1;
