package flatten_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/realdata"
	"github.com/landerd/landerd/pkg/flatten"
)

// corpus returns the messages a benchmark cycles through: 20,000 generated
// attempts, or the 3,280 of the real data set (skipped when absent).
func corpus(b *testing.B, name string) [][]byte {
	b.Helper()
	switch name {
	case "generated":
		g := attemptgen.New(attemptgen.Config{Seed: 1})
		msgs := make([][]byte, 20000)
		for i := range msgs {
			msgs[i] = append([]byte(nil), g.Next().Value...)
		}
		return msgs
	case "real":
		data, err := os.ReadFile(realdata.Path(b, realdata.ArrayFile))
		if err != nil {
			b.Fatal(err)
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(data, &raws); err != nil {
			b.Fatal(err)
		}
		msgs := make([][]byte, len(raws))
		for i, r := range raws {
			msgs[i] = r
		}
		return msgs
	}
	b.Fatalf("unknown corpus %s", name)
	return nil
}

// run measures op over the corpus, one message per iteration, and reports
// MB/s (SetBytes with the mean message size) and records/s.
func run(b *testing.B, msgs [][]byte, op func(msg []byte, i int)) {
	var total int
	for _, m := range msgs {
		total += len(m)
	}
	b.SetBytes(int64(total / len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		op(msgs[i%len(msgs)], i)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkFlatten is the daemon's hot path: decode each message and append
// its rows to Arrow builders, taking a record batch every 8,192 attempts.
func BenchmarkFlatten(b *testing.B) {
	for _, name := range []string{"generated", "real"} {
		b.Run(name, func(b *testing.B) {
			msgs := corpus(b, name)
			batch := flatten.NewBatch(memory.DefaultAllocator)
			defer batch.Release()
			var d flatten.Decoder
			meta := &flatten.Meta{Topic: "attempts", LandedAt: time.Now()}
			run(b, msgs, func(msg []byte, i int) {
				meta.Offset = int64(i)
				a, err := d.Decode(msg)
				if err != nil {
					b.Fatal(err)
				}
				batch.AppendAttempt(meta, a)
				if i%8192 == 8191 {
					batch.Flush().Release()
				}
			})
		})
	}
}

// BenchmarkDecode measures the decoder alone.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"generated", "real"} {
		b.Run(name, func(b *testing.B) {
			msgs := corpus(b, name)
			var d flatten.Decoder
			run(b, msgs, func(msg []byte, _ int) {
				if _, err := d.Decode(msg); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkBaselineEncodingJSON is the baseline: decoding the same bytes
// with encoding/json into map[string]any, which produces no typed rows.
func BenchmarkBaselineEncodingJSON(b *testing.B) {
	for _, name := range []string{"generated", "real"} {
		b.Run(name, func(b *testing.B) {
			msgs := corpus(b, name)
			run(b, msgs, func(msg []byte, _ int) {
				var v map[string]any
				if err := json.Unmarshal(msg, &v); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
