// Package servertest holds the small pieces that the test-only packages
// which start a real server as a process (Kafka, HDFS, a KDC, Prometheus,
// Trino) share: a free 127.0.0.1 address to give the server, the last lines
// of its log to show when it fails, and its peak memory to report. Starting,
// waiting for and stopping each server stays in its own package. The shipped
// binary never imports it.
package servertest
