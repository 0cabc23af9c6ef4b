// Package lake opens the lake a configuration names: lake.url, a
// directory on the local filesystem or on HDFS, with the hdfs section
// (user, timeouts, umask, group, and a Kerberos login with a keytab when
// hdfs.kerberos is on).
//
// [Open] opens it for landing, as landerd run, landerd demo and the
// benchmark's profiled lander do: it creates a missing root and, with
// tenancy on, checks that landerd's user may give every tenant's group
// before it guards the lake with [sink.WithAccess]. [WithWrap] lets a
// test build wrap the filesystem (in a fault injector) without this
// package knowing of one. [OpenReadOnly] opens it for reading, as
// landerd report does: it creates and changes nothing, not even the root's
// group, so that a user who may only read can report, and what it returns
// implements [sink.ReadFS] alone.
//
// An error that is the configuration's fault (a malformed URL, a scheme
// this build does not open, a Kerberos principal without a realm, a
// tenant's group the local system lacks) matches [ErrConfig].
package lake
