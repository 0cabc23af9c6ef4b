-- 2. What is the Kafka topic's name?
-- Trino: trino --catalog hive --schema landerd -f FILE, after sql/trino/00_tables.sql.
-- Rows with basis 'raw' count every row of attempts; 'dedup' counts each
-- keen_id once (attempts_dedup).
-- From the kafka_topic lineage column: every topic the attempts were read
-- from, with the attempts read from it.
SELECT 'raw' AS basis, kafka_topic, count(*) AS attempts FROM attempts GROUP BY kafka_topic
UNION ALL
SELECT 'dedup' AS basis, kafka_topic, count(*) AS attempts FROM attempts_dedup GROUP BY kafka_topic
ORDER BY basis DESC, kafka_topic;
