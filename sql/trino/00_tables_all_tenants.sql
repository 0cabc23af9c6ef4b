-- Register a MULTI-TENANT landerd lake with Trino's Hive connector, once,
-- as one table per kind partitioned by (tenant, ingest_date): the firm's
-- analysts' view of every tenant. Replace ${lake} with the lake's root
-- (e.g. hdfs://namenode:8020/data/lake) and "hive" with the name of your
-- Hive catalog, then run:
--
--   trino --catalog hive -f sql/trino/00_tables_all_tenants.sql
--   trino --catalog hive --schema landerd -f sql/trino/01_assessments.sql
--
-- tenant is a column: WHERE tenant = 'pearson' or GROUP BY tenant splits
-- any question by tenant. The quarantine table holds tenant '_unassigned'
-- for the records whose tenant is missing or unknown. A tenant's own
-- reader registers its tenant with 00_tables_tenant.sql instead;
-- docs/tenants.md describes the layout. Everything else is as in
-- 00_tables.sql: the tables are external (dropping them leaves the files
-- alone), column types follow docs/schema.md, timestamps read as
-- timestamp(6) in UTC (set hive.timestamp-precision = MICROSECONDS), and
-- the sync_partition_metadata calls are re-run when new folders appear.
-- For a lake partitioned by event_date, rename ingest_date to event_date
-- in attempts and questions.
CREATE SCHEMA IF NOT EXISTS hive.landerd;

CREATE TABLE IF NOT EXISTS hive.landerd.attempts (
    keen_id varchar,
    keen_timestamp timestamp(6),
    keen_created_at timestamp(6),
    started_at timestamp(6),
    base_exam_id varchar,
    user_exam_id varchar,
    exam_name varchar,
    certification boolean,
    max_attempts integer,
    sequence_id varchar,
    sequence_attempt integer,
    counts_correct integer,
    counts_incorrect integer,
    counts_incomplete integer,
    counts_submitted integer,
    counts_unanswered integer,
    counts_total integer,
    counts_all_correct boolean,
    score double,
    question_count integer,
    option_count integer,
    first_answer_at timestamp(6),
    completed_at timestamp(6),
    duration_seconds double,
    unknown_fields varchar,
    kafka_topic varchar,
    kafka_partition integer,
    kafka_offset bigint,
    kafka_timestamp timestamp(6),
    landed_at timestamp(6),
    tenant varchar,
    ingest_date date
)
WITH (
    external_location = '${lake}/attempts',
    format = 'PARQUET',
    partitioned_by = ARRAY['tenant', 'ingest_date']
);

CALL hive.system.sync_partition_metadata('landerd', 'attempts', 'FULL');

CREATE TABLE IF NOT EXISTS hive.landerd.questions (
    keen_id varchar,
    user_exam_id varchar,
    base_exam_id varchar,
    question_index integer,
    question_id varchar,
    user_correct boolean,
    user_incomplete boolean,
    user_submitted boolean,
    user_result varchar,
    option_count integer,
    options_checked integer,
    options_correct integer,
    first_answer_at timestamp(6),
    last_answer_at timestamp(6),
    options array(row(id varchar, checked boolean, correct boolean, submitted integer, "at" timestamp(6))),
    unknown_fields varchar,
    kafka_topic varchar,
    kafka_partition integer,
    kafka_offset bigint,
    kafka_timestamp timestamp(6),
    landed_at timestamp(6),
    tenant varchar,
    ingest_date date
)
WITH (
    external_location = '${lake}/questions',
    format = 'PARQUET',
    partitioned_by = ARRAY['tenant', 'ingest_date']
);

CALL hive.system.sync_partition_metadata('landerd', 'questions', 'FULL');

-- _quarantine exists only once a record was quarantined; create this table
-- after it appears.
CREATE TABLE IF NOT EXISTS hive.landerd.quarantine (
    reason varchar,
    field varchar,
    detail varchar,
    kafka_key varbinary,
    raw varbinary,
    kafka_topic varchar,
    kafka_partition integer,
    kafka_offset bigint,
    kafka_timestamp timestamp(6),
    landed_at timestamp(6),
    tenant varchar,
    ingest_date date
)
WITH (
    external_location = '${lake}/_quarantine',
    format = 'PARQUET',
    partitioned_by = ARRAY['tenant', 'ingest_date']
);

CALL hive.system.sync_partition_metadata('landerd', 'quarantine', 'FULL');

-- attempts_dedup keeps one row per keen_id: the row with the lowest
-- (kafka_partition, kafka_offset, kafka_topic), the first copy that landed.
CREATE OR REPLACE VIEW hive.landerd.attempts_dedup AS
SELECT * FROM (
    SELECT *, row_number() OVER (
        PARTITION BY keen_id ORDER BY kafka_partition, kafka_offset, kafka_topic) AS keen_rank
    FROM hive.landerd.attempts
) AS ranked
WHERE keen_rank = 1;
