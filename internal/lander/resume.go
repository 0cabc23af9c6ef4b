package lander

import (
	"errors"
	"fmt"

	"github.com/IBM/sarama"

	"github.com/landerd/landerd/internal/config"
)

// ErrRetentionGap means that Kafka deleted records of a partition before
// they were landed, and kafka.on_retention_gap says to stop there.
var ErrRetentionGap = errors.New("retention deleted records before they were landed")

// ErrTopicRecreated means that a partition's offsets went back below what
// the lake holds, or its topic id changed: the topic was deleted and
// created again (or its log was truncated). Landing it would overwrite
// files in the lake, so the partition is refused.
var ErrTopicRecreated = errors.New("the topic's offsets restarted below the lake's: it was deleted and created again, or its log was truncated")

// kafkaView is what resuming a partition asks the brokers.
type kafkaView interface {
	// topicID returns the topic's id (KIP-516) as Kafka prints it, ""
	// when the brokers do not say, and its partition count.
	topicID(topic string) (id string, partitions int, err error)
	// logRange returns the partition's log start offset and its high
	// watermark.
	logRange(topic string, partition int32) (start, end int64, err error)
	// committed returns the group's committed offsets of partitions, -1
	// for a partition without one.
	committed(topic string, partitions []int32) (map[int32]int64, error)
}

// resumeFacts is what decides where a claimed partition resumes.
type resumeFacts struct {
	topic     string
	partition int32
	lakeNext  int64  // the lake's next offset; -1 when it holds nothing
	lakeID    string // the topic id the lake recorded; "" when none
	topicID   string // the topic's id now; "" when unknown
	start     int64  // the partition's log start offset
	end       int64  // its high watermark
	committed int64  // the group's committed offset; -1 when none
	// siblings is true when the lake holds other partitions of the topic:
	// a partition new to the lake then was added to a topic already being
	// landed.
	siblings bool
}

// resumeFrom names where a resume offset came from, for the log.
type resumeFrom string

const (
	fromLake      resumeFrom = "lake"
	fromCommitted resumeFrom = "committed"
	fromGap       resumeFrom = "log_start_after_gap"
	fromAdded     resumeFrom = "log_start_new_partition"
	fromOldest    resumeFrom = "oldest"
	fromNewest    resumeFrom = "newest"
	fromNowhere   resumeFrom = "stopped"
)

// resume is the decision for one claimed partition.
type resume struct {
	offset int64      // where consumption starts
	from   resumeFrom // why there
	// gap, when gapLast >= gapFirst, is the range of offsets lost to
	// retention, to record in the lake before anything after it lands.
	gapFirst, gapLast int64
	skipGap           bool
	// stop, when not nil, says why the partition is not landed: it stays
	// assigned to this member, paused, and readiness names it.
	stop error
	// commit asks for offset to be committed at once: a start at the
	// newest offset is remembered by the group, so a restart before the
	// first flush does not start somewhere else.
	commit bool
}

func (r resume) hasGap() bool { return r.gapLast >= r.gapFirst }

// decideResume says where a claimed partition resumes. The lake, not the
// group, is the truth: a partition the lake holds resumes at the lake's
// next offset, unless Kafka no longer has it (a retention gap: recorded,
// then the log start or a stop as onGap says) or the partition's offsets
// went back below it, or its topic id changed (recreated: refused). A
// partition the lake holds nothing of resumes at the group's committed
// offset; without one, at the log start when the lake holds other
// partitions of the topic (the partition was added), else where
// kafka.initial_offset says.
func decideResume(f resumeFacts, onGap, initial string) resume {
	r := resume{gapFirst: 0, gapLast: -1}
	next, from := f.lakeNext, fromLake
	if next < 0 {
		switch {
		case f.committed >= 0 && f.committed <= f.end:
			next, from = f.committed, fromCommitted
		case f.siblings:
			return resume{offset: f.start, from: fromAdded, gapLast: -1}
		case initial == "newest":
			return resume{offset: f.end, from: fromNewest, gapLast: -1, commit: true}
		default:
			return resume{offset: f.start, from: fromOldest, gapLast: -1}
		}
	}
	if from == fromLake {
		if f.lakeID != "" && f.topicID != "" && f.lakeID != f.topicID {
			r.offset, r.from = f.start, fromNowhere
			r.stop = fmt.Errorf("%w: topic %s partition %d has id %s, the lake's records came from id %s (lake next offset %d, log start %d, end %d)",
				ErrTopicRecreated, f.topic, f.partition, f.topicID, f.lakeID, next, f.start, f.end)
			return r
		}
		if next > f.end {
			r.offset, r.from = f.start, fromNowhere
			r.stop = fmt.Errorf("%w: topic %s partition %d ends at offset %d, below the lake's next offset %d",
				ErrTopicRecreated, f.topic, f.partition, f.end, next)
			return r
		}
	}
	if next >= f.start {
		r.offset, r.from = next, from
		return r
	}
	r.gapFirst, r.gapLast = next, f.start-1
	if onGap == config.GapStop {
		r.offset, r.from = f.start, fromNowhere
		r.stop = fmt.Errorf("%w: topic %s partition %d offsets %d..%d (%d records) are gone, the log starts at %d; kafka.on_retention_gap is stop",
			ErrRetentionGap, f.topic, f.partition, r.gapFirst, r.gapLast, r.gapLast-r.gapFirst+1, f.start)
		return r
	}
	r.offset, r.from, r.skipGap = f.start, fromGap, true
	return r
}

// saramaView is kafkaView over a sarama client.
type saramaView struct {
	client sarama.Client
	group  string
}

func (v saramaView) topicID(topic string) (string, int, error) {
	b := v.client.LeastLoadedBroker()
	if b == nil {
		return "", 0, fmt.Errorf("metadata of %s: no broker available", topic)
	}
	if err := b.Open(v.client.Config()); err != nil && !errors.Is(err, sarama.ErrAlreadyConnected) {
		return "", 0, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	resp, err := b.GetMetadata(sarama.NewMetadataRequest(v.client.Config().Version, []string{topic}))
	if err != nil {
		return "", 0, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if t.Name != topic {
			continue
		}
		if !errors.Is(t.Err, sarama.ErrNoError) {
			return "", 0, fmt.Errorf("metadata of %s: %w", topic, t.Err)
		}
		id := ""
		if t.Uuid != (sarama.Uuid{}) {
			id = t.Uuid.String()
		}
		return id, len(t.Partitions), nil
	}
	return "", 0, fmt.Errorf("metadata of %s: %w", topic, sarama.ErrUnknownTopicOrPartition)
}

func (v saramaView) logRange(topic string, partition int32) (start, end int64, err error) {
	if start, err = v.client.GetOffset(topic, partition, sarama.OffsetOldest); err != nil {
		return 0, 0, fmt.Errorf("log start offset of %s/%d: %w", topic, partition, err)
	}
	if end, err = v.client.GetOffset(topic, partition, sarama.OffsetNewest); err != nil {
		return 0, 0, fmt.Errorf("end offset of %s/%d: %w", topic, partition, err)
	}
	return start, end, nil
}

func (v saramaView) committed(topic string, partitions []int32) (map[int32]int64, error) {
	coordinator, err := v.client.Coordinator(v.group)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of %s: find coordinator: %w", topic, err)
	}
	req := sarama.NewOffsetFetchRequest(v.client.Config().Version, v.group, map[string][]int32{topic: partitions})
	resp, err := coordinator.FetchOffset(req)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of %s: %w", topic, err)
	}
	if !errors.Is(resp.Err, sarama.ErrNoError) {
		return nil, fmt.Errorf("committed offsets of %s: %w", topic, resp.Err)
	}
	out := make(map[int32]int64, len(partitions))
	for _, p := range partitions {
		out[p] = -1
		blk := resp.GetBlock(topic, p)
		if blk == nil {
			continue
		}
		if !errors.Is(blk.Err, sarama.ErrNoError) {
			return nil, fmt.Errorf("committed offset of %s/%d: %w", topic, p, blk.Err)
		}
		out[p] = blk.Offset
	}
	return out, nil
}
