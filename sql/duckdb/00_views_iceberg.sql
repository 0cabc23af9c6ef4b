-- Views over landerd's Iceberg tables (lake.format: iceberg) for DuckDB,
-- through its iceberg extension (which needs the avro one). Set the
-- attempts table's current metadata file first (a SQL catalog's
-- metadata_location, or <warehouse>/<namespace>/attempts/metadata/vN.metadata.json
-- of a Hadoop catalog, N from version-hint.text), then run this file and any
-- question file in the same session:
--
--   LOAD iceberg;
--   SET VARIABLE attempts_metadata = '/data/wh/lake/attempts/metadata/v3.metadata.json';
--   .read sql/duckdb/00_views_iceberg.sql
--   .read sql/duckdb/01_assessments.sql
--
-- The view reads that metadata file's current snapshot; for an earlier one,
-- iceberg_scan(..., snapshot_from_id = <snapshot id>).
-- attempts_dedup keeps one row per keen_id: the row with the lowest
-- (kafka_partition, kafka_offset, kafka_topic), the first copy that landed.
CREATE OR REPLACE VIEW attempts AS
SELECT * FROM iceberg_scan(getvariable('attempts_metadata'));

CREATE OR REPLACE VIEW attempts_dedup AS
SELECT * EXCLUDE (keen_rank) FROM (
    SELECT *, row_number() OVER (
        PARTITION BY keen_id ORDER BY kafka_partition, kafka_offset, kafka_topic) AS keen_rank
    FROM attempts
) AS ranked
WHERE keen_rank = 1;
