-- 1. How many assessments are in the data set?
-- Spark SQL; run sql/spark/00_views.sql first in the same session.
-- Rows with basis 'raw' count every row of attempts; 'dedup' counts each
-- keen_id once (attempts_dedup).
-- An assessment is a distinct base_exam_id (null ids are not counted).
SELECT 'raw' AS basis, count(DISTINCT base_exam_id) AS assessments FROM attempts
UNION ALL
SELECT 'dedup' AS basis, count(DISTINCT base_exam_id) AS assessments FROM attempts_dedup
ORDER BY basis DESC;
