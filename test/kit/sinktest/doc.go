// Package sinktest holds the conformance suite that every sink.FS
// implementation must pass: the guarantees the lake's publication protocol
// relies on (exclusive create, replacing atomic rename, atomic recursive
// removal, sorted listings, ranged reads, content visible after Close).
// TestFS runs it all; TestReadFS runs its tests of reading against an
// implementation of sink.ReadFS alone, such as a lake opened for reading
// only.
package sinktest
