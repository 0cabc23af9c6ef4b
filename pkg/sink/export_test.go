package sink

// What the external tests (package sink_test) use of this package's test
// helpers: the storage-fault sweep lives there because it imports
// test/kit/faultfs, which imports sink.
var (
	FlushForTest    = flush
	LakeRowsForTest = lakeRows
	NewTestLake     = newTestLake
)
