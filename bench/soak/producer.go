package main

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/test/kit/lakecheck"
	"github.com/landerd/landerd/test/system/kafkacluster"
)

// producer writes generated attempts at a steady rate, round robin over
// the partitions, and remembers where each acknowledged one went and which
// table it belongs in.
type producer struct {
	cl         *kgo.Client
	gen        *attemptgen.Generator
	partitions int32
	rate       int

	sent, acked, failed atomic.Int64

	mu       sync.Mutex
	wants    map[lakecheck.Key]flatten.Reason // "" for a good attempt
	firstErr error
}

// newProducer returns a producer to topic on kc; close releases it.
func newProducer(kc *kafkacluster.Cluster, topic string, partitions int32, rate int, seed int64) (*producer, error) {
	cl, err := kc.Client(
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(20*time.Millisecond),
		kgo.MaxBufferedRecords(max(1000, 60*rate)), // a minute of records while a leader moves
	)
	if err != nil {
		return nil, err
	}
	return &producer{
		cl:         cl,
		gen:        attemptgen.New(attemptgen.Config{Seed: seed, BadRate: 0.01, DuplicateRate: 0.01}),
		partitions: partitions,
		rate:       rate,
		wants:      map[lakecheck.Key]flatten.Reason{},
	}, nil
}

// run produces until stop ends. Records are handed to the client with
// abort, a context that outlives stop, so that ending stop ends the
// generating and not the delivery of what was generated (flush waits for
// that); ending abort fails what is not yet sent.
func (p *producer) run(stop, abort context.Context) {
	const tick = 100 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	for {
		due := int64(time.Since(start).Seconds() * float64(p.rate))
		for n := p.sent.Load(); n < due; n++ {
			r := p.gen.Next()
			rec := &kgo.Record{Key: r.Key, Value: r.Value, Partition: int32(n % int64(p.partitions))}
			want := r.Want
			p.sent.Add(1)
			p.cl.Produce(abort, rec, func(rec *kgo.Record, err error) {
				p.delivered(rec, want, err)
			})
		}
		select {
		case <-stop.Done():
			return
		case <-t.C:
		}
	}
}

// delivered records a record's acknowledgement or failure.
func (p *producer) delivered(rec *kgo.Record, want flatten.Reason, err error) {
	if err != nil {
		p.failed.Add(1)
		p.mu.Lock()
		if p.firstErr == nil {
			p.firstErr = err
		}
		p.mu.Unlock()
		return
	}
	p.acked.Add(1)
	p.mu.Lock()
	p.wants[lakecheck.Key{Partition: rec.Partition, Offset: rec.Offset}] = want
	p.mu.Unlock()
}

// flush waits up to limit until every record handed to the client is
// acknowledged or has failed.
func (p *producer) flush(limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if err := p.cl.Flush(ctx); err != nil {
		return fmt.Errorf("flush the producer: %w (%d of %d records acknowledged)", err, p.acked.Load(), p.sent.Load())
	}
	return nil
}

// close releases the client; records not yet delivered fail.
func (p *producer) close() { p.cl.Close() }

// knownWants returns, for every acknowledged record, the table it belongs
// in.
func (p *producer) knownWants() map[lakecheck.Key]flatten.Reason {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.wants)
}

// err returns the first failed delivery, or nil.
func (p *producer) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.firstErr
}
