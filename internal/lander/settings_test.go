package lander

import (
	"bytes"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// bufFile is a sink.File that keeps what is written.
type bufFile struct{ bytes.Buffer }

func (*bufFile) Close() error { return nil }

// The questions files landerd writes dictionary-encode the option ids and
// the other low-cardinality columns, store the near-unique keys plainly,
// and compress every column with zstd.
func TestQuestionsWriterLayout(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	batch := flatten.NewBatch(mem)
	defer batch.Release()
	gen := attemptgen.New(attemptgen.Config{Seed: 1})
	var dec flatten.Decoder
	for i := range 200 {
		a, err := dec.Decode(gen.Next().Value)
		if err != nil {
			t.Fatal(err)
		}
		batch.AppendAttempt(&flatten.Meta{Topic: "t", Offset: int64(i), LandedAt: time.Unix(1e9, 0)}, a)
	}
	recs := batch.Take()
	defer recs.Release()

	var out bufFile
	opts := WriterOptions(config.CompressionZstd, flatten.QuestionsTable)
	if opts.CompressionLevel != zstdLevel {
		t.Errorf("zstd level %d; want %d", opts.CompressionLevel, zstdLevel)
	}
	pf, err := sink.NewParquetFile(&out, flatten.QuestionsTable.Schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := pf.Write(recs.Questions, 0, 199); err != nil {
		t.Fatal(err)
	}
	if err := pf.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := file.NewParquetReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := map[string]bool{
		"options.list.element.id": true, "question_id": true, "base_exam_id": true, "user_result": true,
		"keen_id": false, "user_exam_id": false, "options.list.element.at": false,
	}
	rg := r.MetaData().RowGroup(0)
	seen := 0
	for i := range rg.NumColumns() {
		cc, err := rg.ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		path := cc.PathInSchema().String()
		if cc.Compression() != compress.Codecs.Zstd {
			t.Errorf("column %s: codec %s; want zstd", path, cc.Compression())
		}
		if dict, ok := want[path]; ok {
			seen++
			if cc.HasDictionaryPage() != dict {
				t.Errorf("column %s: dictionary page %v; want %v", path, cc.HasDictionaryPage(), dict)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d columns checked", seen, len(want))
	}
}
