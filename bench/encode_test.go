package main

import (
	"io"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/pkg/flatten"
)

// encodeRows is how many attempts one benchmark row group holds: about what
// one partition owner buffers between row groups under the default budget.
const encodeRows = 5000

// generated returns n attempt values of the harness's stream.
func generated(n int) (values [][]byte, bytes int64) {
	g := attemptgen.New(attemptgen.Config{Seed: 1})
	for range n {
		v := g.Next().Value
		values = append(values, v)
		bytes += int64(len(v))
	}
	return values, bytes
}

// BenchmarkFlatten measures the owner's per-record work before Parquet:
// decoding a message and appending it to the Arrow batch.
func BenchmarkFlatten(b *testing.B) {
	values, size := generated(encodeRows)
	var dec flatten.Decoder
	mem := memory.NewGoAllocator()
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		batch := flatten.NewBatch(mem)
		for i, v := range values {
			a, err := dec.Decode(v)
			if err != nil {
				b.Fatal(err)
			}
			batch.AppendAttempt(&flatten.Meta{Topic: benchTopic, Offset: int64(i), LandedAt: time.Now()}, a)
		}
		batch.Take().Release()
		batch.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*encodeRows), "ns/record")
}

// BenchmarkParquet measures writing one batch of attempts (both tables) as
// Parquet row groups under several writer settings, to show what the
// default settings cost. "zstd" is what pkg/sink uses today.
func BenchmarkParquet(b *testing.B) {
	values, size := generated(encodeRows)
	var dec flatten.Decoder
	mem := memory.NewGoAllocator()
	batch := flatten.NewBatch(mem)
	base := time.Now()
	for i, v := range values {
		a, err := dec.Decode(v)
		if err != nil {
			b.Fatal(err)
		}
		landed := base.Add(time.Duration(i) * time.Microsecond)
		batch.AppendAttempt(&flatten.Meta{Topic: benchTopic, Offset: int64(i), LandedAt: landed, Timestamp: landed}, a)
	}
	recs := batch.Take()
	defer batch.Release()
	defer recs.Release()

	variants := []struct {
		name  string
		codec compress.Compression
		opts  []parquet.WriterProperty
	}{
		{"zstd", compress.Codecs.Zstd, nil},
		{"zstd-nodict", compress.Codecs.Zstd, []parquet.WriterProperty{parquet.WithDictionaryDefault(false)}},
		{"zstd-dict-low-cardinality-only", compress.Codecs.Zstd, highCardinalityNoDict()},
		{"snappy", compress.Codecs.Snappy, nil},
		{"snappy-dict-low-cardinality-only", compress.Codecs.Snappy, highCardinalityNoDict()},
		{"none", compress.Codecs.Uncompressed, nil},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			var out int64
			for b.Loop() {
				out = 0
				for _, rec := range []arrow.RecordBatch{recs.Attempts, recs.Questions} {
					n, err := writeParquet(rec, v.codec, v.opts)
					if err != nil {
						b.Fatal(err)
					}
					out += n
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*encodeRows), "ns/record")
			b.ReportMetric(float64(out)/float64(encodeRows), "parquet-B/record")
		})
	}
}

// highCardinalityNoDict turns dictionary encoding off for the columns whose
// values are (nearly) unique per row: ids, offsets and timestamps.
func highCardinalityNoDict() []parquet.WriterProperty {
	var opts []parquet.WriterProperty
	for _, col := range []string{
		"keen_id", "user_exam_id", "kafka_offset", "kafka_timestamp", "landed_at",
		"keen_timestamp", "keen_created_at", "started_at", "first_answer_at", "completed_at",
		"last_answer_at", "duration_seconds", "score", "unknown_fields",
		"options.list.element.at", "options.list.element.id",
	} {
		opts = append(opts, parquet.WithDictionaryFor(col, false))
	}
	return opts
}

func writeParquet(rec arrow.RecordBatch, codec compress.Compression, extra []parquet.WriterProperty) (int64, error) {
	props := parquet.NewWriterProperties(append([]parquet.WriterProperty{
		parquet.WithCompression(codec), parquet.WithStats(true), parquet.WithDataPageVersion(parquet.DataPageV1),
	}, extra...)...)
	var w countWriter
	fw, err := pqarrow.NewFileWriter(rec.Schema(), &w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return 0, err
	}
	if err := fw.Write(rec); err != nil {
		return 0, err
	}
	if err := fw.Close(); err != nil {
		return 0, err
	}
	return w.n, nil
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)
