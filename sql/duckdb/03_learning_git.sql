-- 3. How many people took "Learning Git"?
-- DuckDB; run sql/duckdb/00_views.sql first.
-- Rows with basis 'raw' count every row of attempts; 'dedup' counts each
-- keen_id once (attempts_dedup).
-- The data has no learner id, so people are counted as attempts at the
-- exam: rows (raw), and distinct keen_id (dedup; also shown over raw rows).
SELECT 'raw' AS basis, count(*) AS attempts, count(DISTINCT keen_id) AS distinct_keen_ids
FROM attempts WHERE exam_name = 'Learning Git'
UNION ALL
SELECT 'dedup' AS basis, count(*) AS attempts, count(DISTINCT keen_id) AS distinct_keen_ids
FROM attempts_dedup WHERE exam_name = 'Learning Git'
ORDER BY basis DESC;
