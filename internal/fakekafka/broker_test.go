package fakekafka_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/goleak"

	"github.com/landerd/landerd/internal/fakekafka"
)

func TestMain(m *testing.M) {
	// go-metrics, which sarama uses, starts one process-wide meter ticker
	// that never stops.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/rcrowley/go-metrics.(*meterArbiter).tick"))
}

// startBroker starts a broker with a short minimum session timeout and closes
// it when the test ends.
func startBroker(t *testing.T, topic string, partitions int32) *fakekafka.Broker {
	t.Helper()
	b, err := fakekafka.Start(fakekafka.Config{Topic: topic, Partitions: partitions, MinSessionTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// groupConfig is a sarama config for quick group tests.
func groupConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "broker-test"
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Group.Session.Timeout = time.Second
	c.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
	c.Consumer.Group.Rebalance.Timeout = 2 * time.Second
	c.Consumer.Offsets.AutoCommit.Interval = 50 * time.Millisecond
	c.Consumer.MaxWaitTime = 50 * time.Millisecond
	c.Metadata.Retry.Backoff = 20 * time.Millisecond
	return c
}

type got struct {
	Partition int32
	Offset    int64
	Key       string
	Value     string
}

// collector is a sarama.ConsumerGroupHandler that records every message it
// sees and marks those that mark approves.
type collector struct {
	mark func(*sarama.ConsumerMessage) bool

	mu     sync.Mutex
	msgs   []got
	claims map[int32]bool // partitions of the latest session
}

func newCollector(mark func(*sarama.ConsumerMessage) bool) *collector {
	return &collector{mark: mark}
}

func (c *collector) Setup(s sarama.ConsumerGroupSession) error {
	c.mu.Lock()
	c.claims = map[int32]bool{}
	for _, p := range s.Claims()["t"] {
		c.claims[p] = true
	}
	c.mu.Unlock()
	return nil
}

func (c *collector) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (c *collector) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, got{m.Partition, m.Offset, string(m.Key), string(m.Value)})
			c.mu.Unlock()
			if c.mark == nil || c.mark(m) {
				s.MarkMessage(m, "")
			}
		case <-s.Context().Done():
			return nil
		}
	}
}

func (c *collector) snapshot() ([]got, map[int32]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	claims := make(map[int32]bool, len(c.claims))
	for p := range c.claims {
		claims[p] = true
	}
	return slices.Clone(c.msgs), claims
}

// waitFor blocks until cond holds for the collectors, or fails the test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-poll.C:
		}
	}
}

// member runs one consumer-group member until stop is called.
type member struct {
	group  sarama.ConsumerGroup
	cancel context.CancelFunc
	done   chan error
}

func join(t *testing.T, addr, groupID string, h sarama.ConsumerGroupHandler) *member {
	t.Helper()
	g, err := sarama.NewConsumerGroup([]string{addr}, groupID, groupConfig())
	if err != nil {
		t.Fatalf("new consumer group: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{group: g, cancel: cancel, done: make(chan error, 1)}
	go func() {
		var err error
		for ctx.Err() == nil {
			if err = g.Consume(ctx, []string{"t"}, h); err != nil {
				break
			}
		}
		m.done <- err
	}()
	t.Cleanup(func() { _ = m.stop() })
	return m
}

// stop leaves the group and closes the member; it is idempotent.
func (m *member) stop() error {
	if m.cancel == nil {
		return nil
	}
	m.cancel()
	m.cancel = nil
	err := <-m.done
	if cerr := m.group.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if errors.Is(err, sarama.ErrClosedConsumerGroup) {
		err = nil
	}
	return err
}

func records(n int, prefix string) []fakekafka.Record {
	rs := make([]fakekafka.Record, n)
	for i := range rs {
		rs[i] = fakekafka.Record{
			Key:   []byte(fmt.Sprintf("%s-key-%03d", prefix, i)),
			Value: []byte(fmt.Sprintf(`{"n":%d,"batch":%q}`, i, prefix)),
		}
	}
	return rs
}

// byKey indexes messages by key and fails on duplicates.
func byKey(t *testing.T, msgs []got) map[string]got {
	t.Helper()
	out := make(map[string]got, len(msgs))
	for _, m := range msgs {
		if prev, ok := out[m.Key]; ok {
			t.Fatalf("key %s delivered twice: %+v and %+v", m.Key, prev, m)
		}
		out[m.Key] = m
	}
	return out
}

// checkDense fails unless the offsets of each partition are exactly
// from..end-1 in order.
func checkDense(t *testing.T, msgs []got, from, end map[int32]int64) {
	t.Helper()
	per := map[int32][]int64{}
	for _, m := range msgs {
		per[m.Partition] = append(per[m.Partition], m.Offset)
	}
	for p, e := range end {
		var want []int64
		for o := from[p]; o < e; o++ {
			want = append(want, o)
		}
		if !slices.Equal(per[p], want) {
			t.Errorf("partition %d offsets = %v, want %d..%d", p, per[p], from[p], e-1)
		}
	}
}

func TestStartValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  fakekafka.Config
	}{
		{"no topic", fakekafka.Config{}},
		{"negative partitions", fakekafka.Config{Topic: "t", Partitions: -1}},
		{"not loopback", fakekafka.Config{Topic: "t", Addr: "0.0.0.0:0"}},
		{"hostname", fakekafka.Config{Topic: "t", Addr: "example.com:9092"}},
		{"no port", fakekafka.Config{Topic: "t", Addr: "127.0.0.1"}},
		{"negative session timeout", fakekafka.Config{Topic: "t", MinSessionTimeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := fakekafka.Start(tt.cfg)
			if err == nil {
				b.Close()
				t.Fatalf("Start(%+v) succeeded, want an error", tt.cfg)
			}
		})
	}
}

func TestAddrIsLoopback(t *testing.T) {
	b, err := fakekafka.Start(fakekafka.Config{Topic: "t", Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if host := b.Addr()[:len("127.0.0.1:")]; host != "127.0.0.1:" || b.Addr() == "127.0.0.1:0" {
		t.Fatalf("Addr() = %q, want 127.0.0.1 with a chosen port", b.Addr())
	}
	if b.Partitions() != fakekafka.DefaultPartitions || b.Topic() != "t" {
		t.Fatalf("topic %q with %d partitions, want t with %d", b.Topic(), b.Partitions(), fakekafka.DefaultPartitions)
	}
}

func TestConsumeEverythingProduced(t *testing.T) {
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			b := startBroker(t, "t", 3)
			ctx := context.Background()
			want := records(300, codec)
			if err := b.ProduceWith(ctx, fakekafka.ProduceOptions{Compression: codec}, want); err != nil {
				t.Fatal(err)
			}
			end, err := b.EndOffsets(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for _, e := range end {
				total += e
			}
			if total != int64(len(want)) || len(end) != 3 {
				t.Fatalf("end offsets %v sum to %d, want %d over 3 partitions", end, total, len(want))
			}

			c := newCollector(nil)
			m := join(t, b.Addr(), "g", c)
			waitFor(t, "all records", func() bool { msgs, _ := c.snapshot(); return len(msgs) >= len(want) })
			if err := m.stop(); err != nil {
				t.Fatal(err)
			}
			msgs, _ := c.snapshot()
			gotByKey := byKey(t, msgs)
			if len(gotByKey) != len(want) {
				t.Fatalf("consumed %d records, want %d", len(gotByKey), len(want))
			}
			for _, r := range want {
				g, ok := gotByKey[string(r.Key)]
				if !ok || g.Value != string(r.Value) {
					t.Fatalf("key %s: got %+v, want value %s", r.Key, g, r.Value)
				}
			}
			// Keyed records follow sarama's hash partitioner, and each
			// partition is delivered densely in offset order.
			checkDense(t, msgs, nil, end)
			p := sarama.NewHashPartitioner("t")
			for _, g := range msgs {
				wantP, err := p.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(g.Key)}, 3)
				if err != nil {
					t.Fatal(err)
				}
				if g.Partition != wantP {
					t.Fatalf("key %s on partition %d, sarama would choose %d", g.Key, g.Partition, wantP)
				}
			}
		})
	}
}

func TestManualPartitionAndUnkeyed(t *testing.T) {
	b := startBroker(t, "t", 4)
	ctx := context.Background()
	manual := []fakekafka.Record{{Partition: 2, Value: []byte("a")}, {Partition: 2, Value: []byte("b")}, {Partition: 0, Value: []byte("c")}}
	if err := b.ProduceWith(ctx, fakekafka.ProduceOptions{ManualPartition: true}, manual); err != nil {
		t.Fatal(err)
	}
	if err := b.Produce(ctx, []fakekafka.Record{{Value: []byte("1")}, {Value: []byte("2")}, {Value: []byte("3")}, {Value: []byte("4")}}); err != nil {
		t.Fatal(err)
	}
	end, err := b.EndOffsets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32]int64{0: 2, 1: 1, 2: 3, 3: 1}
	if fmt.Sprint(end) != fmt.Sprint(want) {
		t.Fatalf("end offsets = %v, want %v", end, want)
	}
}

func TestResumeFromCommittedOffset(t *testing.T) {
	b := startBroker(t, "t", 2)
	ctx := context.Background()
	first := records(100, "first")
	if err := b.Produce(ctx, first); err != nil {
		t.Fatal(err)
	}
	end1, err := b.EndOffsets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The first member reads everything but marks only the first half of
	// each partition.
	half := map[int32]int64{}
	for p, e := range end1 {
		half[p] = e / 2
	}
	c1 := newCollector(func(m *sarama.ConsumerMessage) bool { return m.Offset < half[m.Partition] })
	m1 := join(t, b.Addr(), "g", c1)
	waitFor(t, "first batch", func() bool { msgs, _ := c1.snapshot(); return len(msgs) >= len(first) })
	if err := m1.stop(); err != nil {
		t.Fatal(err)
	}

	second := records(50, "second")
	if err := b.Produce(ctx, second); err != nil {
		t.Fatal(err)
	}
	end2, err := b.EndOffsets(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// A new member of the same group resumes at the committed offsets: the
	// unmarked half of the first batch, then the whole second batch.
	c2 := newCollector(nil)
	m2 := join(t, b.Addr(), "g", c2)
	var wantN int64
	for p := range end2 {
		wantN += end2[p] - half[p]
	}
	waitFor(t, "resumed records", func() bool { msgs, _ := c2.snapshot(); return int64(len(msgs)) >= wantN })
	if err := m2.stop(); err != nil {
		t.Fatal(err)
	}
	msgs, _ := c2.snapshot()
	byKey(t, msgs)
	if int64(len(msgs)) != wantN {
		t.Fatalf("resumed member got %d records, want %d", len(msgs), wantN)
	}
	checkDense(t, msgs, half, end2)
}

func TestTwoMembersSplitPartitions(t *testing.T) {
	const partitions = 4
	b := startBroker(t, "t", partitions)
	ctx := context.Background()
	want := records(400, "split")
	if err := b.Produce(ctx, want); err != nil {
		t.Fatal(err)
	}
	end, err := b.EndOffsets(ctx)
	if err != nil {
		t.Fatal(err)
	}

	c1, c2 := newCollector(nil), newCollector(nil)
	m1 := join(t, b.Addr(), "g", c1)
	m2 := join(t, b.Addr(), "g", c2)
	split := func() bool {
		_, a := c1.snapshot()
		_, b := c2.snapshot()
		if len(a) == 0 || len(b) == 0 || len(a)+len(b) != partitions {
			return false
		}
		for p := range a {
			if b[p] {
				return false
			}
		}
		return true
	}
	waitFor(t, "partitions split across two members", split)
	waitFor(t, "all records", func() bool {
		a, _ := c1.snapshot()
		b, _ := c2.snapshot()
		ka := map[string]bool{}
		for _, m := range append(a, b...) {
			ka[m.Key] = true
		}
		return len(ka) == len(want)
	})
	if err := errors.Join(m1.stop(), m2.stop()); err != nil {
		t.Fatal(err)
	}
	_, a := c1.snapshot()
	_, bb := c2.snapshot()
	for p := int32(0); p < partitions; p++ {
		if a[p] == bb[p] {
			t.Errorf("partition %d: owned by member 1 %v, member 2 %v; want exactly one", p, a[p], bb[p])
		}
	}
	// Across both members every record arrived.
	m1msgs, _ := c1.snapshot()
	m2msgs, _ := c2.snapshot()
	seen := map[string]bool{}
	for _, m := range append(m1msgs, m2msgs...) {
		seen[m.Key] = true
	}
	for _, r := range want {
		if !seen[string(r.Key)] {
			t.Fatalf("record %s never consumed", r.Key)
		}
	}
	var total int64
	for _, e := range end {
		total += e
	}
	if total != int64(len(want)) {
		t.Fatalf("end offsets sum %d, want %d", total, len(want))
	}
}
