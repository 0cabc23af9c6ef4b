package lander

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestRecyclingAllocator(t *testing.T) {
	inner := memory.NewCheckedAllocator(memory.NewGoAllocator())
	limit := int64(8 << 10)
	a := newRecyclingAllocator(inner, func() int64 { return limit })

	b := a.Allocate(3000) // class 4 KiB
	if len(b) != 3000 || cap(b) != 4096 {
		t.Fatalf("Allocate(3000): len %d cap %d, want 3000 and 4096", len(b), cap(b))
	}
	b[0] = 7
	b = a.Reallocate(4000, b) // fits the class: same memory
	if len(b) != 4000 || b[0] != 7 {
		t.Fatalf("Reallocate(4000): len %d, first byte %d", len(b), b[0])
	}
	b = a.Reallocate(5000, b) // grows to 8 KiB, keeping the 4 KiB buffer
	if cap(b) != 8192 || b[0] != 7 {
		t.Fatalf("Reallocate(5000): cap %d, first byte %d", cap(b), b[0])
	}
	if got := a.Allocated(); got != 5000 {
		t.Fatalf("Allocated() = %d, want 5000", got)
	}
	c := a.Allocate(2049) // reuses the kept 4 KiB buffer
	if &c[0] != &b[:1][0] && cap(c) != 4096 {
		t.Fatalf("Allocate(2049): cap %d, want a kept 4 KiB buffer", cap(c))
	}
	if got := inner.CurrentAlloc(); got != 4096+8192 {
		t.Fatalf("inner holds %d bytes, want %d", got, 4096+8192)
	}
	a.Free(b)
	a.Free(c)
	if got := a.Allocated(); got != 0 {
		t.Fatalf("Allocated() after Free = %d, want 0", got)
	}
	// Both kept: 12 KiB exceed the 8 KiB limit, so the second went back.
	if got := inner.CurrentAlloc(); got != 8192 {
		t.Fatalf("inner holds %d bytes after Free, want the 8 KiB kept", got)
	}
	small := a.Allocate(100) // below minRecycled: straight from inner
	a.Free(small)
	a.drain()
	inner.AssertSize(t, 0)
}

func TestCountingAllocatorPassesThrough(t *testing.T) {
	inner := memory.NewCheckedAllocator(memory.NewGoAllocator())
	a := newCountingAllocator(inner)
	b := a.Allocate(5000)
	b = a.Reallocate(9000, b)
	if got := a.Allocated(); got != 9000 || inner.CurrentAlloc() != 9000 {
		t.Fatalf("Allocated() = %d, inner %d, want 9000", got, inner.CurrentAlloc())
	}
	a.Free(b)
	inner.AssertSize(t, 0)
}
