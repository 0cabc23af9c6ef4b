// Package lander is the daemon's engine: a Kafka consumer group (IBM/sarama)
// whose every claimed partition has exactly one owner goroutine that
// flattens messages into Arrow batches, writes them as row groups into
// temporary Parquet files, and publishes them to the lake through pkg/sink
// before it commits any offset.
//
// Data flows one way — consume → flatten → batch → write → publish → commit
// — and the only thing that flows back is the committed offset. The lake,
// not the group's committed offset, says where a partition resumes: on
// assignment the owner claims the partition in the lake (fencing any stale
// owner), completes or discards what a crash left half-done, and seeks the
// group to the first offset the lake does not hold.
//
// A flush happens when a partition's files reach the size or record limit,
// when the oldest buffered record reaches the age deadline (even if the
// partition has gone idle), when the UTC day changes (ingest_date
// partitioning), on revocation and on shutdown. A storage error abandons
// the partition's unpublished files and ends the group session; the next
// session re-claims the partition and re-reads from what the lake holds, so
// nothing is lost or duplicated.
package lander
