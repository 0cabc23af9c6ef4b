// Package e2e proves landerd's delivery contract end to end: every record of
// the topic lands in the lake exactly once, in attempts (with its questions)
// or in _quarantine, whatever happens to the daemon meanwhile.
//
// The tests build the landerd binary once and run it as separate processes
// against an in-process Kafka-compatible broker (internal/fakekafka) on a
// random loopback port, landing into a local lake in a temporary directory
// or into /lake on an in-process HDFS test cluster (internal/fakehdfs) that
// the daemons reach over loopback TCP and the checks read through
// sink.NewHDFS.
// They kill the daemon with SIGKILL at random and at chosen moments, move
// partitions between several daemons of one consumer group while producing
// continues, make the lake's filesystem fail chosen calls
// (LANDERD_INJECT_FAULTS, which only a binary built with the faultinject
// tag reads, as the tests build it), and stop the daemon with SIGTERM
// while it lands.
// Afterwards they read every Parquet file of the lake back and check
// (test/kit/lakecheck, which the soak uses too) that each (partition,
// offset) of the topic appears exactly once across attempts and
// _quarantine, in the table the generated record belongs to, that
// questions rows belong to landed attempts only, and that no temporary
// file is left behind.
//
// The package holds only tests. Run them with
//
//	go test ./test/e2e/
//
// The protocol under test is described in docs/exactly-once.md. The tests:
//
//   - TestSIGKILLExactlyOnce: 50,000 attempts over 4 partitions, seven
//     SIGKILLs (at random, right after a flush, right after an assignment,
//     during the shutdown flush) with restarts while records keep arriving.
//   - TestSIGKILLExactlyOnceHDFS: the same with the lake on HDFS, 20,000
//     attempts and five SIGKILLs.
//   - TestHDFSOutagesExactlyOnce: the NameNode unreachable for 30 seconds,
//     and a DataNode dropping a block write mid-file, while landing; the
//     daemon keeps running, backs off, never commits an offset the lake
//     does not hold, and catches up.
//   - TestNameNodeRestartExactlyOnceRealHDFS, TestDataNodeStoppedExactlyOnceRealHDFS,
//     TestSIGKILLExactlyOnceRealHDFS: landing from Apache Kafka into Apache
//     HDFS (test/system/minidfs) while the NameNode restarts three times during
//     flushes, while one of three DataNodes stops as files are written, and
//     across SIGKILLs (realhdfs_test.go).
//   - TestRebalanceUnderLoad: 40,000 attempts over 6 partitions, daemons
//     joining, leaving with SIGTERM and dying with SIGKILL.
//   - TestRebalanceUnderLoadHDFS: the same with the lake on HDFS, 15,000
//     attempts.
//   - TestStalledMemberIsFenced: a daemon frozen with SIGSTOP past the
//     session timeout must not publish for the partitions it lost.
//   - TestStorageFaultsExactlyOnce: failing create, write, close, rename,
//     mkdir, open and remove calls spread over a run of 12,000 attempts.
//   - TestStorageFaultsExactlyOnceHDFS: the same faults, at the -short size,
//     with the lake on HDFS.
//   - TestGracefulShutdown: SIGTERM while landing exits 0 within
//     shutdown.deadline with everything consumed published and committed.
//   - TestSIGKILLExactlyOnceRealKafka, TestRebalanceUnderLoadRealKafka:
//     the same scenarios against Apache Kafka 4.x run as a real process
//     (test/system/kafkacluster), and TestSIGKILLExactlyOnceKafka39 against
//     Kafka 3.9.
//   - TestBrokerFailureRealKafka: the group's coordinator among three
//     brokers killed and restarted while two daemons land.
//   - TestCrashLoopRecoversRealKafka: five SIGKILLs within 10 s with the
//     production group timing and a stable kafka.instance_id; the sixth
//     instance must land every partition within the session timeout + 15 s.
//   - TestCrashLoopAtDefaultsRealKafka: the same crash loop with no
//     kafka.instance_id, so the id landerd derives from the host name and
//     a per-host slot; the sixth instance must land every partition within
//     15 s of its start (membership_test.go, as the three below).
//   - TestRollingRestartRealKafka: three replicas on three brokers replaced
//     one at a time under new explicit instance ids while records arrive
//     (start the new one, wait for its assignment, SIGTERM an old one); no
//     partition is without an owner for more than 5 s, measured from the
//     daemons' "partition assigned" and "partition released" log lines.
//   - TestScaleDownRealKafka: three replicas with the default instance id,
//     two stopped with SIGTERM at once under load; the same 5 s bound.
//   - TestTwoReplicasOneHostRealKafka: two replicas on one host with the
//     default instance id keep their partitions for 2 minutes under load:
//     no exit, no fencing, no rebalance after the first assignment.
//   - TestFencedInstanceExitsRealKafka: a second process joins under a
//     running one's instance id; the first exits 1 naming the id and
//     publishes nothing after it is fenced (fencing_test.go).
//   - TestRetentionGapRealKafka, TestTopicRecreatedRealKafka,
//     TestPartitionsAddedRealKafka: retention deleting records before they
//     landed (the gap recorded in the lake, under kafka.on_retention_gap
//     stop and continue), the topic deleted and created again (refused,
//     the lake untouched), partitions added while landing (landed from
//     their first offset without a restart) (anomalies_test.go). The lake
//     check accepts missing offsets only where the lake records a gap, and
//     only in tests that allow gaps.
//   - TestSIGKILLExactlyOnceIcebergRealKafka,
//     TestRebalanceUnderLoadIcebergRealKafka, TestBrokerFailureIcebergRealKafka:
//     the same scenarios, smaller, with lake.format iceberg on a SQL catalog
//     in a real PostgreSQL (test/system/postgres). The lake check then reads
//     each table's current snapshot through the catalog rather than its
//     folder, and each table's landerd.offsets must agree with the lake's
//     state (iceberg_test.go, as the two below).
//   - TestCatalogRestartIcebergRealKafka: PostgreSQL stopped for 20 s while
//     landing; the failed commits are logged, /readyz names the catalog,
//     nothing is committed to Kafka meanwhile, and landing resumes.
//   - TestConcurrentCommitsIcebergRealKafka: three replicas on 12 partitions
//     committing to the same tables; their conflicts are counted in
//     landerd_iceberg_commit_conflicts_total and retried.
//   - TestCompactUnderSIGKILLIcebergRealHDFS: `landerd compact` processes
//     run one after another while a daemon lands from Apache Kafka into
//     Iceberg tables on Apache HDFS, some compactions and some daemons
//     SIGKILLed; then a last compaction and `landerd expire`. Every record
//     once in the tables, every file of their data folders in the current
//     snapshot or accounted for by the compactions, and `landerd report`
//     and Spark reading the tables alike (compaction_test.go).
//   - TestLakeCheckCatchesViolations: the lake check itself fails on
//     duplicated, lost and leftover files.
//   - TestOwnerGaps: the measurement of time without owner itself, on
//     made-up ownerships (ownership_test.go).
//
// With -short every test lands fewer records, kills fewer times and
// injects fewer faults, and the NameNode outage lasts 5 seconds. The random moments are drawn from a seed that is
// logged; set LANDERD_E2E_SEED to replay a run. The daemons' logs are kept
// in a temporary directory and their last lines shown when a test fails;
// set LANDERD_E2E_LOGS to a directory to keep them all.
package e2e
