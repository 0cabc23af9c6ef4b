package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// productionSessionTimeout is config.Default's kafka.session_timeout,
// which the crash-loop test runs with.
const productionSessionTimeout = 30 * time.Second

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
	s := setup{partitions: 4, maxFileRecords: 5000, maxFileAge: time.Second, shutdown: 10 * time.Second}
	h := newHarness(t, s, seed)
	// The production group timeouts: only the roll, which the test needs
	// quick, and the metrics listener, which several daemons would share,
	// differ from the defaults.
	cfg := fmt.Sprintf("kafka:\n  dial_timeout: 5s\nlake:\n  roll:\n    max_file_records: %d\n    max_file_age: %s\n  row_group_rows: 1000\nshutdown:\n  deadline: %s\nmetrics:\n  addr: \"\"\n",
		s.maxFileRecords, s.maxFileAge, s.shutdown)
	if err := os.WriteFile(h.cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var env []string
	if static {
		env = append(env, "LANDERD_KAFKA_INSTANCE_ID=landerd-0")
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
	limit := productionSessionTimeout + 15*time.Second
	h.waitLanded(h.endOffsets(ctx), limit, last)
	t.Logf("%s landed the topic %s after it started", last.name, time.Since(last.started).Round(time.Millisecond))
	if code, _ := last.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", last.name, code, last.exitError())
	}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
}
