// Package sinktest holds the conformance suite that every sink.FS
// implementation must pass: the guarantees the lake's publication protocol
// relies on (exclusive create, replacing atomic rename, atomic recursive
// removal, sorted listings, ranged reads, content visible after Close).
package sinktest
