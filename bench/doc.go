// Command bench is landerd's end-to-end benchmark harness.
//
// It starts the in-process Kafka-compatible broker (internal/fakekafka) with a
// topic of generated attempts (internal/attemptgen), then measures, in the
// same run and against the same topic:
//
//   - baseline: a bare sarama consumer group, with landerd's sarama version
//     and fetch settings, that reads the whole topic and discards it; and
//   - landerd: the real daemon binary (built from ./cmd/landerd) running
//     `landerd run` with the production defaults, until every partition's
//     published state in the lake reaches the topic's end offsets; and
//   - landerd-iceberg: the same with lake.format iceberg, its tables in the
//     hadoop catalog on the local lake (no server), until every table that
//     got files of a partition's last flush has committed it as well. Before
//     it stops, the harness scrapes its commit histogram
//     (landerd_iceberg_commit_duration_seconds) and conflicts; after, it
//     counts each table's snapshots, metadata files and manifests.
//
// The two landerd sides run one after the other in every run, in the
// opposite order every other run, so that they share the machine's minutes;
// -formats hive or -formats iceberg measures one (an older -landerd binary
// knows only hive).
//
// Each side runs as a child process, so its wall time, CPU seconds (user +
// system, from the child's rusage) and peak RSS are its own and not the
// broker's. The broker stays in the harness process and shares the
// machine's cores with the child, as a local Kafka broker would.
//
// Peak RSS is the child's VmHWM from /proc, sampled every 10ms. The
// child's ru_maxrss is not used: Go starts children sharing the parent's
// address space until exec, and Linux carries that address space's
// high-water mark into the child's ru_maxrss, so it would report the
// harness's own RSS (about twice the topic) for every child. It is kept in
// the JSON output as rusage_maxrss_bytes for reference.
//
// Usage, from the module root:
//
//	go run ./bench [-n 300000] [-partitions 4] [-runs 1] [-formats hive,iceberg] [-json]
//	go run ./bench -rss-sweep 100000,300000,600000
//	go run ./bench -n 300000 -cpuprofile cpu.pprof
//
// -brokers host:port,... runs against real Apache Kafka brokers instead of
// the in-process one: the harness waits for them to answer, creates a fresh
// topic (replication factor 1) named after the benchmark topic, fills it,
// measures, and deletes it. bench/kafka.sh starts a single-node KRaft
// broker from the cached Kafka install (`make bench-kafka` does both):
//
//	bench/kafka.sh 19092 &
//	go run ./bench -brokers 127.0.0.1:19092
//	kill %1
//
// -rss-sweep runs landerd alone against growing backlogs of one topic and
// prints its peak RSS for each, which memory.budget_bytes should keep flat.
// -cpuprofile additionally lands the topic with internal/lander running
// inside a child of the harness under the CPU profiler (the daemon has no
// profiling hook), set up as `landerd run` sets it up (the lake opened by
// internal/lake, the soft memory limit from memory.budget_bytes), and
// writes the profile for `go tool pprof`.
//
// landerd publishes a partition's buffered records when its file is full or
// when the oldest of them reaches lake.roll.max_file_age. A benchmark topic
// fills no file, so the harness passes --max-file-age (flag -max-file-age,
// default 1s): the last records of each partition land at most that long
// after they are read, and the landerd wall time includes that tail.
//
// compact-day (`make bench-compact`) measures compacting a day of files at
// the default roll instead, with no Kafka: at lake.roll.max_file_age 5m
// (-max-file-age) 12 partitions (-partitions) flush 12 x 288 = 3,456 times
// a day, each flush -per-flush records (30: about 100k attempts a day) of
// internal/attemptgen, a few malformed (-bad-rate) and resent
// (-duplicate-rate). The harness starts PostgreSQL (test/system/postgres)
// and lands the day in a child of its own: every flush decoded and
// flattened by pkg/flatten, written with landerd's writer settings and the
// tables' file schemas and published by pkg/sink, then committed by
// internal/icetable's Tables.Commit into the sql catalog, one flush after
// another, their landed_at spread over the day (one ingest_date). It then
// starts Trino (test/system/trino, the views of
// sql/trino/00_views_iceberg.sql) and one Spark session
// (landerd_lake.iceberg --serve, in the Iceberg venv), runs the seven
// question files in each (-warmup rounds, then -runs rounds timed, the
// engines alternating), runs `landerd compact` as a child (wall time, user
// + system CPU and ru_maxrss from its rusage, and its VmHWM sampled), and
// runs the questions again in the same two engines. It prints the file
// and snapshot counts of every table before and after (Trino's $files and
// $snapshots), the compaction's cost, each engine's rounds, the median
// ratio after/before, whether every round gave the same answers, and the
// load average at each step:
//
//	go run ./bench compact-day [-partitions 12] [-max-file-age 5m] [-per-flush 30] [-runs 3] [-json-file day.json]
//
// Any system that cannot be installed or started (PostgreSQL, Trino on
// Java 24+, the venv of scripts/python/install-iceberg.sh) ends the run
// with an error naming it.
//
// The package's Go benchmarks split the owner's per-record CPU between
// flattening (BenchmarkFlatten) and Parquet encoding under several writer
// settings (BenchmarkParquet):
//
//	go test -run '^$' -bench . ./bench
package main
