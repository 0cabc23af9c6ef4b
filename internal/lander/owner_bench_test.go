package lander

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
)

// BenchmarkOwnerAdd measures an owner landing records into an in-memory
// lake, row grouping, encoding and publishing included, per partitioning:
// the Hive layout by ingest_date and by event_date, and a table format by
// event_date (ownPartitions), whose questions rows go to their landing
// day's partition. One in ten attempts has no started_at; they start over
// five days.
func BenchmarkOwnerAdd(b *testing.B) {
	const n = 5000
	gen := attemptgen.New(attemptgen.Config{Seed: 1, Span: 5 * 24 * time.Hour})
	msgs := make([][]byte, n)
	var size int
	for i := range msgs {
		v := gen.Next().Value
		if i%10 == 9 {
			v = startedAt.ReplaceAll(v, []byte(`"started_at":null`))
		}
		msgs[i] = v
		size += len(v)
	}
	for _, v := range []struct {
		name string
		by   config.PartitionBy
		own  bool
	}{
		{"hive-ingest_date", partitionByIngest, false},
		{"hive-event_date", partitionByEvent, false},
		{"tables-event_date", partitionByEvent, true},
	} {
		b.Run(v.name, func(b *testing.B) {
			clock := &fakeClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
			conf := &ownerConfig{
				now: clock.now, alloc: memory.DefaultAllocator, maxMessageBytes: 1 << 20, partitionBy: v.by,
				compression: "zstd", rowGroupRows: 1000, ownPartitions: v.own,
				roll: rollPolicy{maxRecords: 1 << 40, maxBytes: 1 << 40, maxAge: time.Hour, maxHives: maxOpenHives},
			}
			events := &ownerEvents{metrics: metrics.NewLander(prometheus.NewRegistry()), quarantined: func(string, int32, int64, *flatten.InvalidError) {}}
			budget := &memoryBudget{total: 256 << 20}
			budget.assigned.Store(1)
			o := newOwner(conf, budget, events, zap.NewNop(), newMemLake(), "t", 0, -1, func(int64) {})
			defer o.release()
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			off := int64(0)
			for b.Loop() {
				for _, m := range msgs {
					if err := o.add(ctx, record{offset: off, value: m}); err != nil {
						b.Fatal(err)
					}
					off++
				}
				if err := o.flush(ctx, rollShutdown); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(off)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
