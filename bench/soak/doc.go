// Command soak runs landerd for a long while against Apache Kafka and
// Apache HDFS while they fail, and checks that it neither loses nor repeats
// a record and that it does not grow: goroutines, resident memory and open
// files.
//
// It starts, every listener on 127.0.0.1, each stopped at the end and each
// killed with the harness should it die:
//
//   - Apache Kafka, three brokers (test/system/kafkacluster), and a topic of
//     -partitions (4) partitions replicated three times, with
//     min.insync.replicas 2;
//   - Apache HDFS, a MiniDFSCluster of three DataNodes (test/system/minidfs)
//     with the end-to-end tests' settings: 256 KiB blocks, two replicas of
//     each, and DataNodes whose heartbeats are late avoided for new blocks;
//     the lake is /lake, owned by the HDFS user lander;
//   - landerd, built from ./cmd/landerd (or -landerd), as `landerd run` in
//     a process of its own with the production defaults except
//     lake.roll.max_file_age (-max-file-age, 10s, so that files publish
//     often), its lake on hdfs://, its HDFS user lander and its metrics
//     server on a free loopback port;
//   - a producer writing generated attempts (internal/attemptgen: 1%
//     malformed, 1% resent) at a steady -rate (50 a second), round robin
//     over the partitions, with acks=all.
//
// For -duration (20m) it then fails things on a schedule. Every
// -datanode-every (2m) it stops a DataNode, the three in turn, and
// restarts it -datanode-down (45s) later. Twice, at the odd minutes
// nearest a third and two thirds of the run, it stops the broker that
// coordinates landerd's group, with SIGTERM the first time and SIGKILL the
// second, and restarts it -broker-down (20s) later. Every -sample-every
// (1m) it samples the daemon: go_goroutines from its /metrics, VmRSS from
// /proc/PID/status and the entries of /proc/PID/fd, and prints a row of
// the table.
//
// At the end it stops the producer, waits until the lake shows every
// record of the topic landed (-drain-timeout, 5m), samples the daemon once
// more, sends it SIGTERM, and checks that:
//
//   - the daemon exited with code 0;
//   - every (partition, offset) below the topic's end offsets is in the
//     lake's attempts or _quarantine table exactly once, in the table its
//     record belongs to, the lake records no offset as lost, and no
//     temporary file is left behind (test/kit/lakecheck, as the end-to-end
//     tests check);
//   - the least-squares slope per hour of each sampled figure, over the
//     samples from -warmup (half the run) to its end, is at most its
//     tolerance: -max-goroutines-slope (30), -max-rss-slope (100 MiB),
//     -max-fds-slope (30).
//
// The figures swing with the fault schedule: a sample taken while a
// DataNode is down finds the daemon backing off with its partitions
// released (about 20 goroutines instead of 50), and after each outage it
// catches up a minute's backlog, which raises the heap. So the slopes are
// fitted to the means of consecutive samples spanning one -datanode-every
// period, which one sample a minute would otherwise tilt by where the
// swings fall; and the warm-up is long, since the resident set climbs for
// several outages (from 60 to 120 MiB over the first 10 minutes of the
// first run) before it levels off. A 20-minute run resolves growth of
// tens of MiB an hour at best; -duration 2h resolves less.
//
// It prints the figures, the faults and a summary of the daemon's warnings
// and errors, and exits 1 when a check fails, 2 for bad flags.
//
// Usage, from the module root (`make soak` runs the first):
//
//	go run ./bench/soak
//	go run ./bench/soak -duration 1h -rate 100
//	go run ./bench/soak -landerd ./bin/landerd -keep
//
// What the run writes goes under a new temporary directory: the daemon's
// log (landerd.log), its configuration, the HDFS launcher's log
// (hdfs.log), the brokers' data and logs (kafka/) and the cluster's data
// (hdfs/). It is removed at the end unless -keep is given or a check
// failed.
//
// The harness needs Java 17 and Maven (the clusters' install scripts fetch
// Kafka and Hadoop on first use). It takes about two cores' worth of a
// small machine while the clusters start, and little after: the brokers,
// the NameNode and DataNodes, and the daemon share the rate's work.
package main
