package lander

import (
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// countingAllocator counts the bytes an owner holds in Arrow builders and
// Parquet encoders, so that buffering is bounded by configuration.
//
// A recycling countingAllocator also keeps freed buffers, by power-of-two
// size class, up to a limit, and hands them out again: an owner's row
// groups grow their buffers through the same sizes over and over, and a
// reused buffer costs neither a fresh allocation (which Go zeroes) nor
// garbage to collect. Recycled memory is not zeroed, so only memory users
// that write every byte they read may recycle (flatten.Batch does).
// Allocated does not count the kept buffers.
type countingAllocator struct {
	inner memory.Allocator
	n     atomic.Int64

	limit func() int64 // most bytes kept for reuse; nil when not recycling
	mu    sync.Mutex
	held  int64
	free  [64][][]byte // free[k] holds buffers of capacity 1<<k
}

func newCountingAllocator(inner memory.Allocator) *countingAllocator {
	return &countingAllocator{inner: inner}
}

// newRecyclingAllocator returns a countingAllocator that keeps up to
// limit() bytes of freed buffers for reuse.
func newRecyclingAllocator(inner memory.Allocator, limit func() int64) *countingAllocator {
	return &countingAllocator{inner: inner, limit: limit}
}

// minRecycled is the smallest allocation recycled; smaller ones are cheap
// for Go to make.
const minRecycled = 1 << 10

func (a *countingAllocator) Allocate(size int) []byte {
	a.n.Add(int64(size))
	return a.allocate(size)
}

func (a *countingAllocator) allocate(size int) []byte {
	if a.limit == nil || size < minRecycled {
		return a.inner.Allocate(size)
	}
	k := bits.Len(uint(size - 1)) // the class of capacity 1<<k >= size
	a.mu.Lock()
	if l := a.free[k]; len(l) > 0 {
		b := l[len(l)-1]
		l[len(l)-1] = nil
		a.free[k] = l[:len(l)-1]
		a.held -= int64(cap(b))
		a.mu.Unlock()
		return b[:size]
	}
	a.mu.Unlock()
	return a.inner.Allocate(1 << k)[:size]
}

func (a *countingAllocator) Reallocate(size int, b []byte) []byte {
	a.n.Add(int64(size - len(b)))
	if a.limit == nil {
		return a.inner.Reallocate(size, b)
	}
	if size <= cap(b) {
		return b[:size]
	}
	nb := a.allocate(size)
	copy(nb, b)
	a.free1(b)
	return nb
}

func (a *countingAllocator) Free(b []byte) {
	a.n.Add(-int64(len(b)))
	if a.limit == nil {
		a.inner.Free(b)
		return
	}
	a.free1(b)
}

// free1 keeps b for reuse when it is of a recycled class and the limit
// allows, and frees it otherwise.
func (a *countingAllocator) free1(b []byte) {
	c := cap(b)
	b = b[:c] // as allocated from inner
	if c < minRecycled || c&(c-1) != 0 {
		a.inner.Free(b)
		return
	}
	k := bits.Len(uint(c - 1))
	limit := a.limit()
	a.mu.Lock()
	if a.held+int64(c) > limit {
		a.mu.Unlock()
		a.inner.Free(b)
		return
	}
	a.held += int64(c)
	a.free[k] = append(a.free[k], b)
	a.mu.Unlock()
}

// drain frees the buffers kept for reuse.
func (a *countingAllocator) drain() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, l := range a.free {
		for i, b := range l {
			a.inner.Free(b)
			l[i] = nil
		}
		a.free[k] = l[:0]
	}
	a.held = 0
}

// Allocated returns the bytes currently held.
func (a *countingAllocator) Allocated() int64 { return a.n.Load() }
