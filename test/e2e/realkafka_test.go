package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/test/system/kafkacluster"
)

// kafkaSetup says which Kafka a test lands from and with which group
// timing. The zero value is the in-process broker with the short timing.
type kafkaSetup struct {
	// cluster, when set, starts Apache Kafka as real processes
	// (test/system/kafkacluster) with this configuration.
	cluster *kafkacluster.Config
	// timing is the daemons' group timing; zero means the short one.
	timing groupTiming
	// topicConfigs are the topic's configs, e.g. retention.bytes.
	topicConfigs map[string]string
}

// productionTiming is the group timing of internal/config's defaults, the
// one a deployment runs with.
func productionTiming() groupTiming {
	k := config.Default().Kafka
	return groupTiming{session: k.SessionTimeout, heartbeat: k.HeartbeatInterval, rebalance: k.RebalanceTimeout}
}

// realShortTiming is the shortest group timing real Kafka accepts: its
// group.min.session.timeout.ms is 6 s. The tests that use it are about
// exactly-once landing across crashes and rebalances, not about how fast
// a group recovers (TestCrashLoopRecoversRealKafka is, with the production
// timing); with the production 30 s session timeout each SIGKILL would
// cost half a minute of waiting for the dead member's eviction.
var realShortTiming = groupTiming{session: 6 * time.Second, heartbeat: time.Second, rebalance: 20 * time.Second}

// realKafka is a topic on Apache Kafka run by test/system/kafkacluster.
type realKafka struct {
	c     *kafkacluster.Cluster
	topic string
}

// startRealKafka starts the cluster of ks and creates topic on it,
// replicated to every broker (up to 3).
func startRealKafka(t *testing.T, ks kafkaSetup, topic string, partitions int32) realKafka {
	t.Helper()
	c := kafkacluster.Start(t, *ks.cluster)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := c.CreateTopic(ctx, kafkacluster.TopicConfig{Name: topic, Partitions: partitions, Configs: ks.topicConfigs}); err != nil {
		t.Fatalf("Apache Kafka %s: %v", c.Version(), err)
	}
	return realKafka{c: c, topic: topic}
}

func (k realKafka) addrs() []string { return k.c.Addrs() }

func (k realKafka) produce(ctx context.Context, recs []fakekafka.Record) error {
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = &kgo.Record{Key: r.Key, Value: r.Value, Partition: r.Partition, Timestamp: r.Timestamp}
		for _, h := range r.Headers {
			krs[i].Headers = append(krs[i].Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
	}
	return k.c.Produce(ctx, k.topic, krs...)
}

func (k realKafka) endOffsets(ctx context.Context) (map[int32]int64, error) {
	return k.c.EndOffsets(ctx, k.topic)
}

// TestSIGKILLExactlyOnceRealKafka is TestSIGKILLExactlyOnce on a single
// Apache Kafka 4.x node: 50,000 attempts over 4 partitions, five SIGKILLs.
func TestSIGKILLExactlyOnceRealKafka(t *testing.T) {
	total := 50000
	kills := []killMoment{killAtRandom, killAfterFlush, killAfterAssign, killDuringShutdown, killAtRandom}
	if testing.Short() {
		total = 8000
		kills = []killMoment{killAtRandom, killAfterFlush}
	}
	ks := kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming}
	sigkillExactlyOnceOn(t, ks, lakeLocal, total, kills)
}

// TestSIGKILLExactlyOnceKafka39 is the compatibility run: landing and
// recovering from SIGKILLs against the 3.9.x broker.
func TestSIGKILLExactlyOnceKafka39(t *testing.T) {
	total := 20000
	kills := []killMoment{killAtRandom, killAfterFlush}
	if testing.Short() {
		total = 6000
		kills = []killMoment{killAfterFlush}
	}
	ks := kafkaSetup{cluster: &kafkacluster.Config{Version: kafkacluster.CompatVersion}, timing: realShortTiming}
	sigkillExactlyOnceOn(t, ks, lakeLocal, total, kills)
}

// TestRebalanceUnderLoadRealKafka is TestRebalanceUnderLoad on a single
// Apache Kafka 4.x node: two to four members joining, leaving and being
// killed while they land.
func TestRebalanceUnderLoadRealKafka(t *testing.T) {
	total := 30000
	if testing.Short() {
		total = 8000
	}
	ks := kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming}
	rebalanceUnderLoadOn(t, ks, lakeLocal, total)
}

// TestBrokerFailureRealKafka lands from a three-broker cluster (the topic
// replicated three times, min.insync.replicas 2) with two daemons while
// the broker coordinating their group is killed with SIGKILL and later
// restarted; records keep arriving with acks=all throughout. The daemons
// must keep running, follow the partition leaders and the group to the
// surviving brokers, and land every record exactly once. It runs with the
// production group timing: no member dies, so nothing waits on a session.
func TestBrokerFailureRealKafka(t *testing.T) {
	total := 20000
	if testing.Short() {
		total = 8000
	}
	brokerFailure(t, lakeLocal, total)
}

// brokerFailure runs the broker-failure scenario with total records on a
// lake on backend, with tenancy.
func brokerFailure(t *testing.T, backend lakeBackend, total int) {
	seed := testSeed(t)
	ks := kafkaSetup{cluster: &kafkacluster.Config{Brokers: 3}, timing: productionTiming()}
	s := setup{partitions: 4, maxFileRecords: 1000, maxFileAge: time.Second, shutdown: 10 * time.Second, backend: backend, kafka: ks, tenancy: true}
	h := newHarness(t, s, seed)
	kc := h.broker.(realKafka).c
	ctx := t.Context()
	if err := h.produce(ctx, total/10); err != nil {
		t.Fatal(err)
	}
	prod := h.startProducer(ctx, total-total/10, max(1, (total-total/10)/150), 200*time.Millisecond)

	a := startDaemon(t, h, "landerd-a")
	b := startDaemon(t, h, "landerd-b")
	a.waitAssigned(t, time.Minute)
	b.waitAssigned(t, time.Minute)
	if _, ok := a.waitLog(0, time.Minute, isMsg(msgFlushPublished)); !ok {
		t.Fatalf("%s published nothing within a minute", a.name)
	}

	coord := groupCoordinator(t, kc, h.group)
	flushedA, flushedB := a.lineCount(), b.lineCount()
	if err := kc.Kill(coord); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed broker %d, the group's coordinator", coord+1)
	// Landing goes on with two brokers: both daemons publish again.
	for _, w := range []struct {
		d    *daemon
		from int
	}{{a, flushedA}, {b, flushedB}} {
		if _, ok := w.d.waitLog(w.from, 2*time.Minute, isMsg(msgFlushPublished)); !ok {
			t.Fatalf("%s published nothing within two minutes of the broker's death (exited: %v)\n%s", w.d.name, w.d.exited(), w.d.tail(20))
		}
	}
	begin := time.Now()
	if err := kc.Restart(coord); err != nil {
		t.Fatal(err)
	}
	t.Logf("broker %d restarted in %s", coord+1, time.Since(begin).Round(10*time.Millisecond))

	prod.finish(t)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, a, b)
	syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := kc.WaitInSync(syncCtx, h.topic); err != nil {
		t.Errorf("after the restart: %v", err)
	}
	for _, d := range []*daemon{a, b} {
		if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
			t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", d.name, code, d.exitError())
		}
	}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
	logRecovery(t, []*daemon{a, b})
}

// groupCoordinator returns the index of the broker that coordinates group.
func groupCoordinator(t *testing.T, kc *kafkacluster.Cluster, group string) int {
	t.Helper()
	cl, err := kc.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKey = group
	req.CoordinatorKeys = []string{group}
	resp, err := req.RequestWith(t.Context(), cl)
	if err != nil {
		t.Fatalf("find the coordinator of %s: %v", group, err)
	}
	node, code := resp.NodeID, resp.ErrorCode
	if len(resp.Coordinators) > 0 {
		node, code = resp.Coordinators[0].NodeID, resp.Coordinators[0].ErrorCode
	}
	if err := kerr.ErrorForCode(code); err != nil {
		t.Fatalf("find the coordinator of %s: %v", group, err)
	}
	if node < 1 || int(node) > kc.Brokers() {
		t.Fatalf("find the coordinator of %s: node %d is not one of the %d brokers", group, node, kc.Brokers())
	}
	return int(node) - 1
}
