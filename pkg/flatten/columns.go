package flatten

import (
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The column writers below append values straight into Arrow buffers
// allocated from the Batch's allocator and hand those buffers to the
// arrays at finish, as Arrow's builders do, without a builder's per-value
// bookkeeping (interface calls, a capacity check per buffer, bitmap helper
// calls). They grow their buffers the way Arrow's builders do (to the next
// power of two, at least minCapacity elements), so an allocator counts the
// same bytes for the same rows.

// After a column is taken out, its first growth goes straight to half the
// capacity it had reached (the size its buffers had before their last
// doubling), skipping the copies of the doublings below it. Counted by
// capacity, as Arrow's builders are, the column then grows through the same
// sizes as before, so a memory bound on the allocated bytes cuts row groups
// at the same rows.

// minCapacity is the fewest elements a column allocates room for.
const minCapacity = 32

// reserve grows *b (allocating it from mem when nil) to hold size bytes and
// returns its memory.
func reserve(b **memory.Buffer, mem memory.Allocator, size int) []byte {
	if *b == nil {
		*b = memory.NewResizableBuffer(mem)
	}
	(*b).Reserve(size)
	return (*b).Buf()
}

// take sets b's length to size and returns it, leaving *b nil: the caller
// hands the buffer to an array. A nil buffer stays nil.
func take(b **memory.Buffer, size int) *memory.Buffer {
	buf := *b
	if buf != nil {
		buf.ResizeNoShrink(size)
	}
	*b = nil
	return buf
}

// release frees *b, if any, and leaves it nil.
func release(b **memory.Buffer) {
	if *b != nil {
		(*b).Release()
		*b = nil
	}
}

// newData wraps buffers as array data and drops the caller's references.
func newData(dt arrow.DataType, n int, bufs []*memory.Buffer, children []arrow.ArrayData, nulls int) arrow.ArrayData {
	d := array.NewData(dt, n, bufs, children, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	return d
}

func setBit(bits []byte, i int)   { bits[i>>3] |= 1 << (i & 7) }
func clearBit(bits []byte, i int) { bits[i>>3] &^= 1 << (i & 7) }

// bitmapBytes is the size of a bitmap of n bits.
func bitmapBytes(n int) int { return (n + 7) >> 3 }

// takeBitmap hands over a bitmap of n bits with the unused bits of its last
// byte cleared.
func takeBitmap(b **memory.Buffer, n int) *memory.Buffer {
	if *b != nil && n&7 != 0 {
		(*b).Buf()[n>>3] &= byte(1)<<(n&7) - 1
	}
	return take(b, bitmapBytes(n))
}

// nextCapacity is the element capacity a column grows to from n elements,
// at least half of prev, the capacity it had reached before it was taken.
func nextCapacity(n, prev int) int {
	return max(minCapacity, int(bitutil.NextPowerOf2(n+1)), prev/2)
}

// offsetsCapacity is the element capacity a column with offsets grows to
// from n elements: one less than a power of two, so that its cap+1 offsets
// fill a power-of-two buffer.
func offsetsCapacity(n, prev int) int { return nextCapacity(n+1, prev+1) - 1 }

// validity is a column's validity bitmap. It is allocated at the column's
// first null, so a column without nulls has none (all its values are valid).
type validity struct {
	cap   int // the column's capacity, in elements
	nulls int
	buf   *memory.Buffer
	bits  []byte
}

func (v *validity) grow(mem memory.Allocator, capacity int) {
	v.cap = capacity
	if v.bits != nil {
		v.bits = reserve(&v.buf, mem, bitmapBytes(capacity))
	}
}

func (v *validity) set(i int) {
	if v.bits != nil {
		setBit(v.bits, i)
	}
}

func (v *validity) null(mem memory.Allocator, i int) {
	if v.bits == nil {
		v.bits = reserve(&v.buf, mem, bitmapBytes(v.cap))
		memory.Set(v.bits, 0xff) // every earlier value is valid
	}
	clearBit(v.bits, i)
	v.nulls++
}

// take hands over the bitmap of n rows and the null count.
func (v *validity) take(n int) (*memory.Buffer, int) {
	nulls := v.nulls
	v.nulls, v.cap, v.bits = 0, 0, nil
	return takeBitmap(&v.buf, n), nulls
}

func (v *validity) release() {
	release(&v.buf)
	v.nulls, v.cap, v.bits = 0, 0, nil
}

// fixedCol is a column of fixed-width values: integers, floats, timestamps.
type fixedCol[T int32 | int64 | float64] struct {
	n, cap int
	prev   int // capacity when last taken
	v      []T
	data   *memory.Buffer
	valid  validity
}

func (c *fixedCol[T]) grow(mem memory.Allocator) {
	c.cap = nextCapacity(c.n, c.prev)
	var zero T
	raw := reserve(&c.data, mem, c.cap*int(unsafe.Sizeof(zero)))
	c.v = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(raw))), c.cap)
	c.valid.grow(mem, c.cap)
}

func (c *fixedCol[T]) append(mem memory.Allocator, v T) {
	if c.n == c.cap {
		c.grow(mem)
	}
	c.v[c.n] = v
	c.valid.set(c.n)
	c.n++
}

func (c *fixedCol[T]) appendNull(mem memory.Allocator) {
	if c.n == c.cap {
		c.grow(mem)
	}
	c.v[c.n] = 0
	c.valid.null(mem, c.n)
	c.n++
}

func (c *fixedCol[T]) finish(dt arrow.DataType) arrow.ArrayData {
	var zero T
	n := c.n
	valid, nulls := c.valid.take(n)
	data := take(&c.data, n*int(unsafe.Sizeof(zero)))
	c.prev, c.n, c.cap, c.v = c.cap, 0, 0, nil
	return newData(dt, n, []*memory.Buffer{valid, data}, nil, nulls)
}

func (c *fixedCol[T]) release() {
	c.valid.release()
	release(&c.data)
	c.n, c.cap, c.v = 0, 0, nil
}

// boolCol is a column of booleans, bit-packed.
type boolCol struct {
	n, cap int
	prev   int // capacity when last taken
	bits   []byte
	data   *memory.Buffer
	valid  validity
}

func (c *boolCol) grow(mem memory.Allocator) {
	c.cap = nextCapacity(c.n, c.prev)
	c.bits = reserve(&c.data, mem, bitmapBytes(c.cap))
	c.valid.grow(mem, c.cap)
}

func (c *boolCol) append(mem memory.Allocator, v bool) {
	if c.n == c.cap {
		c.grow(mem)
	}
	if v {
		setBit(c.bits, c.n)
	} else {
		clearBit(c.bits, c.n)
	}
	c.valid.set(c.n)
	c.n++
}

func (c *boolCol) appendNull(mem memory.Allocator) {
	if c.n == c.cap {
		c.grow(mem)
	}
	clearBit(c.bits, c.n)
	c.valid.null(mem, c.n)
	c.n++
}

func (c *boolCol) finish(dt arrow.DataType) arrow.ArrayData {
	n := c.n
	valid, nulls := c.valid.take(n)
	data := takeBitmap(&c.data, n)
	c.prev, c.n, c.cap, c.bits = c.cap, 0, 0, nil
	return newData(dt, n, []*memory.Buffer{valid, data}, nil, nulls)
}

func (c *boolCol) release() {
	c.valid.release()
	release(&c.data)
	c.n, c.cap, c.bits = 0, 0, nil
}

// binCol is a column of variable-length values (strings or binary): int32
// offsets into one data buffer.
type binCol struct {
	n, cap  int
	prev    int     // capacity when last taken
	prevLen int     // the data buffer's capacity when last taken
	offsets []int32 // cap+1 entries; offsets[n] is the data's length
	offBuf  *memory.Buffer
	data    []byte // the data buffer's memory; the first offsets[n] bytes are used
	dataBuf *memory.Buffer
	valid   validity
}

func (c *binCol) grow(mem memory.Allocator) {
	c.cap = offsetsCapacity(c.n, c.prev)
	raw := reserve(&c.offBuf, mem, (c.cap+1)*arrow.Int32SizeBytes)
	c.offsets = arrow.Int32Traits.CastFromBytes(raw)[:c.cap+1]
	if c.n == 0 {
		c.offsets[0] = 0
	}
	c.valid.grow(mem, c.cap)
}

func (c *binCol) growData(mem memory.Allocator, size int) {
	if size > math.MaxInt32 {
		panic("flatten: a column's values exceed 2 GiB") // the memory budget keeps row groups far smaller
	}
	size = int(bitutil.NextPowerOf2(size))
	if c.data == nil {
		size = max(size, c.prevLen/2)
	}
	c.data = reserve(&c.dataBuf, mem, size)
}

func (c *binCol) append(mem memory.Allocator, v []byte) {
	if c.n == c.cap {
		c.grow(mem)
	}
	end := int(c.offsets[c.n])
	if len(v) > len(c.data)-end {
		c.growData(mem, end+len(v))
	}
	end += copy(c.data[end:], v)
	c.offsets[c.n+1] = int32(end)
	c.valid.set(c.n)
	c.n++
}

func (c *binCol) appendNull(mem memory.Allocator) {
	if c.n == c.cap {
		c.grow(mem)
	}
	c.offsets[c.n+1] = c.offsets[c.n]
	c.valid.null(mem, c.n)
	c.n++
}

func (c *binCol) finish(mem memory.Allocator, dt arrow.DataType) arrow.ArrayData {
	if c.cap == 0 {
		c.prev = 0
		c.grow(mem) // an empty column still has its one offset
	}
	n := c.n
	size := int(c.offsets[n])
	valid, nulls := c.valid.take(n)
	offsets := take(&c.offBuf, (n+1)*arrow.Int32SizeBytes)
	data := take(&c.dataBuf, size)
	c.prev, c.prevLen = c.cap, len(c.data)
	c.n, c.cap, c.offsets, c.data = 0, 0, nil, nil
	return newData(dt, n, []*memory.Buffer{valid, offsets, data}, nil, nulls)
}

func (c *binCol) release() {
	c.valid.release()
	release(&c.offBuf)
	release(&c.dataBuf)
	c.n, c.cap, c.offsets, c.data = 0, 0, nil, nil
}

// listCol is the validity and offsets of a list column; the caller keeps
// the values.
type listCol struct {
	n, cap  int
	prev    int     // capacity when last taken
	offsets []int32 // cap+1 entries; offsets[i] is where list i starts
	offBuf  *memory.Buffer
	valid   validity
}

func (c *listCol) grow(mem memory.Allocator) {
	c.cap = offsetsCapacity(c.n, c.prev)
	raw := reserve(&c.offBuf, mem, (c.cap+1)*arrow.Int32SizeBytes)
	c.offsets = arrow.Int32Traits.CastFromBytes(raw)[:c.cap+1]
	c.valid.grow(mem, c.cap)
}

// append starts a list at element start of the values.
func (c *listCol) append(mem memory.Allocator, start int) {
	if c.n == c.cap {
		c.grow(mem)
	}
	c.offsets[c.n] = int32(start)
	c.valid.set(c.n)
	c.n++
}

// appendNull appends a null list; start is the values' length.
func (c *listCol) appendNull(mem memory.Allocator, start int) {
	if c.n == c.cap {
		c.grow(mem)
	}
	c.offsets[c.n] = int32(start)
	c.valid.null(mem, c.n)
	c.n++
}

// finish ends the lists at end, the values' length.
func (c *listCol) finish(mem memory.Allocator, dt arrow.DataType, end int, values arrow.ArrayData) arrow.ArrayData {
	if c.cap == 0 {
		c.prev = 0
		c.grow(mem) // an empty column still has its one offset
	}
	n := c.n
	c.offsets[n] = int32(end)
	valid, nulls := c.valid.take(n)
	offsets := take(&c.offBuf, (n+1)*arrow.Int32SizeBytes)
	c.prev, c.n, c.cap, c.offsets = c.cap, 0, 0, nil
	d := newData(dt, n, []*memory.Buffer{valid, offsets}, []arrow.ArrayData{values}, nulls)
	values.Release()
	return d
}

func (c *listCol) release() {
	c.valid.release()
	release(&c.offBuf)
	c.n, c.cap, c.offsets = 0, 0, nil
}
