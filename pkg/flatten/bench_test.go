package flatten_test

import (
	"encoding/json"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/test/kit/realdata"
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
					batch.Take().Release()
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

// decoded returns the corpus's messages decoded, each attempt a copy that
// owns its memory.
func decoded(b *testing.B, name string) []*flatten.Attempt {
	b.Helper()
	msgs := corpus(b, name)
	var d flatten.Decoder
	out := make([]*flatten.Attempt, len(msgs))
	for i, m := range msgs {
		a, err := d.Decode(m)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = cloneAttempt(a)
	}
	return out
}

func cloneStr(s flatten.Str) flatten.Str {
	if s.B != nil {
		s.B = append([]byte{}, s.B...)
	}
	return s
}

func cloneAttempt(a *flatten.Attempt) *flatten.Attempt {
	c := *a
	c.KeenID, c.UserExamID, c.BaseExamID = cloneStr(a.KeenID), cloneStr(a.UserExamID), cloneStr(a.BaseExamID)
	c.ExamName, c.SequenceID = cloneStr(a.ExamName), cloneStr(a.SequenceID)
	c.Unknown = cloneStr(flatten.Str{B: a.Unknown}).B
	c.Questions = append([]flatten.Question(nil), a.Questions...)
	for i := range c.Questions {
		q := &c.Questions[i]
		q.ID, q.UserResult = cloneStr(q.ID), cloneStr(q.UserResult)
		q.Unknown = cloneStr(flatten.Str{B: q.Unknown}).B
		q.Options = append([]flatten.Option(nil), q.Options...)
		for j := range q.Options {
			q.Options[j].ID = cloneStr(q.Options[j].ID)
		}
	}
	return &c
}

// cpuTime returns the CPU time the process has used, the garbage
// collector's included.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// appender is what BenchmarkAppend drives: the Batch, or the plain Arrow
// builders it replaced.
type appender interface {
	AppendAttempt(m *flatten.Meta, a *flatten.Attempt)
	Take() flatten.Records
	Release()
}

// BenchmarkAppend isolates appending decoded attempts to the tables'
// columns, taking record batches every 5,000 attempts as the lander does
// with its default memory budget; "builders" is the plain Arrow builder
// path, for comparison. cpu-s/100k is the process's CPU time (the garbage
// collector's included) per 100,000 attempts.
func BenchmarkAppend(b *testing.B) {
	for _, name := range []string{"generated", "real"} {
		atts := decoded(b, name)
		for _, impl := range []struct {
			name string
			new  func(memory.Allocator) appender
		}{
			{"batch", func(m memory.Allocator) appender { return flatten.NewBatch(m) }},
			{"builders", func(m memory.Allocator) appender { return flatten.NewRefBatch(m) }},
		} {
			b.Run(name+"/"+impl.name, func(b *testing.B) {
				batch := impl.new(memory.DefaultAllocator)
				defer batch.Release()
				meta := &flatten.Meta{Topic: "attempts", Timestamp: time.Now(), LandedAt: time.Now()}
				b.ReportAllocs()
				b.ResetTimer()
				cpu := cpuTime(b)
				for i := 0; i < b.N; i++ {
					meta.Offset = int64(i)
					batch.AppendAttempt(meta, atts[i%len(atts)])
					if i%5000 == 4999 {
						batch.Take().Release()
					}
				}
				cpu = cpuTime(b) - cpu
				b.ReportMetric(cpu.Seconds()/float64(b.N)*1e5, "cpu-s/100k")
			})
		}
	}
}
