package pages

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/test/kit/realdata"
)

// memFile keeps what is written to it.
type memFile struct{ bytes.Buffer }

func (f *memFile) Tell() int64 { return int64(f.Len()) }

// options are the writer settings the tests vary, named as package sink's
// WriterOptions names them.
type options struct {
	// Compression is "zstd" (also when empty), "snappy" or "none".
	Compression      string
	CompressionLevel int
	// Dictionary lists the dictionary-encoded columns; nil means every
	// column is.
	Dictionary []string
	Allocator  memory.Allocator
}

// properties are the writer properties that package sink's ParquetFile
// builds from the same settings (newParquetFile in ../../parquet.go): the
// lake's conventions, which both of its writers are given.
func (o options) properties(t testing.TB) (*parquet.WriterProperties, pqarrow.ArrowWriterProperties) {
	t.Helper()
	codec := compress.Codecs.Zstd
	switch o.Compression {
	case "", "zstd":
	case "snappy":
		codec = compress.Codecs.Snappy
	case "none":
		codec = compress.Codecs.Uncompressed
	default:
		t.Fatalf("compression %q", o.Compression)
	}
	mem := o.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	popts := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(codec),
		parquet.WithStats(true),
		parquet.WithDataPageVersion(parquet.DataPageV1),
	}
	if o.CompressionLevel != 0 {
		popts = append(popts, parquet.WithCompressionLevel(o.CompressionLevel))
	}
	if o.Dictionary != nil {
		popts = append(popts, parquet.WithDictionaryDefault(false))
		for _, col := range o.Dictionary {
			popts = append(popts, parquet.WithDictionaryFor(col, true))
		}
	}
	return parquet.NewWriterProperties(popts...), pqarrow.NewArrowWriterProperties(
		pqarrow.WithAllocator(mem),
		pqarrow.WithStoreSchema(),
		pqarrow.WithDeprecatedInt96Timestamps(false),
		pqarrow.WithCoerceTimestamps(arrow.Microsecond),
	)
}

// writeBoth writes the records as row groups of one file through the
// generic pqarrow writer and through the page encoder and returns both
// files' bytes.
func writeBoth(t *testing.T, schema *arrow.Schema, opts options, recs []arrow.RecordBatch) (generic, direct []byte) {
	t.Helper()
	props, arrowProps := opts.properties(t)
	var g bytes.Buffer
	fw, err := pqarrow.NewFileWriter(schema, &g, props, arrowProps)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if err := fw.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}

	props, arrowProps = opts.properties(t)
	if !Supports(schema, props) {
		t.Fatalf("schema %s is not written by the page encoder", schema)
	}
	d := &memFile{}
	w, err := NewWriter(d, schema, props, arrowProps)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return g.Bytes(), d.Bytes()
}

// compareFiles checks that two Parquet files have the same schema (every
// column's path, physical and logical type, repetition and field id, in
// order), the same key-value metadata, the same row groups with the same
// codec, encodings and statistics per column chunk, and the same rows
// read back; and finally that they are the same bytes.
func compareFiles(t *testing.T, generic, direct []byte, wantRows arrow.Table) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	open := func(b []byte) *file.Reader {
		r, err := file.NewParquetReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	gr, dr := open(generic), open(direct)
	defer gr.Close()
	defer dr.Close()
	gm, dm := gr.MetaData(), dr.MetaData()

	if !gm.Schema.Equals(dm.Schema) {
		t.Fatalf("schemas differ:\ngeneric: %s\ndirect:  %s", gm.Schema, dm.Schema)
	}
	for i := range gm.Schema.NumColumns() {
		g, d := gm.Schema.Column(i), dm.Schema.Column(i)
		if g.Path() != d.Path() || g.PhysicalType() != d.PhysicalType() ||
			!g.LogicalType().Equals(d.LogicalType()) || g.ConvertedType() != d.ConvertedType() ||
			g.MaxDefinitionLevel() != d.MaxDefinitionLevel() || g.MaxRepetitionLevel() != d.MaxRepetitionLevel() ||
			g.SchemaNode().FieldID() != d.SchemaNode().FieldID() {
			t.Fatalf("column %d: generic %s, direct %s", i, g, d)
		}
	}
	gkv, dkv := gm.KeyValueMetadata(), dm.KeyValueMetadata()
	if fmt.Sprint(gkv.Keys(), gkv.Values()) != fmt.Sprint(dkv.Keys(), dkv.Values()) {
		t.Fatalf("key-value metadata differs:\ngeneric: %v\ndirect:  %v", gkv, dkv)
	}
	if v, ok := findKey(dkv.Keys(), dkv.Values(), "ARROW:schema"); !ok || v == "" {
		t.Fatal("direct file has no ARROW:schema entry")
	}
	mixedEncodings := false
	if gm.NumRowGroups() != dm.NumRowGroups() || gm.NumRows != dm.NumRows {
		t.Fatalf("row groups %d / %d, rows %d / %d", gm.NumRowGroups(), dm.NumRowGroups(), gm.NumRows, dm.NumRows)
	}
	for rg := range gm.NumRowGroups() {
		for c := range gm.Schema.NumColumns() {
			gc, err := gm.RowGroup(rg).ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			dc, err := dm.RowGroup(rg).ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			path := gm.Schema.Column(c).Path()
			ges, des := encodingStats(gc.EncodingStats()), encodingStats(dc.EncodingStats())
			if ges != des {
				t.Fatalf("row group %d column %s: page encodings %s / %s", rg, path, ges, des)
			}
			mixedEncodings = mixedEncodings || len(gc.EncodingStats()) > 2
			if gc.Compression() != dc.Compression() || fmt.Sprint(gc.Encodings()) != fmt.Sprint(dc.Encodings()) ||
				gc.HasDictionaryPage() != dc.HasDictionaryPage() || gc.NumValues() != dc.NumValues() {
				t.Fatalf("row group %d column %s: codec %s/%s, encodings %v/%v, dictionary %v/%v, values %d/%d", rg, path,
					gc.Compression(), dc.Compression(), gc.Encodings(), dc.Encodings(),
					gc.HasDictionaryPage(), dc.HasDictionaryPage(), gc.NumValues(), dc.NumValues())
			}
			gs, err := gc.Statistics()
			if err != nil {
				t.Fatal(err)
			}
			ds, err := dc.Statistics()
			if err != nil {
				t.Fatal(err)
			}
			if (gs == nil) != (ds == nil) || gs != nil && (gs.NullCount() != ds.NullCount() ||
				gs.HasMinMax() != ds.HasMinMax() || gs.HasMinMax() && !bytes.Equal(gs.EncodeMin(), ds.EncodeMin()) ||
				gs.HasMinMax() && !bytes.Equal(gs.EncodeMax(), ds.EncodeMax())) {
				t.Fatalf("row group %d column %s: statistics differ: %v / %v", rg, path, gs, ds)
			}
		}
	}

	ctx := context.Background()
	for name, b := range map[string][]byte{"generic": generic, "direct": direct} {
		tbl, err := pqarrow.ReadTable(ctx, bytes.NewReader(b), parquet.NewReaderProperties(mem),
			pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, mem)
		if err != nil {
			t.Fatal(err)
		}
		for i := range int(wantRows.NumCols()) {
			if !array.ChunkedEqual(tbl.Column(i).Data(), wantRows.Column(i).Data()) {
				tbl.Release()
				t.Fatalf("%s file: column %s reads back different from the records written", name, wantRows.Schema().Field(i).Name)
			}
		}
		if tbl.NumRows() != wantRows.NumRows() {
			t.Fatalf("%s file: %d rows; want %d", name, tbl.NumRows(), wantRows.NumRows())
		}
		tbl.Release()
	}

	// The pages are the same bytes. So is the footer, but for one thing:
	// arrow-go lists a column chunk's page encoding statistics in map
	// order, which varies from one write to the next when a chunk holds
	// pages of two encodings (a dictionary that fell back to plain); those
	// are compared as sets above.
	gEnd, dEnd := footerStart(t, generic), footerStart(t, direct)
	if gEnd != dEnd || !bytes.Equal(generic[:gEnd], direct[:dEnd]) {
		t.Fatalf("pages differ in their bytes (%d / %d bytes of pages) though schema, metadata and rows match%s", gEnd, dEnd, firstDifferentChunk(gm, dm, generic, direct))
	}
	if len(generic) != len(direct) {
		t.Fatalf("footers of %d / %d bytes", len(generic)-gEnd, len(direct)-dEnd)
	}
	if !mixedEncodings && !bytes.Equal(generic, direct) {
		t.Fatal("footers differ in their bytes though schema, metadata and rows match")
	}
}

// encodingStats lists a column chunk's page encoding statistics in a
// fixed order.
func encodingStats(st []metadata.PageEncodingStats) string {
	out := make([]string, len(st))
	for i, e := range st {
		out[i] = fmt.Sprint(e.PageType, "/", e.Encoding)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// footerStart is the offset of a Parquet file's footer: the bytes before
// it are the pages.
func footerStart(t *testing.T, b []byte) int {
	t.Helper()
	if len(b) < 12 || string(b[len(b)-4:]) != "PAR1" {
		t.Fatal("not a Parquet file")
	}
	return len(b) - 8 - int(binary.LittleEndian.Uint32(b[len(b)-8:]))
}

func findKey(keys, values []string, key string) (string, bool) {
	for i, k := range keys {
		if k == key {
			return values[i], true
		}
	}
	return "", false
}

// lakeBatches flattens generated attempts, including invalid ones, into
// record batches of the three tables, rows rows at a time.
func lakeBatches(t *testing.T, mem memory.Allocator, batches, rows int) []flatten.Records {
	t.Helper()
	gen := attemptgen.New(attemptgen.Config{Seed: 7})
	batch := flatten.NewBatch(mem)
	defer batch.Release()
	var dec flatten.Decoder
	meta := &flatten.Meta{Topic: "attempts", Partition: 3, LandedAt: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	var out []flatten.Records
	off := int64(0)
	for range batches {
		for i := range rows {
			msg := gen.Next().Value
			meta.Offset = off
			meta.Key = []byte(fmt.Sprint("k", off))
			off++
			if i%97 == 5 {
				msg = msg[:len(msg)/2] // truncated: quarantined
			}
			a, err := dec.Decode(msg)
			var inv *flatten.InvalidError
			switch {
			case errors.As(err, &inv):
				batch.AppendQuarantine(meta, inv, msg)
			case err != nil:
				t.Fatal(err)
			default:
				batch.AppendAttempt(meta, a)
			}
		}
		out = append(out, batch.Take())
	}
	return out
}

// The direct column writer writes the lake's tables exactly as pqarrow's
// generic writer does: same schema, metadata, encodings, statistics and
// rows, and in fact the same bytes, for landerd's settings and others.
func TestColumnWriterMatchesPqarrow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recs := lakeBatches(t, mem, 3, 700)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for _, tbl := range flatten.Tables() {
		var batches []arrow.RecordBatch
		for _, r := range recs {
			switch tbl.Name {
			case flatten.TableAttempts:
				batches = append(batches, r.Attempts)
			case flatten.TableQuestions:
				batches = append(batches, r.Questions)
			case flatten.TableQuarantine:
				batches = append(batches, r.Quarantine)
			}
		}
		for _, b := range batches {
			if b == nil || b.NumRows() == 0 {
				t.Fatalf("table %s: a batch without rows", tbl.Name)
			}
		}
		want := array.NewTableFromRecords(tbl.Schema, batches)
		for _, o := range []struct {
			name string
			opts options
		}{
			{"landerd", options{Dictionary: tbl.Dictionary, CompressionLevel: 1}},
			{"all-dictionary", options{}},
			{"no-dictionary-snappy", options{Dictionary: []string{}, Compression: "snappy"}},
			{"none", options{Dictionary: tbl.Dictionary, Compression: "none"}},
		} {
			t.Run(tbl.Name+"/"+o.name, func(t *testing.T) {
				opts := o.opts
				opts.Allocator = mem
				g, d := writeBoth(t, tbl.Schema, opts, batches)
				compareFiles(t, g, d, want)
			})
		}
		want.Release()
	}
}

// Lists of structs with every kind of absence — null lists, empty lists,
// null elements, null fields, required and optional lists and fields — are
// written as pqarrow writes them. (Lists of required elements go through
// pqarrow itself: TestColumnWriterLeavesRequiredElements.)
func TestColumnWriterListLevels(t *testing.T) {
	for _, shape := range []struct {
		name                           string
		listNull, elemNull, fieldsNull bool
		distinct                       int // distinct option ids
	}{
		{"all optional", true, true, true, 300},
		{"required list", false, true, true, 300},
		{"required fields", true, true, false, 300},
		{"required list and fields", false, true, false, 300},
		// A dictionary larger than the page size limit: the writer falls
		// back to plain encoding.
		{"dictionary over its limit", true, true, true, 1 << 30},
	} {
		t.Run(shape.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			elem := arrow.StructOf(
				arrow.Field{Name: "id", Type: arrow.BinaryTypes.String, Nullable: shape.fieldsNull},
				arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: shape.fieldsNull},
				arrow.Field{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
				arrow.Field{Name: "at", Type: flatten.Timestamp, Nullable: shape.fieldsNull},
			)
			schema := arrow.NewSchema([]arrow.Field{
				{Name: "k", Type: arrow.PrimitiveTypes.Int64},
				{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
				{Name: "l", Type: arrow.ListOfField(arrow.Field{Name: "item", Type: elem, Nullable: shape.elemNull}), Nullable: shape.listNull},
				{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			}, nil)
			rnd := rand.New(rand.NewPCG(1, 2))
			var recs []arrow.RecordBatch
			for _, rows := range []int{1, 300, 12000} {
				recs = append(recs, randomRecord(mem, schema, rnd, rows, shape.listNull, shape.elemNull, shape.fieldsNull, shape.distinct))
			}
			defer func() {
				for _, r := range recs {
					r.Release()
				}
			}()
			want := array.NewTableFromRecords(schema, recs)
			defer want.Release()
			g, d := writeBoth(t, schema, options{Dictionary: []string{"s", "l.list.element.id"}, Allocator: mem}, recs)
			compareFiles(t, g, d, want)
			// The last row group's ids span several data pages, so that
			// page boundaries and page statistics are compared too.
			if pages := dataPages(t, d, 2, 2); pages < 2 {
				t.Fatalf("ids of the last row group in %d data page(s); want several", pages)
			}
		})
	}
}

// randomRecord builds rows of the list test's schema with nulls and empty
// lists wherever the schema allows them.
func randomRecord(mem memory.Allocator, schema *arrow.Schema, rnd *rand.Rand, rows int, listNull, elemNull, fieldsNull bool, distinct int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	k := b.Field(0).(*array.Int64Builder)
	s := b.Field(1).(*array.StringBuilder)
	l := b.Field(2).(*array.ListBuilder)
	st := l.ValueBuilder().(*array.StructBuilder)
	id := st.FieldBuilder(0).(*array.StringBuilder)
	n := st.FieldBuilder(1).(*array.Int32Builder)
	ok := st.FieldBuilder(2).(*array.BooleanBuilder)
	at := st.FieldBuilder(3).(*array.TimestampBuilder)
	f := b.Field(3).(*array.Float64Builder)
	for r := range rows {
		k.Append(int64(r))
		if rnd.IntN(5) == 0 {
			s.AppendNull()
		} else {
			s.Append(fmt.Sprint("s", rnd.IntN(50)))
		}
		if rnd.IntN(7) == 0 {
			f.AppendNull()
		} else {
			f.Append(rnd.Float64())
		}
		switch {
		case listNull && rnd.IntN(8) == 0:
			l.AppendNull()
			continue
		case rnd.IntN(8) == 0:
			l.AppendEmptyValue()
			continue
		}
		l.Append(true)
		for range 1 + rnd.IntN(12) {
			if elemNull && rnd.IntN(9) == 0 {
				st.AppendNull()
				continue
			}
			st.Append(true)
			if fieldsNull && rnd.IntN(6) == 0 {
				id.AppendNull()
				n.AppendNull()
				at.AppendNull()
			} else {
				id.Append(fmt.Sprintf("option-%09d-%s", rnd.IntN(distinct), idPadding))
				n.Append(rnd.Int32N(1000))
				at.Append(arrow.Timestamp(rnd.Int64N(1 << 50)))
			}
			if rnd.IntN(4) == 0 {
				ok.AppendNull()
			} else {
				ok.Append(rnd.IntN(2) == 0)
			}
		}
	}
	return b.NewRecordBatch()
}

// A list of required elements is left to pqarrow's generic writer.
func TestColumnWriterLeavesRequiredElements(t *testing.T) {
	elem := arrow.StructOf(arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "l", Type: arrow.ListOfField(arrow.Field{Name: "item", Type: elem}), Nullable: true},
	}, nil)
	props, _ := options{}.properties(t)
	if Supports(schema, props) {
		t.Fatal("a list of required elements is taken by the page encoder")
	}
}

// idPadding makes option ids long enough for a row group's ids to fill
// several 1 MiB data pages.
const idPadding = "abcdefghijklmnopqrstuvwxyz0123456789"

// dataPages counts the data pages of column col in row group rg.
func dataPages(t *testing.T, b []byte, rg, col int) int {
	t.Helper()
	r, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pr, err := r.RowGroup(rg).GetColumnPageReader(col)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for pr.Next() {
		if _, ok := pr.Page().(*file.DataPageV1); ok {
			n++
		}
	}
	if err := pr.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// The real data set's attempts and questions, in one row group each, are
// written by the direct writer exactly as by pqarrow.
func TestColumnWriterRealDataSet(t *testing.T) {
	raw, err := os.ReadFile(realdata.Path(t, realdata.ArrayFile))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(raw, &msgs); err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batch := flatten.NewBatch(mem)
	defer batch.Release()
	var dec flatten.Decoder
	meta := &flatten.Meta{Topic: "attempts", LandedAt: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	for i, m := range msgs {
		meta.Offset = int64(i)
		a, err := dec.Decode(m)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		batch.AppendAttempt(meta, a)
	}
	recs := batch.Take()
	defer recs.Release()
	for _, tc := range []struct {
		tbl *flatten.Table
		rec arrow.RecordBatch
	}{{flatten.AttemptsTable, recs.Attempts}, {flatten.QuestionsTable, recs.Questions}} {
		t.Run(tc.tbl.Name, func(t *testing.T) {
			want := array.NewTableFromRecords(tc.tbl.Schema, []arrow.RecordBatch{tc.rec})
			defer want.Release()
			g, d := writeBoth(t, tc.tbl.Schema, options{Dictionary: tc.tbl.Dictionary, CompressionLevel: 1, Allocator: mem}, []arrow.RecordBatch{tc.rec})
			compareFiles(t, g, d, want)
		})
	}
}

// firstDifferentChunk names the first column chunk whose bytes (pages and
// inline metadata) differ between the two files, and where.
func firstDifferentChunk(gm, dm *metadata.FileMetaData, generic, direct []byte) string {
	chunk := func(m *metadata.FileMetaData, b []byte, rg, c int) []byte {
		cc, err := m.RowGroup(rg).ColumnChunk(c)
		if err != nil {
			return nil
		}
		start := cc.DataPageOffset()
		if cc.HasDictionaryPage() {
			start = cc.DictionaryPageOffset()
		}
		return b[start : start+cc.TotalCompressedSize()]
	}
	for rg := range gm.NumRowGroups() {
		for c := range gm.Schema.NumColumns() {
			g, d := chunk(gm, generic, rg, c), chunk(dm, direct, rg, c)
			if bytes.Equal(g, d) {
				continue
			}
			at := 0
			for at < min(len(g), len(d)) && g[at] == d[at] {
				at++
			}
			return fmt.Sprintf(": row group %d column %s (%d / %d bytes) first differs at byte %d",
				rg, gm.Schema.Column(c).Path(), len(g), len(d), at)
		}
	}
	return ""
}

// A write batch of a dictionary-encoded list leaf whose levels are mostly
// null lists: arrow-go counts its values as fewer than none, yet takes
// their minimum and maximum; so must the page encoder.
func TestColumnWriterSparseListStatistics(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	elem := arrow.StructOf(arrow.Field{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "l", Type: arrow.ListOfField(arrow.Field{Name: "item", Type: elem, Nullable: true}), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	l := b.Field(0).(*array.ListBuilder)
	st := l.ValueBuilder().(*array.StructBuilder)
	id := st.FieldBuilder(0).(*array.StringBuilder)
	for r := range 3000 {
		if r%40 != 0 {
			l.AppendNull()
			continue
		}
		l.Append(true)
		st.Append(true)
		id.Append(fmt.Sprint("id", r%7))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	want := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
	defer want.Release()
	g, d := writeBoth(t, schema, options{Dictionary: []string{"l.list.element.id"}, Allocator: mem}, []arrow.RecordBatch{rec})
	compareFiles(t, g, d, want)
}

func TestAppendSetBits(t *testing.T) {
	bitmap := make([]byte, 40)
	for i := range bitmap {
		bitmap[i] = byte(i*37 + 11)
	}
	bitmap[5], bitmap[6], bitmap[7] = 0xff, 0, 0xff
	for off := int64(0); off < 19; off++ {
		for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, 200} {
			var want []int32
			for i := range n {
				if bitmap[(off+int64(i))/8]>>((off+int64(i))%8)&1 == 1 {
					want = append(want, 100+int32(i))
				}
			}
			got := appendSetBits([]int32{-1}, bitmap, off, n, 100)
			if !slices.Equal(got, append([]int32{-1}, want...)) {
				t.Fatalf("off %d, n %d: got %v, want %v", off, n, got[1:], want)
			}
		}
	}
}
