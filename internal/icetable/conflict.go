package icetable

import (
	"errors"
	"strings"

	"github.com/apache/iceberg-go/table"
)

// IsConflict reports whether a failed commit found the table changed
// under it (another writer committed first), so that it certainly did not
// happen and can be retried on the new base.
//
// iceberg-go v0.7.0 says so in two ways. When the catalog's
// compare-and-swap of the metadata location fails it returns
// table.ErrCommitFailed. But it usually notices earlier, checking the
// commit's requirements against the table it loads again before writing
// (table/requirements.go, e.g. AssertRefSnapshotID: `requirement failed:
// branch "main" has changed: expected id 1, found 2`), and then returns a
// plain error that wraps no sentinel: only its text tells it apart, hence
// the string match. TestIsConflict pins both against the library, so an
// upgrade that changes them fails there. A conflict taken for another
// failure costs nothing but a retry budget: every attempt reads the table
// back and checks its offsets before it appends.
func IsConflict(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, table.ErrCommitFailed) {
		return true
	}
	return strings.Contains(err.Error(), "requirement failed: ")
}
