package pages

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// leafWriter encodes the pages of one leaf column chunk itself — levels,
// PLAIN values or dictionary indices, statistics — and hands them to
// arrow-go's page writer, which adds the page headers, compresses the
// pages and builds the chunk's metadata. The pages are those arrow-go's
// column writer makes from the same values: cut after the same write
// batch, with the same levels, values and statistics. Its buffers are
// reused from leaf to leaf; it is not safe for concurrent use.
type leafWriter struct {
	props *parquet.WriterProperties
	mem   memory.Allocator

	// One leaf's input.
	values arrow.Array
	def    []int16 // nil: every level holds a value
	rep    []int16 // nil: every level starts a row
	descr  *schema.Column
	pager  file.PageWriter
	info   file.LevelInfo
	// How arrow-go would take the values: spaced (with a validity
	// bitmap), the bitmap computed from the levels when parentNulls.
	spaced, parentNulls bool

	// Dictionary encoding: dictEnabled when the column asks for it, dict
	// while the chunk is dictionary-encoded (until it falls back to
	// PLAIN: fellBack). The dictionary is PLAIN-encoded in dictBuf, entry
	// i at dictBuf[dictOff[i]:dictOff[i+1]]; idx are the indices of the
	// page being filled; pages are the data pages cut, written after the
	// dictionary page (dictWritten).
	dictEnabled, dict, fellBack, dictWritten bool
	dictBuf                                  []byte
	dictOff                                  []int32
	nDict                                    int
	idx                                      []int32
	pages                                    []*file.DataPageV1
	strIDs                                   strTable        // strings
	numIDs                                   map[int64]int32 // numbers; float64 by their bits
	// Statistics of a dictionary-encoded string chunk: the distinct
	// entries of the page (pageIDs; seen[id] == pageSeq when listed).
	seen    []int32
	pageIDs []int32
	pageSeq int32
	// The last value given an index (lastID; -1 before the first),
	// which consecutive rows often repeat.
	lastID  int32
	lastStr []byte
	lastInt int64

	page, chunk metadata.TypedStatistics

	// Scratch.
	lvDef   []int16 // definition levels of the leaf being written
	lvRep   []int16 // repetition levels of the leaf being written
	lvBase  []int16 // a list's definition levels short of its leaves
	elemPos []int32 // the level of each element of a list
	lev     rleEncoder
	// The leaves of a list share its repetition levels (repGen counts the
	// lists) and are mostly cut into pages at the same levels: repPage is
	// the encoding of the last page's repetition levels (repKey).
	repGen  uint64
	repKey  levelsKey
	repPage []byte
	buf     []byte // the page being assembled
	vals    []byte // PLAIN values of the page
	// Booleans are bit-packed into boolBuf, 8,192 at a time, as
	// arrow-go's encoder packs them into a buffer it reuses: the unused
	// bits of a page's last byte are those an earlier fill of the buffer
	// left there.
	boolBuf [1024]byte
	boolPos int
	present []int32
	bits    []byte
	i32     []int32
	i64     []int64
	f64     []float64
	ba      []parquet.ByteArray
	comp    bytes.Buffer
}

// leafWriters keeps leaf writers, with their buffers, from one row group
// to the next. A row group's leaves need buffers as large as its largest
// leaf; held by every open file they would add up, and allocated for
// every row group they would cost the time to grow them. At most
// maxFreeLeafWriters are kept.
var leafWriters struct {
	mu   sync.Mutex
	free []*leafWriter
}

const maxFreeLeafWriters = 8

// takeLeafWriter returns a leaf writer for a file written with props.
func takeLeafWriter(props *parquet.WriterProperties) *leafWriter {
	leafWriters.mu.Lock()
	var lw *leafWriter
	if n := len(leafWriters.free); n > 0 {
		lw = leafWriters.free[n-1]
		leafWriters.free = leafWriters.free[:n-1]
	}
	leafWriters.mu.Unlock()
	if lw == nil {
		lw = &leafWriter{}
	}
	lw.props, lw.mem = props, props.Allocator()
	return lw
}

// releaseLeafWriter gives lw back for another row group.
func releaseLeafWriter(lw *leafWriter) {
	lw.props, lw.mem, lw.page, lw.chunk, lw.lastStr = nil, nil, nil, nil, nil
	leafWriters.mu.Lock()
	if len(leafWriters.free) < maxFreeLeafWriters {
		leafWriters.free = append(leafWriters.free, lw)
	}
	leafWriters.mu.Unlock()
}

// leafSupported reports whether leafWriter writes leaves of Arrow type t.
func leafSupported(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.INT32, arrow.DATE32, arrow.INT64, arrow.TIMESTAMP, arrow.FLOAT64,
		arrow.STRING, arrow.BINARY:
		return true
	}
	return false
}

// dictionaryType reports whether leafWriter dictionary-encodes leaves of
// type t.
func dictionaryType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.BINARY, arrow.INT32, arrow.DATE32, arrow.INT64, arrow.TIMESTAMP, arrow.FLOAT64:
		return true
	}
	return false
}

// write encodes one leaf chunk: values are the leaf's value slots, def
// and rep its levels (nil when the column has none), nullable whether the
// leaf field itself is nullable, pager the chunk's page writer and meta
// its metadata builder.
func (lw *leafWriter) write(values arrow.Array, def, rep []int16, nullable bool, meta *metadata.ColumnChunkMetaDataBuilder, pager file.PageWriter) error {
	descr := meta.Descr()
	path := descr.Path()
	lw.values, lw.def, lw.rep, lw.descr, lw.pager = values, def, rep, descr, pager
	defer func() {
		lw.values, lw.pager, lw.pages = nil, nil, lw.pages[:0]
		lw.strIDs.reset()
		clear(lw.numIDs)
	}()
	lw.page, lw.chunk = nil, nil
	if lw.props.StatisticsEnabledFor(path) && descr.SortOrder() != schema.SortUNKNOWN {
		lw.page = metadata.NewStatistics(descr, lw.mem)
		lw.chunk = metadata.NewStatistics(descr, lw.mem)
	}
	levels := values.Len()
	if def != nil {
		levels = len(def)
	}

	// How arrow-go takes the values (pqarrow.WriteArrowToColumn): with a
	// validity bitmap ("spaced") when some slots may be null, computed
	// from the definition levels when a parent may be null too. The
	// statistics depend on it.
	lw.info = leafLevelInfo(descr)
	singleNullable := lw.info.DefLevel == lw.info.RepeatedAncestorDefLevel+1 && nullable
	lw.parentNulls = lw.info.HasNullableValues() && !singleNullable
	noNulls := descr.SchemaNode().RepetitionType() == parquet.Repetitions.Required || values.NullN() == 0
	lw.spaced = lw.parentNulls || !noNulls
	if values.Len() == 0 && descr.PhysicalType() == parquet.Types.Boolean {
		lw.spaced = false // pqarrow writes the levels of an empty boolean leaf alone
	}

	lw.dictEnabled = lw.props.DictionaryEnabledFor(path) && descr.PhysicalType() != parquet.Types.Boolean
	lw.dict, lw.dictWritten, lw.fellBack = lw.dictEnabled, false, false
	lw.dictBuf, lw.dictOff, lw.nDict = lw.dictBuf[:0], append(lw.dictOff[:0], 0), 0
	encoding := lw.props.EncodingFor(path)
	if lw.dict {
		encoding = lw.props.DictionaryIndexEncoding()
	}
	lw.vals, lw.idx = lw.vals[:0], lw.idx[:0]
	lw.boolBuf, lw.boolPos = [1024]byte{}, 0
	clear(lw.seen)
	lw.pageIDs, lw.pageSeq = lw.pageIDs[:0], 1
	lw.lastID, lw.lastStr = -1, nil

	batch := int(lw.props.WriteBatchSize())
	pageSize := lw.props.DataPageSize()
	dictLimit := lw.props.DictionaryPageSizeLimit()
	costCheck := lw.props.DictionaryCostFallbackEnabledFor(path)
	var (
		rows, pageRows, raw int64
		pageLo, vo          int // first level of the page; next value slot
	)
	for lo := 0; lo < levels; lo += batch {
		hi := min(lo+batch, levels)
		n := hi - lo
		var d []int16
		if def != nil {
			d = def[lo:hi]
		}
		if rep == nil {
			pageRows += int64(n)
		} else {
			for _, r := range rep[lo:hi] {
				if r == 0 {
					pageRows++
				}
			}
		}
		b := lw.takeBatch(d, n, vo)
		present := lw.presentSlots(b)
		if lw.dict {
			raw += lw.putDict(b, present)
		} else {
			lw.putPlain(b, present)
		}
		if err := lw.updateStats(b); err != nil {
			return err
		}
		vo += b.spaced

		full := lw.plainSize() >= pageSize
		if lw.dict {
			full = raw >= pageSize
		}
		if full {
			if err := lw.flushPage(pageLo, hi, rows, encoding); err != nil {
				return err
			}
			rows += pageRows
			pageLo, pageRows, raw = hi, 0, 0
		}
		if lw.dict && (int64(len(lw.dictBuf)) >= dictLimit || costCheck && !lw.dictPays(raw)) {
			if err := lw.fallBack(); err != nil {
				return err
			}
			encoding = parquet.Encodings.Plain
		}
	}
	if pageLo < levels {
		if err := lw.flushPage(pageLo, levels, rows, encoding); err != nil {
			return err
		}
		rows += pageRows
	}
	if lw.dict {
		if err := lw.writeDictionary(); err != nil {
			return err
		}
	}
	if lw.chunk != nil {
		enc, err := lw.chunk.Encode()
		if err != nil {
			return err
		}
		enc.ApplyStatSizeLimits(int(lw.props.MaxStatsSizeFor(path)))
		enc.Signed = descr.SortOrder() == schema.SortSIGNED
		if rows > 0 && enc.IsSet() {
			meta.SetStats(enc)
		}
	}
	return pager.Close(lw.dictWritten, lw.fellBack && lw.dictWritten)
}

// leafLevelInfo is the level information arrow-go's column writer
// derives for a leaf: its maximum levels and the definition level of its
// nearest repeated ancestor, below which a level has no value slot.
func leafLevelInfo(descr *schema.Column) file.LevelInfo {
	info := file.LevelInfo{DefLevel: descr.MaxDefinitionLevel(), RepLevel: descr.MaxRepetitionLevel()}
	rad := info.DefLevel
	for n := descr.SchemaNode(); n != nil && n.RepetitionType() != parquet.Repetitions.Repeated; n = n.Parent() {
		if n.RepetitionType() == parquet.Repetitions.Optional {
			rad--
		}
	}
	info.RepeatedAncestorDefLevel = rad
	return info
}

// batchValues describes the values of one write batch as arrow-go's
// column writer takes them: slots vo..vo+spaced, of which read hold a
// value; with a validity bitmap (valid, from validOff) when spaced.
type batchValues struct {
	levels, vo, spaced, read int
	valid                    []byte
	validOff                 int64
}

// takeBatch works out a batch of n levels (d; nil without definition
// levels) whose first value slot is vo.
func (lw *leafWriter) takeBatch(d []int16, n, vo int) batchValues {
	b := batchValues{levels: n, vo: vo}
	maxDef := lw.info.DefLevel
	switch {
	case !lw.spaced:
		b.read = n
		if d != nil && maxDef > 0 {
			b.read = 0
			for _, l := range d {
				if l == maxDef {
					b.read++
				}
			}
		}
		b.spaced = b.read
	case lw.parentNulls:
		if need := int(bitutil.BytesForBits(int64(n))); len(lw.bits) < need {
			lw.bits = make([]byte, bitutil.BytesForBits(lw.props.WriteBatchSize()))
		}
		io := file.ValidityBitmapInputOutput{ReadUpperBound: int64(n), ValidBits: lw.bits}
		file.DefLevelsToBitmap(d, lw.info, &io)
		b.read, b.spaced = int(io.Read-io.NullCount), int(io.Read)
		b.valid, b.validOff = lw.bits, 0
	default:
		for _, l := range d {
			if l == maxDef {
				b.read++
			}
			if l >= lw.info.RepeatedAncestorDefLevel {
				b.spaced++
			}
		}
		b.valid, b.validOff = lw.values.NullBitmapBytes(), int64(lw.values.Data().Offset()+vo)
	}
	return b
}

// presentSlots returns the slots of b that hold a value, or nil when all
// of b's slots do.
func (lw *leafWriter) presentSlots(b batchValues) []int32 {
	if b.spaced == b.read {
		return nil
	}
	if lw.present == nil {
		lw.present = make([]int32, 0, lw.props.WriteBatchSize())
	}
	lw.present = lw.present[:0]
	lw.present = appendSetBits(lw.present, b.valid, b.validOff, b.spaced, int32(b.vo))
	return lw.present
}

// appendSetBits appends base+i for every bit i of bitmap[off:off+n] that is
// set, a byte at a time where the bits are byte-aligned.
func appendSetBits(dst []int32, bitmap []byte, off int64, n int, base int32) []int32 {
	i := 0
	for ; i < n && (off+int64(i))%8 != 0; i++ {
		if bitutil.BitIsSet(bitmap, int(off)+i) {
			dst = append(dst, base+int32(i))
		}
	}
	for ; i+8 <= n; i += 8 {
		switch by := bitmap[(off+int64(i))/8]; by {
		case 0:
		case 0xff:
			at := base + int32(i)
			dst = append(dst, at, at+1, at+2, at+3, at+4, at+5, at+6, at+7)
		default:
			for ; by != 0; by &= by - 1 {
				dst = append(dst, base+int32(i+bits.TrailingZeros8(by)))
			}
		}
	}
	for ; i < n; i++ {
		if bitutil.BitIsSet(bitmap, int(off)+i) {
			dst = append(dst, base+int32(i))
		}
	}
	return dst
}

// updateStats adds batch b to the page statistics the way arrow-go's
// column writer does for the path pqarrow takes, quirks included: a
// spaced batch counts as nulls its levels minus its values, and has
// min/max when its slots outnumber those.
func (lw *leafWriter) updateStats(b batchValues) error {
	if lw.page == nil {
		return nil
	}
	nulls := int64(b.levels - b.read)
	lo, hi := b.vo, b.vo+b.spaced
	switch a := lw.values.(type) {
	case *array.Int32, *array.Date32:
		s := lw.page.(*metadata.Int32Statistics)
		if lw.spaced {
			s.UpdateSpaced(int32Values(a)[lo:hi], b.valid, b.validOff, nulls)
		} else {
			s.Update(int32Values(a)[lo:hi], nulls)
		}
	case *array.Int64, *array.Timestamp:
		s := lw.page.(*metadata.Int64Statistics)
		if lw.spaced {
			s.UpdateSpaced(int64Values(a)[lo:hi], b.valid, b.validOff, nulls)
		} else {
			s.Update(int64Values(a)[lo:hi], nulls)
		}
	case *array.Float64:
		s := lw.page.(*metadata.Float64Statistics)
		if lw.spaced {
			s.UpdateSpaced(a.Float64Values()[lo:hi], b.valid, b.validOff, nulls)
		} else {
			s.Update(a.Float64Values()[lo:hi], nulls)
		}
	case *array.Boolean:
		s := lw.page.(*metadata.BooleanStatistics)
		var bitmap []byte
		if buf := a.Data().Buffers()[1]; buf != nil {
			bitmap = buf.Bytes()
		}
		if lw.spaced {
			// The same counts and min/max as UpdateSpaced over the
			// slots' values, read from the bitmap in place.
			s.UpdateFromBitmapSpaced(bitmap, int64(a.Data().Offset()+lo), int64(b.spaced), b.valid, b.validOff, nulls)
		} else {
			s.UpdateFromBitmap(bitmap, int64(a.Data().Offset()+lo), int64(b.read), nulls)
		}
	case *array.String, *array.Binary:
		s := lw.page.(*metadata.ByteArrayStatistics)
		if lw.dict && b.read > 0 {
			lw.dictStats(s, b)
			break
		}
		if lw.dictEnabled {
			// pqarrow hands a dictionary-encoded column's values over as
			// parquet.ByteArray values.
			lw.ba = lw.ba[:0]
			buf, offsets := binaryBuffers(a)
			for i := lo; i < hi; i++ {
				lw.ba = append(lw.ba, buf[offsets[i]:offsets[i+1]])
			}
			if lw.spaced {
				s.UpdateSpaced(lw.ba, b.valid, b.validOff, nulls)
			} else {
				s.Update(lw.ba, nulls)
			}
			break
		}
		buf, offsets := binaryBuffers(a)
		if lw.spaced {
			s.UpdateFromArrowOffsetsSpaced(buf, batchOffsets(offsets, lo, b.spaced), b.valid, b.validOff, int64(b.spaced-b.read))
			s.IncNulls(int64(b.levels - b.spaced))
		} else {
			s.UpdateFromArrowOffsets(buf, batchOffsets(offsets, lo, b.read), nulls)
		}
	default:
		return fmt.Errorf("leaf of type %s is not supported", lw.values.DataType())
	}
	return nil
}

// dictStats adds batch b of a dictionary-encoded string chunk to the page
// statistics as updateStats would, but finds the minimum and maximum
// among the distinct values of the page (marked here, compared in
// flushPage) instead of comparing every value. b holds at least one
// value; a batch without values goes through updateStats's own path,
// which can record arrow-go's placeholder minimum and maximum.
func (lw *leafWriter) dictStats(s *metadata.ByteArrayStatistics, b batchValues) {
	nulls := int64(b.levels - b.read)
	notnull := int64(b.read) // the values Update counts
	if lw.spaced {
		notnull = int64(b.spaced) - nulls // what UpdateSpaced counts
	}
	s.IncNulls(nulls)
	s.IncNumValues(notnull)
	if notnull == 0 {
		// UpdateSpaced takes no minimum and maximum only then; a count
		// below zero (more null or empty lists than value slots) still
		// takes them.
		return
	}
	if len(lw.seen) < lw.nDict {
		lw.seen = append(lw.seen, make([]int32, lw.nDict-len(lw.seen))...)
	}
	for _, id := range lw.idx[len(lw.idx)-b.read:] {
		if lw.seen[id] != lw.pageSeq {
			lw.seen[id] = lw.pageSeq
			lw.pageIDs = append(lw.pageIDs, id)
		}
	}
}

// dictMinMax adds the minimum and maximum of the page's distinct
// dictionary-encoded values (see dictStats) to the page statistics.
func (lw *leafWriter) dictMinMax() {
	if len(lw.pageIDs) == 0 {
		lw.pageSeq++
		return
	}
	entry := func(id int32) []byte { return lw.dictBuf[lw.dictOff[id]+4 : lw.dictOff[id+1]] }
	lo, hi := entry(lw.pageIDs[0]), entry(lw.pageIDs[0])
	for _, id := range lw.pageIDs[1:] {
		v := entry(id)
		if bytes.Compare(v, lo) < 0 {
			lo = v
		}
		if bytes.Compare(v, hi) > 0 {
			hi = v
		}
	}
	lw.page.(*metadata.ByteArrayStatistics).SetMinMax(lo, hi)
	lw.pageIDs = lw.pageIDs[:0]
	lw.pageSeq++
}

// binaryBuffers are a string or binary array's value buffer and offsets.
func binaryBuffers(a arrow.Array) ([]byte, []int32) {
	var buf []byte
	if b := a.Data().Buffers()[2]; b != nil {
		buf = b.Bytes()
	}
	switch a := a.(type) {
	case *array.String:
		return buf, a.ValueOffsets()
	case *array.Binary:
		return buf, a.ValueOffsets()
	}
	return nil, nil
}

// batchOffsets are the offsets of values lo..lo+n.
func batchOffsets(offsets []int32, lo, n int) []int32 {
	if n == 0 {
		if lo == len(offsets) {
			return nil
		}
		return offsets[lo : lo+1]
	}
	return offsets[lo : lo+n+1]
}

// putPlain appends the values of batch b (present: see presentSlots),
// PLAIN-encoded, to the page.
func (lw *leafWriter) putPlain(b batchValues, present []int32) {
	lo, hi := b.vo, b.vo+b.spaced
	switch a := lw.values.(type) {
	case *array.Int32, *array.Date32:
		lw.vals = append(lw.vals, arrow.Int32Traits.CastToBytes(gather(&lw.i32, int32Values(a), present, lo, hi))...)
	case *array.Int64, *array.Timestamp:
		lw.vals = append(lw.vals, arrow.Int64Traits.CastToBytes(gather(&lw.i64, int64Values(a), present, lo, hi))...)
	case *array.Float64:
		lw.vals = append(lw.vals, arrow.Float64Traits.CastToBytes(gather(&lw.f64, a.Float64Values(), present, lo, hi))...)
	case *array.Boolean:
		if present == nil {
			for i := lo; i < hi; i++ {
				lw.putBool(a.Value(i))
			}
		} else {
			for _, i := range present {
				lw.putBool(a.Value(int(i)))
			}
		}
	default: // *array.String, *array.Binary
		buf, offsets := binaryBuffers(a)
		add := func(i int) {
			v := buf[offsets[i]:offsets[i+1]]
			lw.vals = binary.LittleEndian.AppendUint32(lw.vals, uint32(len(v)))
			lw.vals = append(lw.vals, v...)
		}
		if present == nil {
			for i := lo; i < hi; i++ {
				add(i)
			}
		} else {
			for _, i := range present {
				add(int(i))
			}
		}
	}
}

// putDict gives the values of batch b their dictionary indices, adding
// new values to the dictionary, and returns their raw size, by which
// arrow-go cuts the pages of a dictionary-encoded chunk.
func (lw *leafWriter) putDict(b batchValues, present []int32) int64 {
	var raw int64
	n := b.spaced
	if present != nil {
		n = len(present)
	}
	slot := func(k int) int { // the k-th value's slot
		if present == nil {
			return b.vo + k
		}
		return int(present[k])
	}
	switch a := lw.values.(type) {
	case *array.String, *array.Binary:
		buf, offsets := binaryBuffers(a)
		for k := range n {
			i := slot(k)
			v := buf[offsets[i]:offsets[i+1]]
			raw += int64(len(v)) + 4
			if lw.lastID >= 0 && bytes.Equal(v, lw.lastStr) {
				lw.idx = append(lw.idx, lw.lastID) // the same value as the one before
				continue
			}
			id, at, tag := lw.strIDs.find(v, lw.dictBuf, lw.dictOff)
			if id < 0 {
				id = int32(lw.strIDs.n)
				lw.dictBuf = binary.LittleEndian.AppendUint32(lw.dictBuf, uint32(len(v)))
				lw.dictBuf = append(lw.dictBuf, v...)
				lw.dictOff = append(lw.dictOff, int32(len(lw.dictBuf)))
				lw.strIDs.add(at, tag, id, lw.dictBuf, lw.dictOff)
			}
			lw.idx = append(lw.idx, id)
			lw.lastStr, lw.lastID = v, id
		}
		lw.nDict = lw.strIDs.n
	default: // numbers: by their 4 or 8 bytes (float64: its bits)
		if lw.numIDs == nil {
			lw.numIDs = make(map[int64]int32)
		}
		width, v32, v64 := 8, int32Values(a), int64Values(a)
		if v32 != nil {
			width = 4
		}
		for k := range n {
			i := slot(k)
			var v int64
			if v32 != nil {
				v = int64(v32[i])
			} else {
				v = v64[i]
			}
			raw += int64(width)
			if lw.lastID >= 0 && v == lw.lastInt {
				lw.idx = append(lw.idx, lw.lastID) // the same value as the one before
				continue
			}
			id, ok := lw.numIDs[v]
			if !ok {
				id = int32(len(lw.numIDs))
				lw.numIDs[v] = id
				if width == 4 {
					lw.dictBuf = binary.LittleEndian.AppendUint32(lw.dictBuf, uint32(v))
				} else {
					lw.dictBuf = binary.LittleEndian.AppendUint64(lw.dictBuf, uint64(v))
				}
				lw.dictOff = append(lw.dictOff, int32(len(lw.dictBuf)))
			}
			lw.idx = append(lw.idx, id)
			lw.lastInt, lw.lastID = v, id
		}
		lw.nDict = len(lw.numIDs)
	}
	return raw
}

// dictPays is arrow-go's check, made for uncompressed columns until the
// first page is cut, that the dictionary and the indices so far are
// smaller than the raw values (raw bytes) they stand for; the indices'
// size is its upper estimate of their encoding.
func (lw *leafWriter) dictPays(raw int64) bool {
	if len(lw.pages) > 0 || lw.dictWritten {
		return true
	}
	width := dictBitWidth(lw.nDict)
	n := len(lw.idx)
	runs := int((n + 7) / 8)
	maxRLE := max(runs+runs*width, runs*(1+(width+7)/8))
	minRLE := max(1+(512*width+7)/8, binary.MaxVarintLen32+(width+7)/8)
	return int64(len(lw.dictBuf)+1+maxRLE+minRLE) < raw
}

// dictBitWidth is the bit width of indices into a dictionary of n entries.
func dictBitWidth(n int) int {
	switch n {
	case 0:
		return 0
	case 1:
		return 1
	}
	return bits.Len32(uint32(n - 1))
}

// fallBack switches the chunk to PLAIN because its dictionary reached
// the dictionary page size limit or does not pay, as arrow-go does: pages already cut
// are written after the dictionary as it stands, and the page being
// filled continues with its values PLAIN-encoded (a value's PLAIN
// encoding is its dictionary entry).
func (lw *leafWriter) fallBack() error {
	if len(lw.pages) > 0 {
		if err := lw.writeDictionary(); err != nil {
			return err
		}
	}
	for _, id := range lw.idx {
		lw.vals = append(lw.vals, lw.dictBuf[lw.dictOff[id]:lw.dictOff[id+1]]...)
	}
	lw.idx = lw.idx[:0]
	lw.dict, lw.fellBack = false, true
	return nil
}

// writeDictionary writes the dictionary page, then the data pages
// buffered until it was known.
func (lw *leafWriter) writeDictionary() error {
	dp := file.NewDictionaryPage(memory.NewBufferBytes(lw.dictBuf), int32(lw.nDict), lw.props.DictionaryPageEncoding())
	if _, err := lw.pager.WriteDictionaryPage(dp); err != nil {
		return err
	}
	lw.dictWritten = true
	for _, p := range lw.pages {
		_, err := lw.pager.WriteDataPage(p)
		p.Release()
		if err != nil {
			return err
		}
	}
	lw.pages = lw.pages[:0]
	return nil
}

// putBool packs v into the page's booleans.
func (lw *leafWriter) putBool(v bool) {
	if v {
		lw.boolBuf[lw.boolPos/8] |= 1 << (lw.boolPos % 8)
	} else {
		lw.boolBuf[lw.boolPos/8] &^= 1 << (lw.boolPos % 8)
	}
	lw.boolPos++
	if lw.boolPos == len(lw.boolBuf)*8 {
		lw.vals = append(lw.vals, lw.boolBuf[:]...)
		lw.boolPos = 0
	}
}

// plainSize is the PLAIN-encoded size of the page's values so far, as
// arrow-go's encoders estimate it to cut pages.
func (lw *leafWriter) plainSize() int64 {
	return int64(len(lw.vals) + (lw.boolPos+7)/8)
}

// gather returns the values at present, or vals[lo:hi] when present is
// nil, in buf.
func gather[T any](buf *[]T, vals []T, present []int32, lo, hi int) []T {
	if present == nil {
		return vals[lo:hi]
	}
	*buf = (*buf)[:0]
	for _, i := range present {
		*buf = append(*buf, vals[i])
	}
	return *buf
}

// levelWidth is the bit width of levels up to max.
func levelWidth(max int16) int { return bits.Len16(uint16(max)) }

// flushPage writes levels lo..hi, with the values put since the last
// page, as a data page.
func (lw *leafWriter) flushPage(lo, hi int, firstRow int64, encoding parquet.Encoding) error {
	buf := lw.buf[:0]
	if max := lw.descr.MaxRepetitionLevel(); max > 0 {
		key := levelsKey{lw.repGen, lo, hi}
		if lw.repKey == key {
			buf = append(buf, lw.repPage...)
		} else {
			at := len(buf)
			buf = lw.appendLevels(buf, lw.rep[lo:hi], max)
			lw.repKey, lw.repPage = key, append(lw.repPage[:0], buf[at:]...)
		}
	}
	if max := lw.descr.MaxDefinitionLevel(); max > 0 {
		if lw.def == nil {
			return fmt.Errorf("column %s: no definition levels", lw.descr.Path())
		}
		buf = lw.appendLevels(buf, lw.def[lo:hi], max)
	}
	switch {
	case lw.dict:
		width := dictBitWidth(lw.nDict)
		buf = append(buf, byte(width))
		lw.lev.reset(width, buf)
		lw.lev.putIndices(lw.idx)
		buf = lw.lev.finish()
		lw.idx = lw.idx[:0]
	default:
		buf = append(buf, lw.vals...)
		buf = append(buf, lw.boolBuf[:(lw.boolPos+7)/8]...)
	}
	lw.buf = buf
	lw.vals, lw.boolPos = lw.vals[:0], 0

	var stats metadata.EncodedStatistics
	if lw.page != nil {
		if _, ok := lw.page.(*metadata.ByteArrayStatistics); ok && lw.dictEnabled {
			lw.dictMinMax()
		}
		var err error
		if stats, err = lw.page.Encode(); err != nil {
			return err
		}
		stats.ApplyStatSizeLimits(int(lw.props.MaxStatsSizeFor(lw.descr.Path())))
		stats.Signed = lw.descr.SortOrder() == schema.SortSIGNED
		lw.chunk.Merge(lw.page)
		lw.page.Reset()
	}
	data := buf
	if lw.pager.HasCompressor() {
		lw.comp.Reset()
		data = lw.pager.Compress(&lw.comp, buf)
	}
	cfg := file.DataPageConfig{
		Num:              int32(hi - lo),
		Encoding:         encoding,
		UncompressedSize: int32(len(buf)),
		Stats:            stats,
		FirstRowIndex:    firstRow,
	}
	if lw.dict {
		// Written after the dictionary page, when the chunk is done.
		owned := bytes.Clone(data)
		lw.pages = append(lw.pages, file.NewDataPageV1WithConfig(memory.NewBufferBytes(owned), parquet.Encodings.RLE, parquet.Encodings.RLE, cfg))
		return nil
	}
	page := file.NewDataPageV1WithConfig(memory.NewBufferBytes(data), parquet.Encodings.RLE, parquet.Encodings.RLE, cfg)
	defer page.Release()
	_, err := lw.pager.WriteDataPage(page)
	return err
}

// levelsKey names a page's repetition levels: levels lo..hi of list repGen.
type levelsKey struct {
	gen    uint64
	lo, hi int
}

// newRepetitionLevels tells lw that the leaves to come belong to a new
// list, with repetition levels of their own.
func (lw *leafWriter) newRepetitionLevels() { lw.repGen++ }

// appendLevels appends levels RLE-encoded after their 4-byte length, as
// version 1 data pages hold them.
func (lw *leafWriter) appendLevels(buf []byte, levels []int16, max int16) []byte {
	at := len(buf)
	buf = append(buf, 0, 0, 0, 0)
	lw.lev.reset(levelWidth(max), buf)
	lw.lev.putLevels(levels)
	buf = lw.lev.finish()
	binary.LittleEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	return buf
}

// int32Values are the values of an Int32 or Date32 array, nulls' slots
// included.
func int32Values(a arrow.Array) []int32 {
	switch a := a.(type) {
	case *array.Int32:
		return a.Int32Values()
	case *array.Date32:
		return arrow.Int32Traits.CastFromBytes(arrow.Date32Traits.CastToBytes(a.Date32Values()))
	}
	return nil
}

// int64Values are the values of an Int64 or Timestamp array, nulls'
// slots included.
func int64Values(a arrow.Array) []int64 {
	switch a := a.(type) {
	case *array.Int64:
		return a.Int64Values()
	case *array.Timestamp:
		return arrow.Int64Traits.CastFromBytes(arrow.TimestampTraits.CastToBytes(a.TimestampValues()))
	case *array.Float64:
		// By their bits: dictionary keys.
		return arrow.Int64Traits.CastFromBytes(arrow.Float64Traits.CastToBytes(a.Float64Values()))
	}
	return nil
}
