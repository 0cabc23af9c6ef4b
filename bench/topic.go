package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/fakekafka"
)

// produceChunk is how many records one Produce call sends, so that the
// harness holds only one chunk besides what the broker keeps.
const produceChunk = 10_000

// kafka is the broker the benchmark topic lives on: the in-process one
// (*fakekafka.Broker) or a real Apache Kafka broker (*remote).
type kafka interface {
	Addr() string
	Partitions() int32
	Produce(ctx context.Context, records []fakekafka.Record) error
	EndOffsets(ctx context.Context) (map[int32]int64, error)
	Close()
}

// topic is the benchmark topic, filled from one deterministic attempt
// stream.
type topic struct {
	b     kafka
	name  string
	gen   *attemptgen.Generator
	n     int64 // records produced
	bytes int64 // bytes of their values
}

// startTopic starts the in-process broker with the topic on it.
func startTopic(name string, partitions int32, addr string, seed int64) (*topic, error) {
	b, err := fakekafka.Start(fakekafka.Config{Topic: name, Partitions: partitions, Addr: addr})
	if err != nil {
		return nil, err
	}
	return &topic{b: b, name: name, gen: attemptgen.New(attemptgen.Config{Seed: seed})}, nil
}

// remoteTopic creates a fresh topic named after name on the Kafka brokers
// at addrs, so that every harness run starts from an empty topic.
func remoteTopic(ctx context.Context, addrs []string, name string, partitions int32, seed int64) (*topic, error) {
	name = fmt.Sprintf("%s-%d", name, time.Now().UnixNano())
	r, err := dialRemote(ctx, addrs, name, partitions)
	if err != nil {
		return nil, err
	}
	return &topic{b: r, name: name, gen: attemptgen.New(attemptgen.Config{Seed: seed})}, nil
}

func (t *topic) close() { t.b.Close() }

// fillTo produces the next records of the stream until the topic holds n.
// Records keep their attempt's key, so the producer spreads them over the
// partitions as a keyed production topic would be.
func (t *topic) fillTo(ctx context.Context, n int64) error {
	recs := make([]fakekafka.Record, 0, produceChunk)
	for t.n < n {
		recs = recs[:0]
		for range min(produceChunk, n-t.n) {
			r := t.gen.Next()
			recs = append(recs, fakekafka.Record{Key: r.Key, Value: r.Value})
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

// remote is a topic on real Kafka brokers, produced to with the same
// partitioner as the in-process broker's (sarama's FNV-1a hash of the key),
// so both hold the same records in the same partitions.
type remote struct {
	cl         *kgo.Client
	addrs      []string
	topic      string
	partitions int32
}

func dialRemote(ctx context.Context, addrs []string, topic string, partitions int32) (*remote, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addrs...),
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(fnv32a))),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.MaxBufferedRecords(1<<16),
	)
	if err != nil {
		return nil, fmt.Errorf("kafka %v: %w", addrs, err)
	}
	r := &remote{cl: cl, addrs: addrs, topic: topic, partitions: partitions}
	if err := r.waitUp(ctx); err != nil {
		cl.Close()
		return nil, err
	}
	if err := r.create(ctx); err != nil {
		cl.Close()
		return nil, err
	}
	return r, nil
}

// brokerWait bounds how long the harness waits for the brokers to answer,
// so that it can be started together with bench/kafka.sh.
const brokerWait = 3 * time.Minute

// waitUp returns once a broker answers, or after brokerWait.
func (r *remote) waitUp(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, brokerWait)
	defer cancel()
	for {
		err := r.cl.Ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka %v: no broker answered within %s: %w", r.addrs, brokerWait, err)
		case <-time.After(time.Second):
		}
	}
}

// create creates the topic with replication factor 1 and waits until
// every partition has a leader.
func (r *remote) create(ctx context.Context) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30_000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = r.topic
	rt.NumPartitions = r.partitions
	rt.ReplicationFactor = 1
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, r.cl)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", r.topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("create topic %s: %w", r.topic, err)
		}
	}
	for {
		if _, err := r.EndOffsets(ctx); err == nil {
			return nil
		} else if !errors.Is(err, kerr.UnknownTopicOrPartition) && !errors.Is(err, kerr.LeaderNotAvailable) &&
			!errors.Is(err, kerr.NotLeaderForPartition) && !errors.Is(err, fakekafka.ErrPartitionsMissing) {
			return fmt.Errorf("create topic %s: %w", r.topic, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create topic %s: %w", r.topic, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (r *remote) Addr() string      { return r.addrs[0] }
func (r *remote) Partitions() int32 { return r.partitions }

// Close deletes the topic, so the broker does not keep the benchmark's
// data, and closes the client.
func (r *remote) Close() {
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = 30_000
	rt := kmsg.NewDeleteTopicsRequestTopic()
	rt.Topic = &r.topic
	req.Topics = append(req.Topics, rt)
	req.TopicNames = append(req.TopicNames, r.topic)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = req.RequestWith(ctx, r.cl) // best effort: the topic's name is unique anyway
	r.cl.Close()
}

func (r *remote) Produce(ctx context.Context, records []fakekafka.Record) error {
	krs := make([]*kgo.Record, len(records))
	for i, rec := range records {
		krs[i] = &kgo.Record{Key: rec.Key, Value: rec.Value}
	}
	if err := r.cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	return nil
}

// EndOffsets returns the high watermark of every partition of the topic.
func (r *remote) EndOffsets(ctx context.Context) (map[int32]int64, error) {
	return fakekafka.ListEndOffsets(ctx, r.cl, r.topic, r.partitions)
}

// fnv32a is sarama's default key hash, as the in-process broker uses it.
func fnv32a(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}
