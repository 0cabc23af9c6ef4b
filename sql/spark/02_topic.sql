-- 2. What is the Kafka topic's name?
-- Spark SQL; run sql/spark/00_views.sql first in the same session.
-- Rows with basis 'raw' count every row of attempts; 'dedup' counts each
-- keen_id once (attempts_dedup).
-- From the kafka_topic lineage column: every topic the attempts were read
-- from, with the attempts read from it.
SELECT 'raw' AS basis, kafka_topic, count(*) AS attempts FROM attempts GROUP BY kafka_topic
UNION ALL
SELECT 'dedup' AS basis, kafka_topic, count(*) AS attempts FROM attempts_dedup GROUP BY kafka_topic
ORDER BY basis DESC, kafka_topic;
