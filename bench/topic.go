package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/broker"
)

// produceChunk is how many records one Produce call sends, so that the
// harness holds only one chunk besides what the broker keeps.
const produceChunk = 10_000

// topic is the benchmark topic on the in-process broker, filled from one
// deterministic attempt stream.
type topic struct {
	b     *broker.Broker
	gen   *attemptgen.Generator
	n     int64 // records produced
	bytes int64 // bytes of their values
}

func startTopic(name string, partitions int32, addr string, seed int64) (*topic, error) {
	b, err := broker.Start(broker.Config{Topic: name, Partitions: partitions, Addr: addr})
	if err != nil {
		return nil, err
	}
	return &topic{b: b, gen: attemptgen.New(attemptgen.Config{Seed: seed})}, nil
}

func (t *topic) close() { t.b.Close() }

// fillTo produces the next records of the stream until the topic holds n.
// Records keep their attempt's key, so the producer spreads them over the
// partitions as a keyed production topic would be.
func (t *topic) fillTo(ctx context.Context, n int64) error {
	recs := make([]broker.Record, 0, produceChunk)
	for t.n < n {
		recs = recs[:0]
		for range min(produceChunk, n-t.n) {
			r := t.gen.Next()
			recs = append(recs, broker.Record{Key: r.Key, Value: r.Value})
			t.bytes += int64(len(r.Value))
		}
		if err := t.b.Produce(ctx, recs); err != nil {
			return fmt.Errorf("fill topic: %w", err)
		}
		t.n += int64(len(recs))
		clear(recs) // let the values go; the broker holds its own copy
	}
	return nil
}

// endOffsets returns the topic's end offsets indexed by partition, and
// checks that they account for every record produced.
func (t *topic) endOffsets(ctx context.Context) ([]int64, error) {
	m, err := t.b.EndOffsets(ctx)
	if err != nil {
		return nil, err
	}
	ends := make([]int64, t.b.Partitions())
	var sum int64
	for p, e := range m {
		ends[p] = e
		sum += e
	}
	if sum != t.n {
		return nil, fmt.Errorf("topic holds %d records, produced %d", sum, t.n)
	}
	return slices.Clip(ends), nil
}
