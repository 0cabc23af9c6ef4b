package lander

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// discard is a sink.File that counts and drops what is written.
type discard struct{ n int64 }

func (d *discard) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }
func (d *discard) Close() error                { return nil }

// cpuTime is the CPU time (user + system) the process has used, all
// threads and the garbage collector included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEncode measures flattening plus Parquet encoding of all three
// tables per attempt, for the writer settings the lander uses and for
// alternatives, with row groups of rowsPerGroup attempts. Besides wall
// time it reports the process's CPU time per 100k attempts, which a busy
// shared machine inflates less than wall time.
func BenchmarkEncode(b *testing.B) {
	const rowsPerGroup = 5000
	gen := attemptgen.New(attemptgen.Config{Seed: 1})
	msgs := make([][]byte, rowsPerGroup)
	var size int
	for i := range msgs {
		msgs[i] = append([]byte(nil), gen.Next().Value...)
		size += len(msgs[i])
	}
	variants := []struct {
		name string
		opts func(t *flatten.Table) sink.WriterOptions
	}{
		{"landerd", func(t *flatten.Table) sink.WriterOptions { return WriterOptions("zstd", t) }},
		{"landerd-generic", func(t *flatten.Table) sink.WriterOptions {
			o := WriterOptions("zstd", t)
			o.Generic = true
			return o
		}},
		{"landerd-zstd3", func(t *flatten.Table) sink.WriterOptions {
			o := WriterOptions("zstd", t)
			o.CompressionLevel = 3
			return o
		}},
		{"earlier-layout-zstd3", func(t *flatten.Table) sink.WriterOptions {
			o := WriterOptions("zstd", t)
			o.Dictionary = slices.DeleteFunc(slices.Clone(o.Dictionary), func(c string) bool { return c == "options.list.element.id" })
			o.CompressionLevel = 3
			return o
		}},
		{"all-dictionary-zstd3", func(*flatten.Table) sink.WriterOptions {
			return sink.WriterOptions{CompressionLevel: 3}
		}},
		{"landerd-snappy", func(t *flatten.Table) sink.WriterOptions { return WriterOptions("snappy", t) }},
		{"landerd-none", func(t *flatten.Table) sink.WriterOptions { return WriterOptions("none", t) }},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			mem := memory.DefaultAllocator
			batch := flatten.NewBatch(mem)
			defer batch.Release()
			var dec flatten.Decoder
			meta := &flatten.Meta{Topic: "attempts", LandedAt: time.Now()}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			var out int64
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				var files [nTables]*sink.ParquetFile
				var sinks [nTables]*discard
				for t := range files {
					sinks[t] = &discard{}
					f, err := sink.NewParquetFile(sinks[t], tables[t].Schema, v.opts(tables[t]))
					if err != nil {
						b.Fatal(err)
					}
					files[t] = f
				}
				for j, m := range msgs {
					meta.Offset = int64(j)
					a, err := dec.Decode(m)
					if err != nil {
						b.Fatal(err)
					}
					batch.AppendAttempt(meta, a)
				}
				recs := batch.Take()
				if err := files[tAttempts].Write(recs.Attempts, 0, rowsPerGroup-1); err != nil {
					b.Fatal(err)
				}
				if err := files[tQuestions].Write(recs.Questions, 0, rowsPerGroup-1); err != nil {
					b.Fatal(err)
				}
				recs.Release()
				for t, f := range files {
					if err := f.Close(); err != nil {
						b.Fatal(err)
					}
					out += sinks[t].n
				}
			}
			b.ReportMetric(float64(b.N*rowsPerGroup)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric((cpuTime()-cpu0).Seconds()*1e5/float64(b.N*rowsPerGroup), "cpu-s/100k")
			b.ReportMetric(float64(out)/float64(b.N*rowsPerGroup), "parquet-B/record")
		})
	}
}
