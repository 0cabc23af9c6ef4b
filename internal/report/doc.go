// Package report answers the business questions of the lake (how many
// assessments, which topic, who took a course, the course ranking, the
// average score, the pass share and the average time to complete) from the
// landed attempts alone.
//
// Every figure is computed twice: over the raw rows of the attempts table,
// which mirrors the Kafka topic and so holds an attempt as often as it was
// sent, and over attempts deduplicated by keen_id, keeping each keen_id's row
// with the lowest (kafka_partition, kafka_offset, kafka_topic). An
// [Accumulator] does the pure computation over Arrow record batches; [Read]
// feeds it the lake's files one at a time through a [sink.ReadFS], so the
// same code reads a local or an HDFS lake, and needs only to read it.
//
// A multi-tenant lake has the tenant as the first Hive partition level of
// every table (<table>/tenant=<T>/ingest_date=<D>/...). [Read] with
// [Options].Tenant set reads one tenant's directories and nothing above
// them, as a tenant's reader, who may not list a table's directory, must;
// without it, it reads every tenant, as the firm's analysts do.
package report
