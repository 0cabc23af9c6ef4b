-- Views over EVERY tenant of a multi-tenant landerd lake, for DuckDB: what
-- the firm's analysts run (they read the whole lake). Set the lake's root
-- first, then run this file and any question file in the same session:
--
--   SET VARIABLE lake = '/data/lake';
--   .read sql/duckdb/00_views_all_tenants.sql
--   .read sql/duckdb/01_assessments.sql
--
-- attempts and questions read <lake>/<table> as one table partitioned by
-- (tenant, ingest_date) (or event_date): tenant is a column, so
-- WHERE tenant = 'pearson' or GROUP BY tenant splits any question by
-- tenant. (_quarantine, with tenant = '_unassigned' for the records whose
-- tenant is missing or unknown: getvariable('lake') ||
-- '/_quarantine/*/*/*.parquet'.)
-- attempts_dedup keeps one row per keen_id: the row with the lowest
-- (kafka_partition, kafka_offset, kafka_topic), the first copy that landed.
-- docs/tenants.md describes the layout; 00_views_tenant.sql reads one tenant.
CREATE OR REPLACE VIEW attempts AS
SELECT * FROM read_parquet(getvariable('lake') || '/attempts/*/*/*.parquet', hive_partitioning = true);

CREATE OR REPLACE VIEW questions AS
SELECT * FROM read_parquet(getvariable('lake') || '/questions/*/*/*.parquet', hive_partitioning = true);

CREATE OR REPLACE VIEW attempts_dedup AS
SELECT * EXCLUDE (keen_rank) FROM (
    SELECT *, row_number() OVER (
        PARTITION BY keen_id ORDER BY kafka_partition, kafka_offset, kafka_topic) AS keen_rank
    FROM attempts
) AS ranked
WHERE keen_rank = 1;
