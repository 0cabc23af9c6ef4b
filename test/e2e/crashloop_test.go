package e2e

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/test/system/kafkacluster"
)

// crashLoopGrace is how long after the production session timeout a
// restarted replica may take to land again.
const crashLoopGrace = 15 * time.Second

// crashLoopFresh is how many records per partition arrive after the last
// restart, for the restarted replica to land.
const crashLoopFresh = 1000

// instanceIDEnv sets kafka.instance_id, static group membership
// (KIP-345), as a pod name does in the Kubernetes manifests.
const instanceIDEnv = "LANDERD_KAFKA_INSTANCE_ID"

// crashLoopDynamicEnv, when set to 1, runs TestCrashLoopRecoversRealKafka
// with dynamic membership (kafka.instance_id: none) instead of a stable
// id, to see how a group of dynamic members recovers.
const crashLoopDynamicEnv = "LANDERD_E2E_CRASHLOOP_DYNAMIC"

// dynamicMembership is the kafka.instance_id that turns static membership
// off; without any, landerd derives a stable id from the host.
const dynamicMembership = "none"

// TestCrashLoopRecoversRealKafka is a replica in a crash loop, as a pod
// killed by the kubelet over and over: with the production group timing
// and kafka.instance_id set to a stable id, on Apache Kafka 4.x with 4
// partitions and a backlog of 50,000 attempts, `landerd run` is killed
// with SIGKILL at 5 random moments within 10 s and restarted each time.
// The sixth instance must land again within the production session
// timeout plus 15 s, and the lake must hold every record exactly once.
//
// Only the roll settings differ from production (1,000 records or 1 s per
// file instead of 128 MiB or 5 minutes), so that landing shows as a
// published flush within seconds; they do not touch the group.
// TestCrashLoopAtDefaultsRealKafka (membership_test.go) is the same crash
// loop with no kafka.instance_id at all.
func TestCrashLoopRecoversRealKafka(t *testing.T) {
	// Every instance is the same replica: one stable id, as a pod name.
	env := []string{instanceIDEnv + "=landerd-0"}
	if os.Getenv(crashLoopDynamicEnv) == "1" {
		env = []string{instanceIDEnv + "=" + dynamicMembership}
	}
	timing := productionTiming()
	limit := timing.session + crashLoopGrace
	crashLoopRealKafka(t, env, limit, fmt.Sprintf("session timeout %s + %s", timing.session, crashLoopGrace))
}

// crashLoopRealKafka runs the crash loop of TestCrashLoopRecoversRealKafka
// with the daemons' environment env, and requires the sixth instance to
// publish a flush of every partition within limit of its start; why says
// where the limit comes from.
func crashLoopRealKafka(t *testing.T, env []string, limit time.Duration, why string) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	const total, kills, window = 50000, 5, 10 * time.Second
	timing := productionTiming()
	s := setup{
		partitions:     4,
		maxFileRecords: 1000,
		maxFileAge:     time.Second,
		shutdown:       10 * time.Second,
		kafka:          kafkaSetup{cluster: &kafkacluster.Config{}, timing: timing},
		tenancy:        true,
	}
	h := newHarness(t, s, seed)
	ctx := t.Context()
	if err := h.produce(ctx, total); err != nil {
		t.Fatal(err)
	}
	t.Logf("daemon environment %q; group timing: session %s, heartbeat %s, rebalance %s",
		env, timing.session, timing.heartbeat, timing.rebalance)

	first := startDaemon(t, h, "landerd-0", env...)
	first.waitAssigned(t, time.Minute)
	// Five moments within the window, from the first assignment on.
	moments := make([]time.Duration, kills)
	for i := range moments {
		moments[i] = time.Duration(rng.Int64N(int64(window)))
	}
	slices.Sort(moments)
	begin := time.Now()
	current := first
	var log []string
	for i, at := range moments {
		time.Sleep(time.Until(begin.Add(at)))
		assigned := len(current.logs(isMsg(msgPartitionAssign)))
		current.kill(t)
		log = append(log, fmt.Sprintf("%s killed at %s with %d partitions claimed", current.name, at.Round(time.Millisecond), assigned))
		current = startDaemon(t, h, fmt.Sprintf("landerd-%d", i+1), env...)
	}
	t.Logf("crash loop: %s", strings.Join(log, "; "))

	// The sixth instance runs on. Records keep arriving after its start
	// (the backlog may be landed already: an instance lands 50,000
	// attempts in a few seconds on a quiet machine), and it has landed
	// again once it has published a flush of every partition: a killed
	// member that the group still counts holds its partitions until its
	// session expires.
	last := current
	if err := h.produce(ctx, crashLoopFresh*int(s.partitions)); err != nil {
		t.Fatal(err)
	}
	landing := map[int32]time.Duration{}
	from := 0
	for len(landing) < int(s.partitions) {
		next, ok := last.waitLog(from, time.Until(last.started.Add(limit)), isMsg(msgFlushPublished))
		if !ok {
			t.Fatalf("%s did not land every partition within %s (%s) of its start: it published %v (partition: time after its start); exited: %v\n%s",
				last.name, limit, why, landing, last.exited(), last.tail(30))
		}
		from = next
		l := last.logs(func(logLine) bool { return true })[next-1]
		if _, seen := landing[*l.Partition]; !seen {
			landing[*l.Partition] = time.Since(last.started).Round(10 * time.Millisecond)
		}
	}
	t.Logf("%s landed again, every partition within %s of its start (limit %s): %v", last.name, slices.Max(slices.Collect(maps.Values(landing))), limit, landing)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, last)
	if code, _ := last.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", last.name, code, last.exitError())
	}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
}

// TestCrashLoopRecovers runs the daemon with the production group
// timeouts and static membership (the same kafka.instance_id for every
// instance, as a container restarted in its pod has), kills it with
// SIGKILL at five random moments within about ten seconds while records
// arrive, restarting it each time, and requires the sixth instance to land
// the whole topic within the session timeout plus 15 s. It replaces its
// dead former self in the group at once, and no read timeout cuts short
// its JoinGroup, which the coordinator may hold for the rebalance timeout
// (sarama's default 30 s read timeout against the 60 s rebalance timeout
// gave up on such joins and retried them for ever).
//
// Without static membership the coordinator first waits out the dead
// members: kfake puts members that died inside a JoinGroup into the next
// generation and waits for their SyncGroup for the rebalance timeout, so
// the same scenario took 2 min 35 s to land in one run (with sarama's old
// 30 s read timeout it had landed nothing after 45 s either). Static
// membership is what makes a restarted replica land within the session
// timeout.
func TestCrashLoopRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for a minute with the production group timeouts; not in -short")
	}
	crashLoop(t, true)
}

func crashLoop(t *testing.T, static bool) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 9))
	s := setup{partitions: 4, maxFileRecords: 5000, maxFileAge: time.Second, shutdown: 10 * time.Second, tenancy: true}
	h := newHarness(t, s, seed)
	// The production group timeouts: only the roll, which the test needs
	// quick, and the metrics listener, which several daemons would share,
	// differ from the defaults.
	cfg := fmt.Sprintf("kafka:\n  dial_timeout: 5s\nlake:\n  roll:\n    max_file_records: %d\n    max_file_age: %s\n  row_group_rows: 1000\nshutdown:\n  deadline: %s\nmetrics:\n  addr: \"\"\n",
		s.maxFileRecords, s.maxFileAge, s.shutdown)
	cfg += h.mix.configYAML(h.tenantGroup)
	if err := os.WriteFile(h.cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var env []string
	if static {
		env = append(env, instanceIDEnv+"=landerd-0")
	}
	ctx := t.Context()
	total := 60000
	if err := h.produce(ctx, total/4); err != nil {
		t.Fatal(err)
	}
	// The rest arrives while the instances crash: about 10 s of records.
	prod := h.startProducer(ctx, total-total/4, (total-total/4)/50, 200*time.Millisecond)
	crashEnd := time.Now().Add(10 * time.Second)
	for i := range 5 {
		d := startDaemon(t, h, fmt.Sprintf("landerd-%d", i), env...)
		wait := time.Duration(rng.Int64N(int64(time.Until(crashEnd)/time.Duration(5-i)) + 1))
		time.Sleep(wait)
		d.kill(t)
		t.Logf("%s killed after %s", d.name, time.Since(d.started).Round(time.Millisecond))
	}
	last := startDaemon(t, h, "landerd-5", env...)
	prod.finish(t)
	limit := productionTiming().session + crashLoopGrace
	h.waitLanded(h.endOffsets(ctx), limit, last)
	t.Logf("%s landed the topic %s after it started", last.name, time.Since(last.started).Round(time.Millisecond))
	if code, _ := last.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", last.name, code, last.exitError())
	}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
}
