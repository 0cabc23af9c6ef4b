// Package sink owns the lake's files: Parquet encoding, the file
// lifecycle on a filesystem (temporary file, close, publish, recover,
// clean up) and the exactly-once publication protocol that ties a Kafka
// partition's offsets to the files that hold its records.
//
// # Storage
//
// [FS] is the storage boundary. Every path is relative to the lake root and
// slash-separated. [LocalFS] implements it on a local filesystem, [HDFS]
// on HDFS; both satisfy the same contract, checked by the conformance
// suite in package sinktest. Package test/kit/faultfs wraps any FS to fail
// chosen calls, for crash and fault tests; nothing here injects faults.
//
// FS is composed of one small interface per capability: [ReadFS] (open,
// list, stat), [CreateFS] (create files and directories), [RenameFS],
// [RemoveFS] and [PermFS] (mode and group). What only reads the lake
// takes ReadFS, which a read-only lake implements alone.
//
// FS can also set a path's mode and group (CreatePerm, Chmod, Chgrp); new
// files and directories take their directory's group, on HDFS natively and
// locally through the set-group-ID bit that LocalFS's Chmod gives
// directories.
//
// # Access
//
// In a lake shared by tenants, [WithAccess] wraps an FS so that everything
// created through it gets the group and mode an [Access] (the firm's
// group, and each tenant's group, from [NewAccess]) prescribes for its
// path:
//
//	.  and  <table>                        firm group, 0751 (traverse, not list)
//	<table>/tenant=<T>/...                 T's group, directories 0750, files 0640
//	<table>/tenant=_unassigned/...         firm group, 0750 / 0640
//	_landerd/... (state, claims, tmp)      firm group, 0750 / 0640
//
// Missing directories are created one level at a time, each given its
// group and mode; a temporary file published into a tenant's directory is
// given the tenant's group before the rename, so no other tenant can read
// it at any moment. A path under an unknown tenant is refused. The
// wrapper keeps every FS contract and, once its directories are known,
// costs one call more per file published into a tenant's directory (the
// change of group) and nothing else. Without tenants it returns the FS
// itself: the lake is written as before, with umask-derived modes.
//
// # Parquet files
//
// A [ParquetFile] is one data file being written: each Write appends a
// record batch as its own row group. Its pages are encoded by landerd's
// own encoder (package pkg/sink/internal/pages, whose doc says why),
// which writes the same files as arrow-go's pqarrow.FileWriter given the
// same properties, only cheaper; a schema the encoder does not support,
// or [WriterOptions].Generic, goes through pqarrow.FileWriter.
//
// # Compression
//
// Importing this package replaces arrow-go's zstd codec, for the whole
// process, with landerd's (pages.RegisterZstd, called from an init
// function): arrow-go finds codecs in one process-wide registry, and the
// page writer of either writer compresses with what it finds there.
// landerd's codec writes the same standard zstd frames, but keeps idle
// encoders in a free list (up to eight per level, about 4 MiB each),
// where arrow-go's sync.Pool lost them at garbage collections and busy
// writers rebuilt them, and gives them a 2 MiB window instead of 8 MiB,
// a quarter of the history buffers; both are measured in
// docs/performance.md. Every other arrow-go user in the same process,
// through this package or not, compresses zstd pages with it too, with
// the same bytes for pages up to 2 MiB; decoding and the other codecs
// stay arrow-go's. The swap happens at init, as arrow-go asks, rather
// than when the first file is made: its registry is a map read without
// a lock, so a later swap would race with any goroutine already reading
// or writing Parquet, and which codec a file got would depend on when it
// was written.
//
// # Layout
//
//	<table>/<hive>/<topic>-<partition:05d>-<first:019d>-<last:019d>.parquet
//	_landerd/<topic>/<partition:05d>/state.json        last published flush (the commit point)
//	_landerd/<topic>/<partition:05d>/epoch-<N:010d>/   staging dir of owner epoch N
//	_landerd/<topic>/<partition:05d>/tmp/              data files being written
//
// <hive> is the date partition, ingest_date=<YYYY-MM-DD> or
// event_date=<YYYY-MM-DD> ([DatePartition]), under tenant=<T>/ in a
// multi-tenant lake ([TenantHive], [TenantOf]); <topic> is a legal Kafka
// topic name ([CheckTopic]) and <T> a valid tenant name ([ValidTenant]).
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
