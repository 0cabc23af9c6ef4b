package kafkacluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// probe asks node n alone for metadata and succeeds once the answer lists
// n among the brokers, which a KRaft broker does once it is registered and
// unfenced.
func probe(ctx context.Context, n *node) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(n.addr()), kgo.RequestRetries(0))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	resp, err := req.RequestWith(ctx, cl.SeedBrokers()[0])
	if err != nil {
		return err
	}
	for _, b := range resp.Brokers {
		if b.NodeID == int32(n.id) {
			return nil
		}
	}
	return fmt.Errorf("broker %d is not in its own metadata yet (%d brokers listed)", n.id, len(resp.Brokers))
}

// Client returns a franz-go client seeded with every broker; opts come
// after the seeds. The caller closes it.
func (c *Cluster) Client(opts ...kgo.Opt) (*kgo.Client, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Addrs()...)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return cl, nil
}

// TopicConfig describes a topic to create.
type TopicConfig struct {
	Name       string
	Partitions int32
	// Replicas is the replication factor; 0 means every broker, up to 3.
	Replicas int16
	// MinInsyncReplicas is the topic's min.insync.replicas; 0 keeps the
	// broker's (one less than the cluster's replication, at least 1).
	MinInsyncReplicas int
	// Configs are further topic configs, e.g. retention.bytes.
	Configs map[string]string
}

// CreateTopic creates a topic and waits until every partition has a
// leader and all its replicas in sync.
func (c *Cluster) CreateTopic(ctx context.Context, tc TopicConfig) error {
	if tc.Replicas == 0 {
		tc.Replicas = int16(min(len(c.nodes), 3))
	}
	cl, err := c.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = tc.Name
	rt.NumPartitions = tc.Partitions
	rt.ReplicationFactor = tc.Replicas
	if tc.MinInsyncReplicas > 0 {
		cfg := kmsg.NewCreateTopicsRequestTopicConfig()
		cfg.Name = "min.insync.replicas"
		v := strconv.Itoa(tc.MinInsyncReplicas)
		cfg.Value = &v
		rt.Configs = append(rt.Configs, cfg)
	}
	for name, value := range tc.Configs {
		cfg := kmsg.NewCreateTopicsRequestTopicConfig()
		cfg.Name = name
		cfg.Value = &value
		rt.Configs = append(rt.Configs, cfg)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", tc.Name, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			msg := ""
			if t.ErrorMessage != nil {
				msg = ": " + *t.ErrorMessage
			}
			return fmt.Errorf("create topic %s: %w%s", tc.Name, err, msg)
		}
	}
	return c.WaitInSync(ctx, tc.Name)
}

// WaitInSync waits until every partition of topic has a leader and every
// replica in its in-sync set, e.g. after a broker restarts.
func (c *Cluster) WaitInSync(ctx context.Context, topic string) error {
	cl, err := c.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := inSync(ctx, cl, topic)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for topic %s in sync: %w (%v)", topic, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// errNotInSync reports a partition without a leader or with replicas out
// of its in-sync set.
var errNotInSync = errors.New("not in sync")

func inSync(ctx context.Context, cl *kgo.Client, topic string) error {
	meta, err := topicMetadata(ctx, cl, topic)
	if err != nil {
		return err
	}
	if len(meta.Partitions) == 0 {
		return fmt.Errorf("topic %s: no partitions yet: %w", topic, errNotInSync)
	}
	for _, p := range meta.Partitions {
		if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
			return fmt.Errorf("partition %d: %w", p.Partition, err)
		}
		if p.Leader < 0 || len(p.ISR) < len(p.Replicas) {
			return fmt.Errorf("partition %d: leader %d, in sync %v of %v: %w", p.Partition, p.Leader, p.ISR, p.Replicas, errNotInSync)
		}
	}
	return nil
}

// topicMetadata returns the metadata of one topic.
func topicMetadata(ctx context.Context, cl *kgo.Client, topic string) (kmsg.MetadataResponseTopic, error) {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return kmsg.MetadataResponseTopic{}, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	if len(resp.Topics) != 1 {
		return kmsg.MetadataResponseTopic{}, fmt.Errorf("metadata of %s: %d topics in the answer", topic, len(resp.Topics))
	}
	t := resp.Topics[0]
	if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
		return kmsg.MetadataResponseTopic{}, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	return t, nil
}

// Produce writes records to topic (each to its own Partition) with
// acks=all and an idempotent producer, and returns once every one is
// acknowledged. Records of one partition keep their order and get
// contiguous offsets.
func (c *Cluster) Produce(ctx context.Context, topic string, records ...*kgo.Record) error {
	cl, err := c.Client(
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.MaxBufferedRecords(1<<16),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		return fmt.Errorf("produce to %s: %w", topic, err)
	}
	return nil
}

// EndOffsets returns the high watermark of every partition of topic: the
// offset the next record produced to it will get.
func (c *Cluster) EndOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	return c.listOffsets(ctx, topic, -1)
}

// StartOffsets returns the log start offset of every partition of topic:
// the first offset retention has not deleted.
func (c *Cluster) StartOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	return c.listOffsets(ctx, topic, -2)
}

// DeleteTopic deletes topic and waits until the brokers no longer list it.
func (c *Cluster) DeleteTopic(ctx context.Context, topic string) error {
	cl, err := c.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TopicNames = []string{topic}
	rt := kmsg.NewDeleteTopicsRequestTopic()
	rt.Topic = &topic
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("delete topic %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("delete topic %s: %w", topic, err)
		}
	}
	for {
		_, err := topicMetadata(ctx, cl, topic)
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("delete topic %s: still listed: %w", topic, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// AddPartitions grows topic to count partitions and waits until every one
// has a leader and its replicas in sync.
func (c *Cluster) AddPartitions(ctx context.Context, topic string, count int32) error {
	cl, err := c.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	req := kmsg.NewPtrCreatePartitionsRequest()
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic = topic
	rt.Count = count
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 30000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("add partitions to %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("add partitions to %s: %w", topic, err)
		}
	}
	return c.WaitInSync(ctx, topic)
}

// listOffsets asks for every partition's offset at timestamp -1 (the end)
// or -2 (the log start).
func (c *Cluster) listOffsets(ctx context.Context, topic string, timestamp int64) (map[int32]int64, error) {
	cl, err := c.Client()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	meta, err := topicMetadata(ctx, cl, topic)
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range meta.Partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p.Partition
		rp.Timestamp = timestamp
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	out := make(map[int32]int64, len(meta.Partitions))
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("list offsets of %s: partition %d: %w", topic, p.Partition, err)
			}
			out[p.Partition] = p.Offset
		}
	}
	if len(out) != len(meta.Partitions) {
		return nil, fmt.Errorf("list offsets of %s: got %d partitions, want %d", topic, len(out), len(meta.Partitions))
	}
	return out, nil
}

// Committed returns the offsets group has committed for topic, by
// partition; partitions without a commit are missing from the map.
func (c *Cluster) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	cl, err := c.Client()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	meta, err := topicMetadata(ctx, cl, topic)
	if err != nil {
		return nil, fmt.Errorf("committed offsets: %w", err)
	}
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = topic
	for _, p := range meta.Partitions {
		rt.Partitions = append(rt.Partitions, p.Partition)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of %s in %s: %w", topic, group, err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("committed offsets of %s in %s: %w", topic, group, err)
	}
	out := map[int32]int64{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("committed offsets of %s in %s: partition %d: %w", topic, group, p.Partition, err)
			}
			if p.Offset >= 0 {
				out[p.Partition] = p.Offset
			}
		}
	}
	return out, nil
}
