// Package postgres runs a real PostgreSQL server as a process for tests:
// a fresh cluster (initdb) in the test's temporary directory, listening on
// a free 127.0.0.1 port with password (SCRAM-SHA-256) authentication, and
// one database owned by one ordinary user, named by a DSN for Go's drivers
// and by a JDBC URL, user and password for Java readers.
//
// Start installs the server when it is missing (the repository's
// scripts/postgres/install.sh, Debian's postgresql package through
// apt-get), and the test's cleanup stops it. PostgreSQL refuses to run as
// root, so a test running as root runs initdb and the server as Debian's
// postgres user and hands it the cluster's directory; any other user runs
// them as itself. The server can be stopped (fast or immediate shutdown)
// and started again on the same port and data directory, for tests of
// what a client does while its database is away.
//
// Launch does the same for a program that is not a test (bench's
// compact-day), returning what Start fails the test with.
//
// Only tests and the benchmarks import this package: every problem (no
// apt-get, no postgres user when root, a cluster that cannot be created, a
// server that does not accept connections) fails the test with a message
// naming PostgreSQL and the cause (Launch returns it); it never skips.
package postgres
