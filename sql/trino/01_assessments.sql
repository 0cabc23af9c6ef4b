-- 1. How many assessments are in the data set?
-- Trino: trino --catalog hive --schema landerd -f FILE, after sql/trino/00_tables.sql.
-- Rows with basis 'raw' count every row of attempts; 'dedup' counts each
-- keen_id once (attempts_dedup).
-- An assessment is a distinct base_exam_id (null ids are not counted).
SELECT 'raw' AS basis, count(DISTINCT base_exam_id) AS assessments FROM attempts
UNION ALL
SELECT 'dedup' AS basis, count(DISTINCT base_exam_id) AS assessments FROM attempts_dedup
ORDER BY basis DESC;
