// Package lander is the daemon's engine: a Kafka consumer group (IBM/sarama)
// whose every claimed partition has exactly one owner goroutine that
// flattens records into Arrow batches, writes them as row groups into
// temporary Parquet files, and publishes them to the lake through pkg/sink
// before any offset is committed.
//
// Data flows one way — consume → flatten → batch → write → publish → commit
// — and the only thing that flows back is the offset a flush landed. The
// lake, not the group's committed offset, says where a partition resumes:
// on assignment the partition is claimed in the lake (fencing any stale
// owner, completing or discarding what a crash left half-done) and the
// group is sought to the first offset the lake does not hold.
//
// The pieces, one job each:
//
//   - Lander (lander.go) creates the Kafka client and joins the group,
//     retries broker and storage outages with backoff, watches the
//     group's errors (fencing, failed commits), leaves the group under its
//     static id on shutdown, and reports readiness.
//   - handler (handler.go) is the group session's handler and the only
//     code that reads messages and commits offsets: it claims assigned
//     partitions, runs each partition's loop (messages, the age timer and
//     the session in one select), turns messages into plain records, and
//     marks and commits an offset when its owner reports it landed.
//   - The rest of the package that speaks to Kafka does one thing each:
//     sarama.go and scram.go translate the kafka section of the
//     configuration into the client's (TLS, SASL, timeouts); resume.go
//     asks the brokers for a topic's id and partition count, a
//     partition's log start and end offsets and the group's committed
//     offsets, and decides where a claimed partition resumes; membership.go
//     derives the static group instance id and sends the LeaveGroup;
//     refusal.go tells a refusal for good (credentials, certificates,
//     ACLs) from an outage.
//   - owner (owner.go) lands one partition's records: it buffers them,
//     chooses each one's Hive partition, counts what it quarantines,
//     reports lag and memory, writes row groups within its share of the
//     memory budget, and publishes a flush when told to roll.
//   - tenantResolver (tenant.go) names each record's tenant from its
//     header or its topic (tenancy.source), or says why it has none
//     (tenant_missing, tenant_unknown); the owner puts every table's Hive
//     partition under tenant=T, and records of no known tenant in
//     _quarantine under tenant=_unassigned. With tenancy off the layout has
//     no tenant level. The group may consume several topics; owners are
//     keyed by topic and partition.
//   - rollPolicy (roll.go) is the one place that decides when files roll,
//     and names why: records or bytes (a limit reached), age (also when the
//     partition is idle), day (the UTC day changed under ingest_date
//     partitioning), hives (a flush spanning too many Hive partitions). The
//     group session adds revoke and shutdown, each with its own deadline
//     (kafka.revoke_deadline, shutdown.deadline). The reason labels the
//     flush metric and the flush log line.
//
// Owners know nothing of Kafka's client, so they are tested directly with
// a fake clock and an in-memory lake (owner_test.go). A storage error
// abandons the partition's unpublished files and ends the group session;
// the next session re-claims the partition and re-reads from what the lake
// holds, so nothing is lost or duplicated.
package lander
