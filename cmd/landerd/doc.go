// Command landerd lands a Kafka topic of assessment attempts in a Parquet
// lake, exactly once.
//
// Usage:
//
//	landerd run [--config FILE] [--brokers B] [--topic T] [--group G] [--lake URL] [--max-file-age D]
//	landerd produce --brokers B --topic T --file F
//	landerd demo [--file F] [--lake DIR] [--count N]
//	landerd report [--lake URL | --config FILE] [--pass-threshold X] [--json]
//	landerd compact [--config FILE] [--table T] [--tenant T] [--target-file-size 128MiB] [--dry-run]
//	landerd expire [--config FILE] [--table T] [--tenant T] [--older-than 168h] [--retain-last N] [--dry-run]
//	landerd healthcheck [--url http://127.0.0.1:9464/healthz] [--timeout D]
//	landerd version
//
// Exit codes: 0 success, 1 runtime failure, 2 bad configuration or usage.
package main
