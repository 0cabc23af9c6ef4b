package fakekafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DefaultPartitions is the partition count of the topic when
// Config.Partitions is zero.
const DefaultPartitions = 1

// Config describes the broker to start.
type Config struct {
	// Topic is created when the broker starts. Required.
	Topic string
	// MoreTopics are created too, with the same partition count; records
	// reach them through Record.Topic.
	MoreTopics []string
	// Partitions is the topic's partition count; 0 means DefaultPartitions.
	Partitions int32
	// Addr is the loopback host:port to listen on. Empty means 127.0.0.1
	// on a random free port. Only loopback addresses are accepted.
	Addr string
	// MinSessionTimeout is the smallest consumer-group session timeout the
	// broker accepts. Zero keeps kfake's default (6s); tests lower it so that
	// a member that dies is evicted quickly.
	MinSessionTimeout time.Duration
}

// Broker is a running single-node in-process Kafka cluster.
type Broker struct {
	cluster    *kfake.Cluster
	addr       string
	topic      string
	partitions int32
}

// Start validates cfg and starts a broker listening on its address. The
// caller must Close it.
func Start(cfg Config) (*Broker, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	partitions := cfg.Partitions
	if partitions == 0 {
		partitions = DefaultPartitions
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.SeedTopics(partitions, append([]string{cfg.Topic}, cfg.MoreTopics...)...),
		kfake.ClusterID("landerd"),
	}
	if cfg.MinSessionTimeout > 0 {
		opts = append(opts, kfake.GroupMinSessionTimeout(cfg.MinSessionTimeout))
	}
	if cfg.Addr != "" {
		// kfake always asks for 127.0.0.1:<port>; listen on the address we
		// were given instead, which validate has checked to be loopback.
		addr := cfg.Addr
		opts = append(opts, kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, addr)
		}))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	addrs := c.ListenAddrs()
	if len(addrs) != 1 {
		c.Close()
		return nil, fmt.Errorf("start broker: listening on %d addresses, want 1", len(addrs))
	}
	return &Broker{cluster: c, addr: addrs[0], topic: cfg.Topic, partitions: partitions}, nil
}

func (cfg Config) validate() error {
	var errs []error
	if cfg.Topic == "" {
		errs = append(errs, errors.New("topic is required"))
	}
	if cfg.Partitions < 0 {
		errs = append(errs, fmt.Errorf("partitions %d: must not be negative", cfg.Partitions))
	}
	if cfg.MinSessionTimeout < 0 {
		errs = append(errs, fmt.Errorf("min session timeout %s: must not be negative", cfg.MinSessionTimeout))
	}
	if cfg.Addr != "" {
		if err := checkLoopback(cfg.Addr); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("addr %q: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("addr %q: invalid port", addr)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("addr %q: host must be a loopback address", addr)
	}
	return nil
}

// Addr returns the host:port clients connect to.
func (b *Broker) Addr() string { return b.addr }

// Topic returns the name of the topic created at start.
func (b *Broker) Topic() string { return b.topic }

// Partitions returns the partition count of the topic.
func (b *Broker) Partitions() int32 { return b.partitions }

// Close stops the broker and drops every record it holds. It is safe to call
// more than once.
func (b *Broker) Close() { b.cluster.Close() }

// Record is one record for Produce.
type Record struct {
	// Key and Value are the record's key and value; nil means null.
	Key, Value []byte
	// Partition is used only when ProduceOptions.ManualPartition is set.
	Partition int32
	// Timestamp is the record's timestamp; zero means the time of producing.
	Timestamp time.Time
	// Topic is the record's topic; empty means Config.Topic.
	Topic string
	// Headers are the record's headers, in order.
	Headers []Header
}

// Header is one record header.
type Header struct {
	// Key is the header's name.
	Key string
	// Value is the header's value; nil and empty are both empty.
	Value []byte
}

// ProduceOptions tune ProduceWith.
type ProduceOptions struct {
	// Compression is the batch codec: "" or "none", "gzip", "snappy", "lz4"
	// or "zstd".
	Compression string
	// ManualPartition sends each record to its Record.Partition. Otherwise
	// keyed records go to the partition sarama's default hash partitioner
	// would choose, and records without a key are spread round-robin.
	ManualPartition bool
}

// Produce writes records to the topic, uncompressed, and returns once every
// one of them is acknowledged by the broker. Records for one partition keep
// their order.
func (b *Broker) Produce(ctx context.Context, records []Record) error {
	return b.ProduceWith(ctx, ProduceOptions{}, records)
}

// ProduceWith is Produce with options.
func (b *Broker) ProduceWith(ctx context.Context, opts ProduceOptions, records []Record) error {
	codec, err := codecFor(opts.Compression)
	if err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	partitioner := kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(fnv32a))
	if opts.ManualPartition {
		partitioner = kgo.ManualPartitioner()
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(b.addr),
		kgo.DefaultProduceTopic(b.topic),
		kgo.RecordPartitioner(roundRobinNilKeys{partitioner, opts.ManualPartition}),
		kgo.ProducerBatchCompression(codec),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.MaxBufferedRecords(1<<16),
	)
	if err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	defer cl.Close()

	krs := make([]*kgo.Record, len(records))
	for i, r := range records {
		krs[i] = &kgo.Record{Key: r.Key, Value: r.Value, Partition: r.Partition, Timestamp: r.Timestamp, Topic: r.Topic}
		for _, h := range r.Headers {
			krs[i].Headers = append(krs[i].Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
	}
	if err := cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	return nil
}

// roundRobinNilKeys partitions keyed records with the wrapped partitioner
// and spreads records without a key evenly, so that tests producing unkeyed
// records fill every partition.
type roundRobinNilKeys struct {
	keyed  kgo.Partitioner
	manual bool
}

func (p roundRobinNilKeys) ForTopic(topic string) kgo.TopicPartitioner {
	return &roundRobinTopic{keyed: p.keyed.ForTopic(topic), manual: p.manual}
}

type roundRobinTopic struct {
	keyed  kgo.TopicPartitioner
	manual bool
	next   int
}

func (p *roundRobinTopic) RequiresConsistency(*kgo.Record) bool { return true }

func (p *roundRobinTopic) Partition(r *kgo.Record, n int) int {
	if p.manual || r.Key != nil {
		return p.keyed.Partition(r, n)
	}
	i := p.next % n
	p.next++
	return i
}

func fnv32a(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

func codecFor(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	default:
		return kgo.CompressionCodec{}, fmt.Errorf("unknown compression %q", name)
	}
}

// EndOffsets returns the high watermark of every partition of the topic:
// the offset the next record produced to it will get.
func (b *Broker) EndOffsets(ctx context.Context) (map[int32]int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.addr))
	if err != nil {
		return nil, fmt.Errorf("end offsets: %w", err)
	}
	defer cl.Close()

	return ListEndOffsets(ctx, cl, b.topic, b.partitions)
}

// ErrPartitionsMissing is the error of ListEndOffsets when the answer
// lacks a partition, e.g. while a new topic's leaders are being elected.
var ErrPartitionsMissing = errors.New("not every partition answered")

// ListEndOffsets asks the brokers cl knows for the high watermark of
// partitions 0..partitions-1 of topic.
func ListEndOffsets(ctx context.Context, cl *kgo.Client, topic string, partitions int32) (map[int32]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := range partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("end offsets: %w", err)
	}
	out := make(map[int32]int64, partitions)
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("end offsets: partition %d: %w", p.Partition, err)
			}
			out[p.Partition] = p.Offset
		}
	}
	if len(out) != int(partitions) {
		return nil, fmt.Errorf("end offsets: %w: got %d, want %d", ErrPartitionsMissing, len(out), partitions)
	}
	return out, nil
}
