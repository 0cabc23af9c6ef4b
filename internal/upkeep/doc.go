// Package upkeep runs the daemon's own upkeep of its Iceberg tables
// (lake.iceberg.upkeep): on the one member of the group that leads it, it
// reads each table's size from its metadata for the metrics, and, when
// the upkeep is on, compacts every table and then expires its old
// snapshots on a fixed period. It does in the daemon what landerd compact
// and landerd expire do once, with the same code (internal/icetable).
package upkeep
