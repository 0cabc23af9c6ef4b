package sink

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// columnWriter writes record batches as row groups straight through
// arrow-go's column chunk writers, with the definition and repetition
// levels computed here from the arrays' offsets and validity. It replaces
// pqarrow's generic path (a level builder that walks every array through
// an interface per node, then slices and re-wraps each leaf) for the
// shapes the lake has: primitive columns and lists of structs of
// primitives. Dictionary-encoded string leaves get their dictionary and
// indices from dictIndexer; every other leaf is encoded by
// pqarrow.WriteArrowToColumn. Values, dictionaries, statistics, pages
// and compression come out exactly as pqarrow writes them, and the
// file's schema and key-value metadata (including the stored Arrow
// schema) are built the way pqarrow.NewFileWriter builds them:
// TestColumnWriterMatchesPqarrow and its siblings compare the two
// writers' files byte for byte.
type columnWriter struct {
	w      *file.Writer
	schema *arrow.Schema
	props  *parquet.WriterProperties
	// wctx carries pqarrow's per-writer scratch state (its arrow write
	// context); it is not a cancellation context.
	wctx context.Context
	def  []int16 // definition levels of the leaf being written
	rep  []int16 // repetition levels of the leaf being written
	dict dictIndexer
}

// directWritable reports whether every column of schema has a shape
// columnWriter writes: a primitive, or a list of nullable structs of
// primitives (arrow.ListOf makes elements nullable). Lists of required
// elements are left to pqarrow: for a chunk whose fields are all null,
// pqarrow records min/max statistics that this writer does not.
func directWritable(schema *arrow.Schema) bool {
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
				if _, nested := sf.Type.(arrow.NestedType); nested || !primitive(sf.Type) {
					return false
				}
			}
		default:
			if !primitive(f.Type) {
				return false
			}
		}
	}
	return true
}

// primitive reports whether t is a flat type pqarrow writes as one leaf
// without conversion of its layout.
func primitive(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.STRING, arrow.BINARY,
		arrow.TIMESTAMP, arrow.DATE32:
		return true
	}
	return false
}

// newColumnWriter starts a Parquet file on w with the schema and
// key-value metadata pqarrow.NewFileWriter would give it.
func newColumnWriter(schema *arrow.Schema, w *countingWriter, props *parquet.WriterProperties, arrowProps pqarrow.ArrowWriterProperties) (*columnWriter, error) {
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
	fw, err := file.NewParquetWriterWithError(w, pqschema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(meta))
	if err != nil {
		return nil, err
	}
	return &columnWriter{w: fw, schema: schema, props: props, wctx: pqarrow.NewArrowWriteContext(context.Background(), &arrowProps)}, nil
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

// write appends rec as one row group.
func (cw *columnWriter) write(rec arrow.RecordBatch) error {
	if !rec.Schema().Equal(cw.schema) {
		return fmt.Errorf("record schema %s does not match the file's %s", rec.Schema(), cw.schema)
	}
	rgw, err := cw.w.AppendRowGroupChecked()
	if err != nil {
		return err
	}
	for i, col := range rec.Columns() {
		f := cw.schema.Field(i)
		var err error
		if l, ok := col.(*array.List); ok {
			err = cw.writeList(rgw, f, l)
		} else {
			var shape levelShape
			if f.Nullable {
				shape.value = 1
			}
			err = cw.writeLeaf(rgw, f.Name, col, cw.flatLevels(f, col), nil, f.Nullable, shape)
		}
		if err != nil {
			return fmt.Errorf("column %s: %w", f.Name, err)
		}
	}
	// The scratch buffers are sized by the largest leaf of this row
	// group; a file stays open across flushes, so let them go rather than
	// hold them per open file.
	cw.def, cw.rep, cw.dict = nil, nil, dictIndexer{}
	return rgw.Close()
}

// levelShape says which definition levels of a leaf have a value slot
// (slot: the levels at or above it; 0 for a top-level column, whose
// every level has one) and which hold a value (value: the leaf's maximum
// definition level). def == nil means every level holds a value.
type levelShape struct{ slot, value int16 }

// writeLeaf writes one leaf column chunk: values with their levels.
// A dictionary-encoded string leaf has its dictionary indices computed
// here (dictIndexer) and written as an Arrow dictionary array.
func (cw *columnWriter) writeLeaf(rgw file.SerialRowGroupWriter, path string, values arrow.Array, def, rep []int16, nullable bool, shape levelShape) error {
	ccw, err := rgw.NextColumn()
	if err != nil {
		return err
	}
	if s, ok := values.(*array.String); ok && cw.props.DictionaryEnabledFor(path) {
		written, err := cw.dict.write(ccw, s, def, rep, nullable, shape, cw.props)
		if written || err != nil {
			return err
		}
	}
	return pqarrow.WriteArrowToColumn(cw.wctx, ccw, values, def, rep, nullable)
}

// flatLevels are the definition levels of a top-level primitive column:
// none when it is required, 1 for a value and 0 for a null otherwise.
func (cw *columnWriter) flatLevels(f arrow.Field, col arrow.Array) []int16 {
	if !f.Nullable {
		return nil
	}
	def := grow(&cw.def, col.Len())
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
func (cw *columnWriter) writeList(rgw file.SerialRowGroupWriter, f arrow.Field, l *array.List) error {
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
	// Levels: one per element, plus one per null or empty list.
	n := hi - lo
	for r := range l.Len() {
		if offsets[r] == offsets[r+1] {
			n++
		}
	}
	for k, sf := range st.Fields() {
		dLeaf := dElem
		if sf.Nullable {
			dLeaf++
		}
		leaf := elems.Field(k)
		def, rep := grow(&cw.def, n), grow(&cw.rep, n)
		pos := 0
		for r := range l.Len() {
			start, end := int(offsets[r]), int(offsets[r+1])
			if start == end {
				rep[pos] = 0
				if l.IsNull(r) {
					def[pos] = 0
				} else {
					def[pos] = dTop
				}
				pos++
				continue
			}
			if l.IsNull(r) {
				return fmt.Errorf("row %d: null list with %d elements", r, end-start)
			}
			for j := start; j < end; j++ {
				rep[pos] = 1
				switch {
				case lt.ElemField().Nullable && elems.IsNull(j):
					def[pos] = dList
				case sf.Nullable && leaf.IsNull(j):
					def[pos] = dElem
				default:
					def[pos] = dLeaf
				}
				pos++
			}
			rep[pos-(end-start)] = 0
		}
		values := array.NewSlice(leaf, int64(lo), int64(hi))
		err := cw.writeLeaf(rgw, f.Name+".list.element."+sf.Name, values, def, rep, sf.Nullable, levelShape{slot: dList, value: dLeaf})
		values.Release()
		if err != nil {
			return fmt.Errorf("field %s: %w", sf.Name, err)
		}
	}
	return nil
}

// close writes the footer.
func (cw *columnWriter) close() error {
	return cw.w.Close()
}

// grow returns (*buf)[:n], reallocating *buf when it is too small.
func grow(buf *[]int16, n int) []int16 {
	if cap(*buf) < n {
		*buf = make([]int16, n)
	}
	return (*buf)[:n]
}
