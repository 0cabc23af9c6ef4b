-- 5. What is the overall average score?
-- DuckDB; run sql/duckdb/00_views.sql first.
-- Rows with basis 'raw' count every row of attempts; 'dedup' counts each
-- keen_id once (attempts_dedup).
-- score = counts_correct / counts_total; attempts without a score (no
-- counts in the message) are left out, and counted in scored_attempts.
SELECT 'raw' AS basis, count(score) AS scored_attempts, avg(score) AS avg_score FROM attempts
UNION ALL
SELECT 'dedup' AS basis, count(score) AS scored_attempts, avg(score) AS avg_score FROM attempts_dedup
ORDER BY basis DESC;
