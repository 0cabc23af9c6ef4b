// Package e2e proves landerd's delivery contract end to end: every record of
// the topic lands in the lake exactly once, in attempts (with its questions)
// or in _quarantine, whatever happens to the daemon meanwhile.
//
// The tests build the landerd binary once and run it as separate processes
// against an in-process Kafka-compatible broker (internal/broker) on a
// random loopback port, landing into a local lake in a temporary directory.
// They kill the daemon with SIGKILL at random and at chosen moments, move
// partitions between several daemons of one consumer group while producing
// continues, make the lake's filesystem fail chosen calls
// (LANDERD_INJECT_FAULTS), and stop the daemon with SIGTERM while it lands.
// Afterwards they read every Parquet file of the lake back and check that
// each (partition, offset) of the topic appears exactly once across
// attempts and _quarantine, in the table the generated record belongs to,
// that questions rows belong to landed attempts only, and that no temporary
// file is left behind.
//
// The package holds only tests. Run them with
//
//	go test ./internal/e2e/
//
// The protocol under test is described in docs/exactly-once.md. The
// SIGKILL test lands 50,000 attempts over 4 partitions and kills the daemon
// at least six times; with -short every test lands fewer records and kills
// fewer times. The random kill moments are drawn from a
// seed that is logged; set LANDERD_E2E_SEED to replay a run.
package e2e
