// Package lakecheck reads a landed lake back and checks landerd's delivery
// contract against what was produced: every (partition, offset) of the
// topic is in attempts or _quarantine exactly once, in the table its
// record belongs to and under its tenant, in the file named for it (or,
// in a file a compaction wrote, in its partition folder's day);
// offsets the lake records as lost (the gaps of sink.State) are absent,
// and only where gaps are allowed; questions rows belong to landed
// attempts only, one per question; and no temporary file is left in the
// tables or the partitions' control directories.
//
// The end-to-end suite (test/e2e) and the soak (bench/soak) both call
// [Check]. It is test-only code: the shipped binary never imports it.
package lakecheck
