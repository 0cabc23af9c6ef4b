// Package sink owns the lake's files: Parquet encoding, the file
// lifecycle on a filesystem (temporary file, close, publish, recover,
// clean up) and the exactly-once publication protocol that ties a Kafka
// partition's offsets to the files that hold its records.
//
// # Storage
//
// [FS] is the storage boundary. Every path is relative to the lake root and
// slash-separated. [LocalFS] implements it on a local filesystem; an HDFS
// implementation satisfies the same contract, checked by the conformance
// suite in package sinktest. Package internal/faultfs wraps any FS to fail
// chosen calls, for crash and fault tests; nothing here injects faults.
//
// # Layout
//
//	<table>/<hive>/<topic>-<partition:05d>-<first:019d>-<last:019d>.parquet
//	_landerd/<topic>/<partition:05d>/state.json        last published flush (the commit point)
//	_landerd/<topic>/<partition:05d>/epoch-<N:010d>/   staging dir of owner epoch N
//	_landerd/<topic>/<partition:05d>/tmp/              data files being written
//
// # Publication
//
// [Claim] takes ownership of a Kafka partition in the lake: it fences every
// earlier owner, rolls a committed but unfinished flush forward, removes
// orphaned temporary files and reports the offset to resume from.
// [Partition.Publish] makes one flush visible atomically; only after it
// returns nil may the caller commit the flush's last offset + 1 to Kafka.
// docs/exactly-once.md describes the protocol for users.
package sink
