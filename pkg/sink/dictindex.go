package sink

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// dictIndexer dictionary-encodes a string leaf with a Go map instead of
// the column writer's memo table, which boxes every value in an
// interface and allocates on each insert. It puts the whole dictionary
// (in order of first appearance, as the memo table would build it) into
// the writer's encoder, then writes the indices with WriteDictIndices in
// calls that end where the writer would cut a page, adding each call's
// statistics itself: every page is cut where it would be and carries the
// statistics of exactly its own values, so the file is the one the writer
// would have written from the strings.
type dictIndexer struct {
	ids  map[string]int32
	idx  []int32 // index of each value slot
	bits []byte  // validity of each value slot
	// Per write batch: value slots and raw value bytes.
	slots []int
	raw   []int64
}

// dictEncoder is what write needs of the column writer's dictionary
// encoder: taking a whole dictionary at once.
type dictEncoder interface {
	PutDictionary(arrow.Array) error
	NumEntries() int
}

// rawSizer is the dictionary encoder's page-size accounting: pages of a
// dictionary-encoded column are cut by the raw bytes of their values.
type rawSizer interface{ AddRawSize(int64) }

// write writes values (their slots described by def and shape) to ccw as
// dictionary indices. It returns false, having written nothing, when the
// writer would not keep the column dictionary-encoded (its dictionary
// would reach the page size limit and fall back to plain) or does not
// encode it with a dictionary; the caller then writes the values as they
// are.
func (d *dictIndexer) write(ccw file.ColumnChunkWriter, values *array.String, def, rep []int16, nullable bool, shape levelShape, props *parquet.WriterProperties) (bool, error) {
	// Page cuts are predicted for version 1 data pages, whose batches
	// need not end on row boundaries.
	if props.DataPageVersion() != parquet.DataPageV1 {
		return false, nil
	}
	sizer, ok := ccw.CurrentEncoder().(rawSizer)
	if !ok || ccw.CurrentEncoder().Encoding() != parquet.Encodings.PlainDict {
		return false, nil
	}
	enc, ok := ccw.CurrentEncoder().(dictEncoder)
	if !ok || enc.NumEntries() != 0 {
		return false, nil
	}
	levels := values.Len()
	if def != nil {
		levels = len(def)
	}
	batch := int(props.WriteBatchSize())
	nb := (levels + batch - 1) / batch
	if d.ids == nil {
		d.ids = make(map[string]int32)
	}
	// The keys point into values' buffers: drop them before returning,
	// so that the map does not keep a written batch's memory alive.
	defer clear(d.ids)
	d.idx = growInt32(d.idx, values.Len())
	d.bits = growBytes(d.bits, int(bitutil.BytesForBits(int64(values.Len()))))
	clear(d.bits)
	d.slots, d.raw = d.slots[:0], d.raw[:0]

	dict := array.NewStringBuilder(props.Allocator())
	defer dict.Release()
	var dictSize int64
	slot := 0
	for b := range nb {
		lo, hi := b*batch, min((b+1)*batch, levels)
		var raw int64
		for l := lo; l < hi; l++ {
			if def != nil && def[l] < shape.slot {
				continue // no slot: a null or empty list
			}
			if def == nil || def[l] == shape.value {
				v := values.Value(slot)
				id, seen := d.ids[v]
				if !seen {
					id = int32(len(d.ids))
					d.ids[v] = id
					dict.Append(v)
					dictSize += int64(len(v)) + 4
				}
				d.idx[slot] = id
				bitutil.SetBit(d.bits, slot)
				raw += int64(len(v)) + 4
			}
			slot++
		}
		d.slots = append(d.slots, slot)
		d.raw = append(d.raw, raw)
	}
	if slot != values.Len() {
		return false, nil
	}
	if dictSize >= props.DictionaryPageSizeLimit() {
		return false, nil
	}

	dictArr := dict.NewStringArray()
	defer dictArr.Release()
	n := values.Len()
	idxData := array.NewData(arrow.PrimitiveTypes.Int32, n,
		[]*memory.Buffer{memory.NewBufferBytes(d.bits), memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(d.idx[:n]))},
		nil, array.UnknownNullCount, 0)
	defer idxData.Release()
	indices := array.NewInt32Data(idxData)
	defer indices.Release()

	if err := enc.PutDictionary(dictArr); err != nil {
		return true, err
	}
	if enc.NumEntries() != dictArr.Len() {
		return true, fmt.Errorf("dictionary of %d values holds %d entries", dictArr.Len(), enc.NumEntries())
	}
	li := ccw.LevelInfo()
	parentNulls := li.HasNullableValues() && !(li.DefLevel == li.RepeatedAncestorDefLevel+1 && nullable)
	if parentNulls && !ccw.HasBitsBuffer() {
		buf := memory.NewResizableBuffer(props.Allocator())
		buf.Resize(int(bitutil.BytesForBits(props.WriteBatchSize())))
		ccw.SetBitsBuffer(buf)
	}
	stats := ccw.PageStatistics()
	seen := make([]int32, dictArr.Len()) // call number + 1 that last referenced each entry
	ncall := int32(0)

	// Pages of a dictionary-encoded column are cut after the first write
	// batch at which the raw bytes of the page's values reach the page
	// size. Write the batches before that one in one call and that batch
	// in a call of its own, adding their raw sizes just before each call:
	// the writer then cuts pages after the same batches as when it hashes
	// the values itself. Each call adds the statistics of the values it
	// references, as pqarrow does for an Arrow dictionary array.
	call := func(b0, b1 int) error { // batches b0..b1-1
		lo, hi := b0*batch, min(b1*batch, levels)
		first, last := 0, d.slots[b1-1]
		if b0 > 0 {
			first = d.slots[b0-1]
		}
		var raw int64
		for _, r := range d.raw[b0:b1] {
			raw += r
		}
		var dl, rl []int16
		if def != nil {
			dl = def[lo:hi]
		}
		if rep != nil {
			rl = rep[lo:hi]
		}
		if stats != nil {
			ncall++
			refs := array.NewStringBuilder(props.Allocator())
			nonNull := 0
			for i := first; i < last; i++ {
				if !bitutil.BitIsSet(d.bits, i) {
					continue
				}
				nonNull++
				if id := d.idx[i]; seen[id] != ncall {
					seen[id] = ncall
					refs.Append(dictArr.Value(int(id)))
				}
			}
			ref := refs.NewStringArray()
			refs.Release()
			stats.IncNulls(max(int64(len(dl)-nonNull), 0))
			stats.IncNumValues(int64(nonNull))
			err := stats.UpdateFromArrow(ref, false)
			ref.Release()
			if err != nil {
				return err
			}
		}
		sizer.AddRawSize(raw)
		idx := array.NewSlice(indices, int64(first), int64(last))
		defer idx.Release()
		return ccw.WriteDictIndices(idx, dl, rl)
	}
	pageSize := props.DataPageSize()
	start, pageRaw := 0, int64(0)
	for b := range nb {
		pageRaw += d.raw[b]
		if pageRaw < pageSize && b < nb-1 {
			continue
		}
		if b > start {
			if err := call(start, b); err != nil {
				return true, err
			}
		}
		if err := call(b, b+1); err != nil {
			return true, err
		}
		start, pageRaw = b+1, 0
	}
	return true, nil
}

func growInt32(buf []int32, n int) []int32 {
	if cap(buf) < n {
		return make([]int32, n)
	}
	return buf[:n]
}

func growBytes(buf []byte, n int) []byte {
	if cap(buf) < n {
		return make([]byte, n)
	}
	return buf[:n]
}
