package flatten

import "github.com/apache/arrow-go/v18/arrow/memory"

// RefBatch is the plain Arrow builder path, for the external tests.
type RefBatch = refBatch

// NewRefBatch returns an empty RefBatch that allocates from mem.
func NewRefBatch(mem memory.Allocator) *RefBatch { return newRefBatch(mem) }
