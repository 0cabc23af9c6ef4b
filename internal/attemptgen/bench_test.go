package attemptgen

import (
	"io"
	"testing"
)

func BenchmarkNext(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"good", Config{Seed: 1}},
		{"mixed", Config{Seed: 1, BadRate: 0.01, DuplicateRate: 0.012}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g := New(bc.cfg)
			// Measure the average record size first, for b.SetBytes.
			var size int
			for range 1000 {
				size += len(g.Next().Value)
			}
			b.SetBytes(int64(size / 1000))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := g.Next()
				if len(r.Value) == 0 && r.Want == "" {
					b.Fatal("empty good record")
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func BenchmarkWriteLines(b *testing.B) {
	const n = 1000
	cw := &countingWriter{}
	if err := WriteLines(cw, Config{Seed: 1}, n); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(cw.n)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteLines(io.Discard, Config{Seed: 1}, n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "records/s")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
