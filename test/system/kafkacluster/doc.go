// Package kafkacluster starts Apache Kafka brokers as real processes for
// tests: one combined broker and controller in KRaft mode, or a cluster of
// several, each a separate `java kafka.Kafka` process listening on free
// loopback ports, with its data and logs in a temporary directory.
//
// Start installs the requested Kafka version when it is missing, by running
// the repository's scripts/kafka/install.sh (Maven resolves the jars into
// ${LANDERD_CACHE:-$HOME/.cache/landerd}/kafka-VERSION/libs), formats each
// node's storage with kafka.tools.StorageTool, starts the brokers and waits
// until every one of them answers metadata requests. Tests then create
// topics, produce, read end offsets, and fail brokers for real: Kill sends
// SIGKILL, Stop SIGTERM (a controlled shutdown), Restart starts a stopped
// broker again on its ports and data.
//
// With Config.Security the cluster is secured as in production: a SASL_SSL
// listener serving certificates the test made with NewCertificates,
// SCRAM-SHA-512 users created when the storage is formatted, and the
// standard authorizer denying whatever no ACL allows (CreateACLs adds
// rules). The PLAINTEXT listener stays, as the brokers' own and the tests'
// super-user door; SecureAddrs and SecureClient reach the secured one.
//
// Only tests and the soak bench (bench/soak, through New) import this
// package: Start reports every problem (no Java, no Maven, Maven Central
// refusing the download, a broker that does not come up) as a test failure
// naming Apache Kafka and the cause, never as a skip.
package kafkacluster
