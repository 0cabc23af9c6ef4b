-- 7. On average, how long does an attempt take to complete?
-- Trino: trino --catalog hive --schema landerd -f FILE, after sql/trino/00_tables.sql.
-- Rows with basis 'raw' count every row of attempts; 'dedup' counts each
-- keen_id once (attempts_dedup).
-- duration_seconds = completed_at - started_at, where completed_at is the
-- latest answer time of the attempt; attempts where either is unknown (no
-- option was touched) are left out, and counted in timed_attempts.
SELECT 'raw' AS basis, count(duration_seconds) AS timed_attempts,
       avg(duration_seconds) AS avg_duration_seconds FROM attempts
UNION ALL
SELECT 'dedup' AS basis, count(duration_seconds) AS timed_attempts,
       avg(duration_seconds) AS avg_duration_seconds FROM attempts_dedup
ORDER BY basis DESC;
