package icetable

import (
	"bytes"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/apache/iceberg-go"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

func TestSchemaIDs(t *testing.T) {
	for _, tbl := range flatten.Tables() {
		sc, err := Schema(tbl)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Schema(tbl)
		if err != nil {
			t.Fatal(err)
		}
		if !sc.Equals(again) {
			t.Errorf("%s: Schema is not deterministic", tbl.Name)
		}
		// A new table gets the same ids: the catalog numbers them afresh.
		fresh, err := iceberg.AssignFreshSchemaIDs(sc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !fresh.Equals(sc) {
			t.Errorf("%s: a new table would number the fields otherwise:\n%s\n%s", tbl.Name, fresh, sc)
		}
		for i, f := range tbl.Schema.Fields() {
			nf := sc.Field(i)
			if nf.Name != f.Name || nf.Required == f.Nullable || nf.ID < 1 {
				t.Errorf("%s column %d: got %s id %d required %v, want %s required %v", tbl.Name, i, nf.Name, nf.ID, nf.Required, f.Name, !f.Nullable)
			}
		}
		spec, err := Spec(sc, IngestDate)
		if err != nil {
			t.Fatal(err)
		}
		pf := spec.Field(0)
		landed, _ := sc.FindFieldByName("landed_at")
		if spec.NumFields() != 1 || pf.Name != IngestDate.Field || pf.SourceIDs[0] != landed.ID || pf.Transform != (iceberg.DayTransform{}) || pf.FieldID != 1000 {
			t.Errorf("%s: spec %s, want day(landed_at) as ingest_date", tbl.Name, spec)
		}
	}
	sc, _ := Schema(flatten.QuestionsTable)
	opt, ok := sc.FindFieldByName("options")
	if !ok {
		t.Fatal("no options column")
	}
	lt := opt.Type.(*iceberg.ListType)
	st := lt.Element.(*iceberg.StructType)
	if lt.ElementID != opt.ID+1 || st.FieldList[0].ID != lt.ElementID+1 {
		t.Errorf("nested ids: options %d, element %d, first struct field %d; want them in a row", opt.ID, lt.ElementID, st.FieldList[0].ID)
	}
}

// TestFileSchemaWritesFieldIDs writes a questions file (a list of structs)
// with sink's own Parquet writer and checks that every column of the file,
// nested ones included, carries the Iceberg field id.
func TestFileSchemaWritesFieldIDs(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, generic := range []bool{false, true} {
		for _, tbl := range []*flatten.Table{flatten.AttemptsTable, flatten.QuestionsTable} {
			fsch, err := FileSchema(tbl)
			if err != nil {
				t.Fatal(err)
			}
			if !arrow.TypeEqual(arrow.StructOf(fsch.Fields()...), arrow.StructOf(tbl.Schema.Fields()...)) {
				t.Fatalf("%s: file schema types differ from the table's", tbl.Name)
			}
			recs := sample(t, mem)
			rec := recs.Attempts
			if tbl == flatten.QuestionsTable {
				rec = recs.Questions
			}
			rec = array.NewRecordBatch(fsch, rec.Columns(), rec.NumRows())
			var buf memFile
			pf, err := sink.NewParquetFile(&buf, fsch, sink.WriterOptions{Allocator: mem, Generic: generic, Dictionary: tbl.Dictionary})
			if err != nil {
				t.Fatal(err)
			}
			if err := pf.Write(rec, 0, 9); err != nil {
				t.Fatal(err)
			}
			if err := pf.Close(); err != nil {
				t.Fatal(err)
			}
			rec.Release()
			recs.Release()
			r, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Schema(tbl)
			root := r.MetaData().Schema.Root()
			for i := 0; i < root.NumFields(); i++ {
				n := root.Field(i)
				nf, _ := want.FindFieldByName(n.Name())
				if int(n.FieldID()) != nf.ID {
					t.Errorf("%s (generic %v) column %s: field id %d, want %d", tbl.Name, generic, n.Name(), n.FieldID(), nf.ID)
				}
			}
			if tbl == flatten.QuestionsTable {
				// options (list) > list (repeated group) > element (struct) > id
				opt := root.Field(root.FieldIndexByName("options")).(*schema.GroupNode)
				elem := opt.Field(0).(*schema.GroupNode).Field(0).(*schema.GroupNode)
				id := elem.Field(0)
				wantElem, _ := want.FindFieldByName("options.element")
				wantID, _ := want.FindFieldByName("options.element.id")
				if int(elem.FieldID()) != wantElem.ID || int(id.FieldID()) != wantID.ID {
					t.Errorf("generic %v: options element id %d, element.id id %d; want %d, %d", generic, elem.FieldID(), id.FieldID(), wantElem.ID, wantID.ID)
				}
			}
			r.Close()
		}
	}
}

// sample flattens ten generated attempts.
func sample(t *testing.T, mem memory.Allocator) flatten.Records {
	t.Helper()
	gen := attemptgen.New(attemptgen.Config{Seed: 1})
	b := flatten.NewBatch(mem)
	defer b.Release()
	var dec flatten.Decoder
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 10; i++ {
		a, err := dec.Decode(gen.Next().Value)
		if err != nil {
			t.Fatal(err)
		}
		b.AppendAttempt(&flatten.Meta{Topic: "t", Partition: 0, Offset: int64(i), LandedAt: now}, a)
	}
	return b.Take()
}

// memFile is an in-memory sink.File.
type memFile struct{ bytes.Buffer }

func (*memFile) Close() error { return nil }
