package icetable

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// The snapshot summary properties of an append landerd commits.
const (
	// SummaryTopic is the Kafka topic of the flush.
	SummaryTopic = "landerd.kafka.topic"
	// SummaryPartition is the Kafka partition of the flush.
	SummaryPartition = "landerd.kafka.partition"
	// SummaryFirstOffset is the first Kafka offset of the flush.
	SummaryFirstOffset = "landerd.kafka.first-offset"
	// SummaryLastOffset is the last Kafka offset of the flush.
	SummaryLastOffset = "landerd.kafka.last-offset"
	// SummaryOffsets is a JSON object mapping "<topic>/<partition>" to
	// the next offset after the last flush committed to the table of
	// every Kafka partition that committed one: the base snapshot's map
	// carried forward with the flush's partition updated, so that the
	// current snapshot alone tells each partition's committed position.
	SummaryOffsets = "landerd.offsets"
)

// Offsets maps "<topic>/<partition>" to the next offset after the last
// flush of that partition committed to a table.
type Offsets map[string]int64

// offsetsKey is a partition's key in Offsets.
func offsetsKey(topic string, partition int32) string {
	return topic + "/" + strconv.FormatInt(int64(partition), 10)
}

// Next is the offset after the partition's last committed flush, 0 when
// none is committed.
func (o Offsets) Next(topic string, partition int32) int64 { return o[offsetsKey(topic, partition)] }

// ErrOffsetsExpired is the error of CommittedOffsets on a table whose
// current snapshot has no SummaryOffsets and whose ancestors that might
// have had them were expired: what the table holds of each partition
// cannot be told, and treating it as nothing would commit flushes again.
var ErrOffsetsExpired = errors.New("the snapshots that recorded landerd's offsets were expired")

// CommittedOffsets reads the offsets of the table's current snapshot:
// its SummaryOffsets, or, when it has none (another writer's snapshot,
// such as another tool's compaction: Compact's carry them), the nearest
// ancestor's. A table without any
// (empty, or only written by others) has none committed. When the walk
// meets an expired ancestor before a snapshot with offsets, it fails with
// ErrOffsetsExpired.
func CommittedOffsets(tbl *table.Table) (Offsets, error) {
	for s := tbl.CurrentSnapshot(); s != nil; {
		if s.Summary != nil {
			if raw, ok := s.Summary.Properties[SummaryOffsets]; ok {
				var o Offsets
				if err := json.Unmarshal([]byte(raw), &o); err != nil {
					return nil, fmt.Errorf("snapshot %d of %s: %s: %w", s.SnapshotID, tbl.Identifier(), SummaryOffsets, err)
				}
				if o == nil {
					o = Offsets{}
				}
				return o, nil
			}
		}
		if s.ParentSnapshotID == nil {
			break
		}
		parent := tbl.SnapshotByID(*s.ParentSnapshotID)
		if parent == nil {
			return nil, fmt.Errorf("snapshot %d of %s has no %s and its parent %d is gone: %w",
				s.SnapshotID, tbl.Identifier(), SummaryOffsets, *s.ParentSnapshotID, ErrOffsetsExpired)
		}
		s = parent
	}
	return Offsets{}, nil
}

// summary is the snapshot summary of the append of offsets first..last
// of a partition, on a base whose offsets are base.
func summary(base Offsets, topic string, partition int32, first, last int64) (iceberg.Properties, error) {
	next := make(Offsets, len(base)+1)
	for k, v := range base {
		next[k] = v
	}
	next[offsetsKey(topic, partition)] = last + 1
	body, err := offsetsJSON(next)
	if err != nil {
		return nil, err
	}
	return iceberg.Properties{
		SummaryTopic:       topic,
		SummaryPartition:   strconv.FormatInt(int64(partition), 10),
		SummaryFirstOffset: strconv.FormatInt(first, 10),
		SummaryLastOffset:  strconv.FormatInt(last, 10),
		SummaryOffsets:     body,
	}, nil
}

// offsetsJSON is o as SummaryOffsets records it, "{}" when empty.
func offsetsJSON(o Offsets) (string, error) {
	if o == nil {
		o = Offsets{}
	}
	body, err := json.Marshal(o) // keys sorted: the same map, the same text
	return string(body), err
}
