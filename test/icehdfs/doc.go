// Package icehdfs tests Iceberg tables on an HDFS lake against real
// systems: Apache HDFS (a MiniDFSCluster, test/system/minidfs) and, for
// the SQL catalog, PostgreSQL (test/system/postgres). landerd lands
// through both catalogs there and the tables are read back through
// iceberg-go and landerd's report; many committers race on one table of
// the hadoop catalog to show its commit atomic on HDFS. A system that
// cannot start fails the tests; none is skipped.
package icehdfs
