// Package isolation proves, on Apache HDFS with permission checking on,
// that the tenants of a multi-tenant lake cannot read each other's data:
// landerd's user lands three tenants through pkg/sink over
// sink.WithAccess, then the tenants' users, the firm's analysts and Spark
// read the lake with Hadoop's own client (test/system/minidfs) and are let in
// or refused exactly as the lake's permissions prescribe. The built landerd
// binary is run as those users too: landerd report as a tenant's user
// answers for its own tenant and is refused the others', and landerd run as
// a user missing from a tenant's group stops at start-up naming the group.
//
// The package holds tests only. They start a MiniDFSCluster
// (scripts/hdfs/launcher.sh) and the project's Python virtualenv with
// pyspark (scripts/python/py); a system that cannot be installed or
// started fails the tests, naming it.
package isolation
