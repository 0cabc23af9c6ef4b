package pages

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// WriterTell is where a [Writer] writes its file: an io.Writer that tells
// how many bytes it has taken, from which arrow-go's page writer records
// the offset of every column chunk.
type WriterTell interface {
	io.Writer
	// Tell is the number of bytes written so far: the position in the
	// file.
	Tell() int64
}

// Writer writes record batches as row groups of a Parquet file it
// assembles itself: leafWriter encodes every leaf's pages (levels,
// values, dictionaries, statistics), arrow-go's page writer adds the page
// headers, compresses and records each chunk's metadata, and arrow-go's
// metadata builders make the footer. The definition and repetition
// levels are computed here from the arrays' offsets and validity, for the
// shapes the lake has: primitive columns and lists of structs of
// primitives ([Supports]). The file's schema and key-value metadata
// (including the stored Arrow schema) are built the way
// pqarrow.NewFileWriter builds them, and its pages are the pages
// arrow-go's column writers make from the same values:
// TestColumnWriterMatchesPqarrow and its siblings compare the two
// writers' files byte for byte.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	out       WriterTell
	schema    *arrow.Schema
	props     *parquet.WriterProperties
	meta      *metadata.FileMetaDataBuilder
	rowGroups int
	leaf      *leafWriter // while a row group is written
	// Set while a row group is written.
	rg      *metadata.RowGroupMetaDataBuilder
	col     int // next column (leaf) of the row group
	ordinal int16
}

// parquetMagic begins and ends every Parquet file.
var parquetMagic = []byte("PAR1")

// Supports reports whether a [Writer] writes files of schema with props:
// whether every column of schema has a shape it writes, a primitive
// leafWriter encodes or a list of nullable structs of such primitives
// (arrow.ListOf makes elements nullable), and whether props ask for
// nothing it does not do (a dictionary for a type it has none for,
// encryption, page indexes, bloom filters, other encodings or data page
// versions). Lists of required elements are left to pqarrow: for a chunk
// whose fields are all null, pqarrow records min/max statistics that
// this writer does not.
func Supports(schema *arrow.Schema, props *parquet.WriterProperties) bool {
	if props.FileEncryptionProperties() != nil || props.PageIndexEnabled() ||
		props.DataPageVersion() != parquet.DataPageV1 {
		return false
	}
	leafOK := func(path string, t arrow.DataType) bool {
		if !leafSupported(t) {
			return false
		}
		if props.EncodingFor(path) != parquet.Encodings.Plain || props.BloomFilterEnabledFor(path) {
			return false
		}
		return !props.DictionaryEnabledFor(path) || t.ID() == arrow.BOOL || dictionaryType(t)
	}
	for _, f := range schema.Fields() {
		switch t := f.Type.(type) {
		case arrow.NestedType:
			lt, ok := t.(*arrow.ListType)
			if !ok {
				return false
			}
			st, ok := lt.Elem().(*arrow.StructType)
			if !ok || !lt.ElemField().Nullable {
				return false
			}
			for _, sf := range st.Fields() {
				if !leafOK(f.Name+".list.element."+sf.Name, sf.Type) {
					return false
				}
			}
		default:
			if !leafOK(f.Name, f.Type) {
				return false
			}
		}
	}
	return true
}

// NewWriter starts a Parquet file of schema on w, with the schema and
// key-value metadata pqarrow.NewFileWriter would give it, and writes its
// leading magic bytes. The caller must have checked with [Supports] that
// the Writer writes schema with props (NewWriter does not check again:
// that would cost allocations for every file); write the others with
// pqarrow.FileWriter.
func NewWriter(w WriterTell, schema *arrow.Schema, props *parquet.WriterProperties, arrowProps pqarrow.ArrowWriterProperties) (*Writer, error) {
	pqschema, err := pqarrow.ToParquet(schema, props, arrowProps)
	if err != nil {
		return nil, err
	}
	meta := make(metadata.KeyValueMetadata, 0, schema.Metadata().Len()+1)
	for i, k := range schema.Metadata().Keys() {
		if err := meta.Append(k, schema.Metadata().Values()[i]); err != nil {
			return nil, err
		}
	}
	stored := flight.SerializeSchema(storedSchema(schema), props.Allocator())
	if err := meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(stored)); err != nil {
		return nil, err
	}
	if _, err := w.Write(parquetMagic); err != nil {
		return nil, err
	}
	return &Writer{
		out:    w,
		schema: schema,
		props:  props,
		meta:   metadata.NewFileMetadataBuilder(pqschema, props, meta),
	}, nil
}

// storedSchema is the Arrow schema stored in the file's metadata: schema
// with every list's element field named "element", as Parquet names the
// element group (pqarrow stores it the same way).
func storedSchema(schema *arrow.Schema) *arrow.Schema {
	fields := make([]arrow.Field, schema.NumFields())
	for i, f := range schema.Fields() {
		if lt, ok := f.Type.(*arrow.ListType); ok {
			elem := lt.ElemField()
			elem.Name = "element"
			f = arrow.Field{Name: f.Name, Type: arrow.ListOfField(elem), Nullable: f.Nullable, Metadata: f.Metadata}
		}
		fields[i] = f
	}
	meta := schema.Metadata()
	return arrow.NewSchema(fields, &meta)
}

// Write appends rec, whose schema must be the file's, as one row group.
// After an error the file is unusable.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	if !rec.Schema().Equal(w.schema) {
		return fmt.Errorf("record schema %s does not match the file's %s", rec.Schema(), w.schema)
	}
	w.rg = w.meta.AppendRowGroup()
	w.col, w.ordinal = 0, int16(w.rowGroups)
	w.rowGroups++
	w.leaf = takeLeafWriter(w.props)
	defer func() {
		releaseLeafWriter(w.leaf)
		w.leaf = nil
	}()
	for i, col := range rec.Columns() {
		f := w.schema.Field(i)
		var err error
		if l, ok := col.(*array.List); ok {
			err = w.writeList(f, l)
		} else {
			err = w.writeLeaf(col, w.flatLevels(f, col), nil, f.Nullable)
		}
		if err != nil {
			return fmt.Errorf("column %s: %w", f.Name, err)
		}
	}
	w.rg.SetNumRows(int(rec.NumRows()))
	return w.rg.Finish(0, w.ordinal)
}

// writeLeaf writes the row group's next leaf column chunk: values with
// their levels.
func (w *Writer) writeLeaf(values arrow.Array, def, rep []int16, nullable bool) error {
	meta := w.rg.NextColumnChunk()
	path := meta.Descr().Path()
	pager, err := file.NewPageWriter(w.out, w.props.CompressionFor(path), w.props.CompressionLevelFor(path),
		meta, w.ordinal, int16(w.col), w.props.Allocator(), false, nil, nil)
	if err != nil {
		return err
	}
	w.col++
	return w.leaf.write(values, def, rep, nullable, meta, pager)
}

// flatLevels are the definition levels of a top-level primitive column:
// none when it is required, 1 for a value and 0 for a null otherwise.
func (w *Writer) flatLevels(f arrow.Field, col arrow.Array) []int16 {
	if !f.Nullable {
		return nil
	}
	def := grow(&w.leaf.lvDef, col.Len())
	if col.NullN() == 0 {
		for i := range def {
			def[i] = 1
		}
		return def
	}
	for i := range def {
		if col.IsValid(i) {
			def[i] = 1
		} else {
			def[i] = 0
		}
	}
	return def
}

// writeList writes the leaves of a list-of-structs column. With the
// column, the list's repeated group and the element each adding a
// definition level when they may be absent, a row's levels are:
//   - a null list: one level, definition 0;
//   - an empty list: one level at the list's own definition (dTop);
//   - otherwise one level per element, repetition 0 for the first and 1
//     for the rest, definition dList for a null element, dElem for a
//     present element whose field is null, dLeaf for a value.
//
// The values passed are the element slots of all rows (null elements
// included), as pqarrow passes them.
func (w *Writer) writeList(f arrow.Field, l *array.List) error {
	lt := f.Type.(*arrow.ListType)
	st := lt.Elem().(*arrow.StructType)
	elems := l.ListValues().(*array.Struct)
	offsets := l.Offsets()
	lo, hi := int(offsets[0]), int(offsets[len(offsets)-1])

	dTop := int16(0)
	if f.Nullable {
		dTop = 1
	}
	dList := dTop + 1
	dElem := dList
	if lt.ElemField().Nullable {
		dElem++
	}
	// Levels: one per element, plus one per null or empty list. The
	// repetition levels, and the definition levels short of the leaf,
	// are the same for every field: work them out once.
	n := hi - lo
	for r := range l.Len() {
		if offsets[r] == offsets[r+1] {
			n++
		}
	}
	rep, base := grow(&w.leaf.lvRep, n), grow(&w.leaf.lvBase, n)
	if cap(w.leaf.elemPos) < hi-lo {
		w.leaf.elemPos = make([]int32, hi-lo)
	}
	elemPos := w.leaf.elemPos[:hi-lo] // level of each element
	elemNulls := lt.ElemField().Nullable && elems.NullN() > 0
	pos := 0
	for r := range l.Len() {
		start, end := int(offsets[r]), int(offsets[r+1])
		if start == end {
			rep[pos] = 0
			if l.IsNull(r) {
				base[pos] = 0
			} else {
				base[pos] = dTop
			}
			pos++
			continue
		}
		if l.IsNull(r) {
			return fmt.Errorf("row %d: null list with %d elements", r, end-start)
		}
		for j := start; j < end; j++ {
			rep[pos] = 1
			base[pos] = dElem
			if elemNulls && elems.IsNull(j) {
				base[pos] = dList
			}
			elemPos[j-lo] = int32(pos)
			pos++
		}
		rep[pos-(end-start)] = 0
	}
	w.leaf.newRepetitionLevels()
	for k, sf := range st.Fields() {
		leaf := elems.Field(k)
		def := grow(&w.leaf.lvDef, n)
		copy(def, base)
		if dLeaf := dElem + 1; sf.Nullable {
			// A present element's field adds a level when it is not null.
			bitmap, off := leaf.NullBitmapBytes(), leaf.Data().Offset()
			allValid := leaf.NullN() == 0
			for e, p := range elemPos {
				if def[p] == dElem && (allValid || bitutil.BitIsSet(bitmap, off+lo+e)) {
					def[p] = dLeaf
				}
			}
		}
		values := array.NewSlice(leaf, int64(lo), int64(hi))
		err := w.writeLeaf(values, def, rep, sf.Nullable)
		values.Release()
		if err != nil {
			return fmt.Errorf("field %s: %w", sf.Name, err)
		}
	}
	return nil
}

// Close writes the footer: the file's metadata, its length and the magic.
// It does not close the WriterTell the file was written to: the file is
// complete once that has taken the footer.
func (w *Writer) Close() error {
	fm, err := w.meta.Snapshot()
	if err != nil {
		return err
	}
	n, err := fm.WriteTo(w.out, nil)
	if err != nil {
		return err
	}
	if _, err := w.out.Write(binary.LittleEndian.AppendUint32(nil, uint32(n))); err != nil {
		return err
	}
	_, err = w.out.Write(parquetMagic)
	return err
}

// grow returns (*buf)[:n], reallocating *buf when it is too small.
func grow(buf *[]int16, n int) []int16 {
	if cap(*buf) < n {
		*buf = make([]int16, n)
	}
	return (*buf)[:n]
}
