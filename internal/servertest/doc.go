// Package servertest holds the two pieces that the test-only packages which
// start a real server as a process (Kafka, HDFS, a KDC, Prometheus, Trino)
// share: a free 127.0.0.1 address to give the server, and the last lines of
// its log to show when it fails. Starting, waiting for and stopping each
// server stays in its own package. The shipped binary never imports it.
package servertest
