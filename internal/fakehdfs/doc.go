// Package fakehdfs runs an in-process HDFS test cluster: one NameNode and
// one DataNode on loopback ports that speak the real Hadoop RPC and data
// transfer protocols, so that the unmodified github.com/colinmarc/hdfs/v2
// client can be tested against it.
//
// The namespace (directories, files, owners, permissions, leases) and the
// blocks (verified against their CRC32C chunk checksums on write) live in
// memory. The NameNode answers the calls that client issues for
// getFileInfo, mkdirs, getServerDefaults, create, addBlock,
// updateBlockForPipeline, complete, rename2, getListing,
// getBlockLocations, delete and renewLease; the DataNode serves block
// writes (op 0x50) and reads (op 0x51). Authentication is SIMPLE only,
// permissions are recorded but enforced only on setOwner (the owner or the
// superuser "hdfs" may call it, and only the superuser may change an
// owner), there are no groups, and leases never expire. Apache HDFS itself
// (test/system/minidfs) covers permissions, leases and restarts; this cluster
// serves the fast loop, the embedded demo, and the faults a real cluster
// cannot be made to show on demand.
//
// Fault hooks make the cluster misbehave on purpose: a NameNode that is
// down (connections refused and dropped) or hung (calls never answered),
// named calls that fail, completes that report the last block as still
// replicating, and a DataNode that drops a block write part way.
//
// The protocol messages are not generated here: the client's generated
// Hadoop types are in the protobuf global registry of any binary that links
// it, and the cluster looks them up by full name.
//
// The package does not import testing (Start takes the small TB interface
// that *testing.T satisfies), because `landerd demo --hdfs` runs the
// cluster inside the shipped binary.
package fakehdfs
