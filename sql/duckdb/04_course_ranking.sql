-- 4. Which course is taken least, and which most?
-- DuckDB; run sql/duckdb/00_views.sql first.
-- Rows with basis 'raw' count every row of attempts; 'dedup' counts each
-- keen_id once (attempts_dedup).
-- Both ends of the ranking of courses (exam_name) by attempts: the top and
-- bottom 5 places, ties sharing a place (1, 2, 2, 4), so a tie with the 5th
-- place lists every tied course.
WITH counts AS (
    SELECT 'raw' AS basis, exam_name, count(*) AS attempts
    FROM attempts WHERE exam_name IS NOT NULL GROUP BY exam_name
    UNION ALL
    SELECT 'dedup' AS basis, exam_name, count(*) AS attempts
    FROM attempts_dedup WHERE exam_name IS NOT NULL GROUP BY exam_name
), ranked AS (
    SELECT basis, exam_name, attempts,
           rank() OVER (PARTITION BY basis ORDER BY attempts DESC) AS most_rank,
           rank() OVER (PARTITION BY basis ORDER BY attempts ASC) AS least_rank
    FROM counts
)
SELECT basis, 'most' AS ranking_end, most_rank AS course_rank, exam_name, attempts
FROM ranked WHERE most_rank <= 5
UNION ALL
SELECT basis, 'least' AS ranking_end, least_rank AS course_rank, exam_name, attempts
FROM ranked WHERE least_rank <= 5
ORDER BY basis DESC, ranking_end DESC, course_rank, exam_name;
