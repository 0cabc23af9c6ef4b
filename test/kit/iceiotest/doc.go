// Package iceiotest is the conformance suite of internal/iceio, the
// Iceberg FileIO of an HDFS lake: one suite run against the in-process
// fake cluster (internal/fakehdfs, in the fast loop) and against Apache
// HDFS (test/system/minidfs), so that both behave the same where
// iceberg-go's catalogs rely on them.
package iceiotest
