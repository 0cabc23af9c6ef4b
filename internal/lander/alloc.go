package lander

import (
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// countingAllocator counts the bytes an owner holds in Arrow builders and
// Parquet encoders, so that buffering is bounded by configuration.
type countingAllocator struct {
	inner memory.Allocator
	n     atomic.Int64
}

func newCountingAllocator(inner memory.Allocator) *countingAllocator {
	return &countingAllocator{inner: inner}
}

func (a *countingAllocator) Allocate(size int) []byte {
	a.n.Add(int64(size))
	return a.inner.Allocate(size)
}

func (a *countingAllocator) Reallocate(size int, b []byte) []byte {
	a.n.Add(int64(size - len(b)))
	return a.inner.Reallocate(size, b)
}

func (a *countingAllocator) Free(b []byte) {
	a.n.Add(-int64(len(b)))
	a.inner.Free(b)
}

// Allocated returns the bytes currently held.
func (a *countingAllocator) Allocated() int64 { return a.n.Load() }
