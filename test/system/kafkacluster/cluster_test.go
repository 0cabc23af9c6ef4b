package kafkacluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// record returns the i-th test record of partition p.
func record(p int32, i int) *kgo.Record {
	return &kgo.Record{Partition: p, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "p%d-%06d", p, i)}
}

// consumeAll reads every partition of topic from the start up to ends and
// returns the values per partition, in offset order.
func consumeAll(t *testing.T, c *Cluster, topic string, ends map[int32]int64) map[int32][]string {
	t.Helper()
	offsets := map[int32]kgo.Offset{}
	var want int64
	for p, end := range ends {
		offsets[p] = kgo.NewOffset().AtStart()
		want += end
	}
	cl, err := c.Client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	got := map[int32][]string{}
	var n int64
	for n < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", n, want, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset != int64(len(got[r.Partition])) {
				t.Fatalf("partition %d: record at offset %d after %d records", r.Partition, r.Offset, len(got[r.Partition]))
			}
			got[r.Partition] = append(got[r.Partition], string(r.Value))
			n++
		})
	}
	return got
}

// TestSingleNode starts one Kafka 4.x node, creates a topic, produces to
// every partition and reads the records back in order.
func TestSingleNode(t *testing.T) {
	produceConsume(t, DefaultVersion)
}

// TestCompatVersion does the same against the 3.9.x broker.
func TestCompatVersion(t *testing.T) {
	produceConsume(t, CompatVersion)
}

func produceConsume(t *testing.T, version string) {
	c := Start(t, Config{Version: version})
	ctx := t.Context()
	const topic, partitions, perPartition = "numbers", 3, 500
	if err := c.CreateTopic(ctx, TopicConfig{Name: topic, Partitions: partitions}); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := range perPartition {
		for p := range int32(partitions) {
			recs = append(recs, record(p, i))
		}
	}
	if err := c.Produce(ctx, topic, recs...); err != nil {
		t.Fatal(err)
	}
	ends, err := c.EndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(partitions) {
		if ends[p] != perPartition {
			t.Errorf("partition %d: end offset %d, want %d", p, ends[p], perPartition)
		}
	}
	got := consumeAll(t, c, topic, ends)
	for p := range int32(partitions) {
		for i, v := range got[p] {
			if want := string(record(p, i).Value); v != want {
				t.Fatalf("partition %d offset %d: %q, want %q", p, i, v, want)
			}
		}
	}
	if pid := c.PID(0); pid != 0 {
		t.Logf("broker RSS: %s", rss(pid))
	}
}

// TestBrokerKilledWhileProducing runs three brokers with a topic
// replicated three times (min.insync.replicas 2), kills one with SIGKILL
// while a producer writes with acks=all, restarts it, and checks that
// every record was written exactly once, in order, and that the restarted
// broker catches up into the in-sync set.
func TestBrokerKilledWhileProducing(t *testing.T) {
	c := Start(t, Config{Brokers: 3})
	ctx := t.Context()
	const topic, partitions = "replicated", 4
	if err := c.CreateTopic(ctx, TopicConfig{Name: topic, Partitions: partitions, Replicas: 3, MinInsyncReplicas: 2}); err != nil {
		t.Fatal(err)
	}
	cl, err := c.Client(
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	// Produce in rounds of one record per partition until told to stop.
	var (
		wg      sync.WaitGroup
		rounds  atomic.Int64
		prodErr error // set before the producer returns
	)
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			var recs []*kgo.Record
			for p := range int32(partitions) {
				recs = append(recs, record(p, int(rounds.Load())))
			}
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				prodErr = err
				return
			}
			rounds.Add(1)
		}
	})
	stopped := false
	stopProducer := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopProducer()
	// waitMore waits until n more rounds are acknowledged.
	waitMore := func(n int64) {
		t.Helper()
		target := rounds.Load() + n
		for end := time.Now().Add(time.Minute); rounds.Load() < target; {
			if time.Now().After(end) {
				stopProducer()
				t.Fatalf("the producer did not reach %d rounds within a minute (at %d): %v", target, rounds.Load(), prodErr)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	waitMore(200)
	const victim = 1
	if err := c.Kill(victim); err != nil {
		t.Fatal(err)
	}
	t.Logf("broker %d killed after %d rounds", victim+1, rounds.Load())
	waitMore(300)
	begin := time.Now()
	if err := c.Restart(victim); err != nil {
		t.Fatal(err)
	}
	t.Logf("broker %d restarted in %s, at round %d", victim+1, time.Since(begin).Round(10*time.Millisecond), rounds.Load())
	waitMore(200)
	stopProducer()
	if prodErr != nil {
		t.Fatalf("producer: %v", prodErr)
	}
	total := rounds.Load()
	syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.WaitInSync(syncCtx, topic); err != nil {
		t.Fatal(err)
	}
	ends, err := c.EndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(partitions) {
		if ends[p] != total {
			t.Errorf("partition %d: end offset %d, but %d records were acknowledged", p, ends[p], total)
		}
	}
	got := consumeAll(t, c, topic, ends)
	for p := range int32(partitions) {
		for i, v := range got[p] {
			if want := string(record(p, i).Value); v != want {
				t.Fatalf("partition %d offset %d: %q, want %q", p, i, v, want)
			}
		}
	}
	t.Logf("%d records per partition acknowledged with acks=all and read back once each, in order", total)
	for i := range c.Brokers() {
		t.Logf("broker %d RSS: %s", i+1, rss(c.PID(i)))
	}
}

// rss returns the resident set size of process pid, from /proc.
func rss(pid int) string {
	body, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
	}
	return "unknown"
}
