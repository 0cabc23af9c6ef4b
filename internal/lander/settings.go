package lander

import (
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

const (
	partitionByIngest = "ingest_date"
	partitionByEvent  = "event_date"
)

// settings is what every owner reads: the configuration in the units the
// owner needs, plus the hooks that report what happened.
type settings struct {
	now   func() time.Time
	alloc memory.Allocator

	maxMessageBytes  int
	partitionBy      string
	compression      string
	rowGroupRows     int
	maxFileRecords   int64
	maxFileBytes     int64
	maxFileAge       time.Duration
	shutdownDeadline time.Duration
	revokeDeadline   time.Duration
	budget           int64
	assigned         atomic.Int64 // partitions owned now, to share the budget

	metrics     *metrics.Lander
	quarantined func(topic string, partition int32, offset int64, why *flatten.InvalidError)
	published   func(topic string, partition int32, records int64, files int, bytes int64, took time.Duration)
}

func newSettings(c config.Config) *settings {
	return &settings{
		now:              time.Now,
		alloc:            memory.DefaultAllocator,
		maxMessageBytes:  int(c.Kafka.MaxMessageBytes),
		partitionBy:      c.Lake.PartitionBy,
		compression:      c.Lake.Compression,
		rowGroupRows:     c.Lake.RowGroupRows,
		maxFileRecords:   c.Lake.Roll.MaxFileRecords,
		maxFileBytes:     int64(c.Lake.Roll.MaxFileBytes),
		maxFileAge:       c.Lake.Roll.MaxFileAge,
		shutdownDeadline: c.Shutdown.Deadline,
		revokeDeadline:   c.Kafka.RevokeFlushDeadline(),
		budget:           int64(c.Memory.BudgetBytes),
		metrics:          metrics.NewLander(prometheus.NewRegistry()), // replaced by WithMetrics
		quarantined:      func(string, int32, int64, *flatten.InvalidError) {},
		published:        func(string, int32, int64, int, int64, time.Duration) {},
	}
}

// rowGroupBytes is how much Arrow memory one owner may hold before it
// writes its buffered rows out as row groups: its share of the budget,
// halved because encoding a row group briefly needs about as much again.
func (s *settings) rowGroupBytes() int64 {
	n := s.assigned.Load()
	if n < 1 {
		n = 1
	}
	return s.budget / n / 2
}

func (s *settings) writer(t *flatten.Table, mem memory.Allocator) sink.WriterOptions {
	o := writerOptions(s.compression, t)
	o.Allocator = mem
	return o
}

// hiveOf names the Hive partition of an attempt's rows: the UTC date it
// landed (ingest_date) or, when configured, the UTC date of started_at
// (event_date; the landing date when started_at is null).
func (s *settings) hiveOf(a *flatten.Attempt, now time.Time) string {
	if s.partitionBy == partitionByEvent {
		t := now
		if a.StartedAt.Valid {
			t = a.StartedAt.Time()
		}
		return partitionByEvent + "=" + t.Format(time.DateOnly)
	}
	return ingestHive(now)
}

// ingestHive names the ingest_date partition; quarantined records always
// use it, since they may have no event time.
func ingestHive(now time.Time) string {
	return partitionByIngest + "=" + now.UTC().Format(time.DateOnly)
}

// writerOptions are the Parquet settings of a table's files: the
// configured codec, with dictionary encoding only for the columns that have
// few distinct values (flatten.Table.Dictionary).
func writerOptions(compression string, t *flatten.Table) sink.WriterOptions {
	return sink.WriterOptions{Compression: compression, Dictionary: t.Dictionary}
}
