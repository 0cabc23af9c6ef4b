package lander

import (
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

const (
	partitionByIngest = config.PartitionByIngestDate
	partitionByEvent  = config.PartitionByEventDate
)

// newOwnerConfig translates a validated configuration into what owners read.
func newOwnerConfig(c config.Config) *ownerConfig {
	return &ownerConfig{
		now:             time.Now,
		alloc:           memory.DefaultAllocator,
		maxMessageBytes: int(c.Kafka.MaxMessageBytes),
		partitionBy:     c.Lake.PartitionBy,
		compression:     c.Lake.Compression,
		rowGroupRows:    c.Lake.RowGroupRows,
		tenants:         newTenantResolver(c.Tenancy),
		roll: rollPolicy{
			maxRecords: c.Lake.Roll.MaxFileRecords,
			maxBytes:   int64(c.Lake.Roll.MaxFileBytes),
			maxAge:     c.Lake.Roll.MaxFileAge,
			maxHives:   maxHives(c.Tenancy),
			daily:      c.Lake.PartitionBy == partitionByIngest,
		},
	}
}

// maxHives bounds the Hive partitions of one flush: maxOpenHives, plus
// one per tenant and one for records of no known tenant, so that a
// partition interleaving every tenant's records does not roll on every
// record.
func maxHives(t config.Tenancy) int {
	if !t.Enabled() {
		return maxOpenHives
	}
	return maxOpenHives + len(t.Tenants) + 1
}

// memoryBudget shares memory.budget_bytes between the partitions this
// member owns now.
type memoryBudget struct {
	total    int64
	assigned atomic.Int64 // partitions owned now
}

// rowGroupBytes is how much Arrow memory one owner may hold before it
// writes its buffered rows out as row groups: its share of the budget,
// halved because encoding a row group briefly needs about as much again.
func (b *memoryBudget) rowGroupBytes() int64 {
	n := b.assigned.Load()
	if n < 1 {
		n = 1
	}
	return b.total / n / 2
}

func (c *ownerConfig) writer(t *flatten.Table, mem memory.Allocator) sink.WriterOptions {
	o := WriterOptions(c.compression, t)
	o.Allocator = mem
	return o
}

// partitionOf returns what names the Hive partition of an attempt's rows:
// the partition column and the time whose UTC date is its value — when it
// landed (ingest_date) or, when configured, its started_at (event_date;
// the landing time when started_at is null).
// Quarantined records always use ingest_date, since they may have no
// event time. Under ownPartitions the attempt's rows are placed by
// appendOwn instead.
func (c *ownerConfig) partitionOf(a *flatten.Attempt, now time.Time) (config.PartitionBy, time.Time) {
	if c.partitionBy == partitionByEvent {
		if a.StartedAt.Valid {
			return partitionByEvent, a.StartedAt.Time()
		}
		return partitionByEvent, now
	}
	return partitionByIngest, now
}

// zstdLevel is the zstd level landerd writes at: level 1, the fastest.
// Against the library's default (3) it took about a sixth less CPU per
// attempt end to end for files about 13% larger (docs/performance.md).
const zstdLevel = 1

// WriterOptions are the Parquet settings of a table's files: the
// configured codec (zstd at zstdLevel), with dictionary encoding only for
// the columns that have few distinct values (flatten.Table.Dictionary).
// The benchmarks write their files with them too.
func WriterOptions(compression config.Compression, t *flatten.Table) sink.WriterOptions {
	o := sink.WriterOptions{Compression: string(compression), Dictionary: t.Dictionary}
	if compression == config.CompressionZstd {
		o.CompressionLevel = zstdLevel
	}
	return o
}
