-- 6. What share of attempts passed (score above 0.70)?
-- Spark SQL; run sql/spark/00_views.sql first in the same session.
-- Rows with basis 'raw' count every row of attempts; 'dedup' counts each
-- keen_id once (attempts_dedup).
-- Pass = score > 0.70 (change the threshold in both places); the share is
-- over attempts with a known score.
SELECT 'raw' AS basis, count(score) AS scored_attempts,
       count(CASE WHEN score > 0.70 THEN 1 END) AS passed_attempts,
       CAST(count(CASE WHEN score > 0.70 THEN 1 END) AS DOUBLE) / NULLIF(count(score), 0) AS pass_share
FROM attempts
UNION ALL
SELECT 'dedup' AS basis, count(score) AS scored_attempts,
       count(CASE WHEN score > 0.70 THEN 1 END) AS passed_attempts,
       CAST(count(CASE WHEN score > 0.70 THEN 1 END) AS DOUBLE) / NULLIF(count(score), 0) AS pass_share
FROM attempts_dedup
ORDER BY basis DESC;
