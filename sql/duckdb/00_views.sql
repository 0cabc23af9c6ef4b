-- Views over the landerd lake for DuckDB. Set the lake's root first, then
-- run this file and any question file in the same session:
--
--   SET VARIABLE lake = '/data/lake';
--   .read sql/duckdb/00_views.sql
--   .read sql/duckdb/01_assessments.sql
--
-- attempts and questions read every published Parquet file of their table;
-- ingest_date (or event_date) comes from the Hive folder names. (_quarantine
-- exists only once a record was quarantined: read it the same way, from
-- getvariable('lake') || '/_quarantine/*/*.parquet'.)
-- attempts_dedup keeps one row per keen_id: the row with the lowest
-- (kafka_partition, kafka_offset, kafka_topic), the first copy that landed.
CREATE OR REPLACE VIEW attempts AS
SELECT * FROM read_parquet(getvariable('lake') || '/attempts/*/*.parquet', hive_partitioning = true);

CREATE OR REPLACE VIEW questions AS
SELECT * FROM read_parquet(getvariable('lake') || '/questions/*/*.parquet', hive_partitioning = true);

CREATE OR REPLACE VIEW attempts_dedup AS
SELECT * EXCLUDE (keen_rank) FROM (
    SELECT *, row_number() OVER (
        PARTITION BY keen_id ORDER BY kafka_partition, kafka_offset, kafka_topic) AS keen_rank
    FROM attempts
) AS ranked
WHERE keen_rank = 1;
