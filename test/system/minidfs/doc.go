// Package minidfs runs Apache HDFS for tests: a MiniDFSCluster (one
// NameNode, three DataNodes by default, permission checking on) started as
// a process of its own by scripts/hdfs/launcher.sh, on 127.0.0.1, and
// controlled through the launcher's line protocol on its standard input:
// stop and restart DataNodes, restart the NameNode, create directories as
// the superuser and put users in groups.
//
// Only tests and the soak bench (bench/soak, through New) import this
// package. The launcher installs Hadoop on first use
// (scripts/hdfs/install.sh: Maven into
// ${LANDERD_CACHE:-$HOME/.cache/landerd}), so the first start can take a
// minute or two; later ones take about 15 seconds. When Java, Maven or the
// download fails, Start fails the test with the cause and the launcher's
// last log lines; it never skips.
//
// Its own tests check the launcher and run pkg/sink's conformance suite
// and landerd's HDFS behaviour (leases, permissions, restarts, a DataNode
// lost mid-write) against the real cluster; docs/hdfs.md says which claim
// is proven where.
package minidfs
