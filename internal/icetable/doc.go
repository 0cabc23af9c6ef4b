// Package icetable lands landerd's tables as Apache Iceberg tables
// (format version 2): attempts, questions and _quarantine in one
// namespace of a catalog (SQL on PostgreSQL, or the Hadoop filesystem
// catalog), with the columns and types of docs/schema.md.
//
// landerd writes the data files itself, through pkg/sink's claim and
// publish protocol, under each table's location:
//
//	<lake>/<namespace>/<table>/data/ingest_date=<YYYY-MM-DD>/<topic>-<partition>-<first>-<last>.parquet
//	<lake>/<namespace>/<table>/metadata/          the table's metadata, written by the catalog
//
// Each table is partitioned by the day of a column of its own
// (PartitioningOf): day(landed_at), named ingest_date, or under
// lake.partition_by event_date attempts by day(started_at), named
// event_date, the attempts with no started_at in Iceberg's null partition,
// in data/event_date=null/; questions has no started_at and stays by
// ingest_date. Every file is checked against its folder and its rows
// before it is added, so a reader that prunes by partition value, or by
// a manifest's contains_null, skips no row it asks for. Check refuses a
// table whose spec is not the configuration's: landerd never evolves one.
//
// With tenancy (SQL catalog only) each tenant T has the three tables of
// its own in namespace <namespace>_T, located in T's folder, which
// pkg/sink's access rules give T's group:
//
//	<lake>/<namespace>/tenant=<T>/<table>/data/ingest_date=<YYYY-MM-DD>/...
//
// Records of no known tenant go to the _quarantine table of
// sink.UnassignedTenant alone.
//
// The files carry Iceberg's field ids (FileSchema). A flush's state.json
// stays the lake's commit point; right after it, Tables.Commit adds the
// flush's files to each table that got some, as one append per table,
// whose snapshot summary records every Kafka partition's next offset
// (SummaryOffsets). The check of that record and the catalog's
// compare-and-swap of the table's metadata happen on the same base, so a
// flush is added exactly once, whoever retries it: the owner after a
// conflict or an unknown outcome, or the partition's next owner rolling
// the last flush forward when it claims the partition
// (docs/exactly-once.md, "Iceberg tables").
//
// Compact rewrites a table's small data files into large ones with
// iceberg-go's bin-pack planner and rewrite, as one snapshot pinned to the
// one it was planned on and carrying its offsets unchanged, while landerd
// may append to the table (docs/exactly-once.md, "Compaction").
//
// Files and TenantFiles list the data files of a table's current
// snapshot, and ReportFiles those a report reads, for readers that must
// see what the tables see (landerd report).
package icetable
