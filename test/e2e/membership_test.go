package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/system/kafkacluster"
)

// The tests of this file are about group membership as deployments change
// it: replicas restarted in a crash loop, replaced one at a time, scaled
// down, or started twice on one host. They run against Apache Kafka 4.1
// (test/system/kafkacluster's default version) with the production group
// timing (session 30 s, heartbeat 3 s, rebalance 60 s) and the production
// defaults otherwise, except the roll (1,000 records or 1 s per file, so
// that a flush publishes within seconds), what the harness sets for every
// test (kafka.dial_timeout 5 s, no metrics listener, several tenants) and,
// in the crash loop, shutdown.deadline 10 s as in
// TestCrashLoopRecoversRealKafka. Each ends with the lake check: every
// (partition, offset) of the topic in the lake exactly once.

// crashLoopDefaultsLimit is how long after its start the last instance of
// TestCrashLoopAtDefaultsRealKafka may take to publish for every
// partition.
const crashLoopDefaultsLimit = 15 * time.Second

// membershipSetup is the setup of the tests of this file: partitions on
// a cluster of brokers, the production group timing and shutdown
// deadline, a short roll, several tenants.
func membershipSetup(partitions int32, brokers int) setup {
	return setup{
		partitions:     partitions,
		maxFileRecords: 1000,
		maxFileAge:     time.Second,
		shutdown:       config.Default().Shutdown.Deadline,
		kafka:          kafkaSetup{cluster: &kafkacluster.Config{Brokers: brokers}, timing: productionTiming()},
		tenancy:        true,
	}
}

// hostEnv is the environment of the daemons of one test that run with
// landerd's default kafka.instance_id, which takes a per-host slot with a
// lock file: one TMPDIR of the test's own, shared by its daemons, so that
// landerd processes of other tests on this host cannot take a slot in
// between should the lock file live there.
func hostEnv(t *testing.T) []string {
	return []string{"TMPDIR=" + t.TempDir()}
}

// TestCrashLoopAtDefaultsRealKafka is TestCrashLoopRecoversRealKafka with
// no kafka.instance_id set: 5 SIGKILLs within 10 s over a backlog of
// 50,000 attempts on 4 partitions, the production group timing. landerd
// then derives its static member id from the host name and the lowest
// free per-host slot; a killed process's lock is gone with it, so each
// restart takes slot 0 again, the same id, and replaces its dead former
// self in the group at once. The sixth instance must publish a flush of
// every partition within 15 s of its start (not the session timeout +
// 15 s: nothing may wait for a dead member's session to expire), and the
// lake must hold every record exactly once.
func TestCrashLoopAtDefaultsRealKafka(t *testing.T) {
	crashLoopRealKafka(t, hostEnv(t), crashLoopDefaultsLimit, "the default kafka.instance_id: no session to wait out")
}

// TestRollingRestartRealKafka replaces 3 replicas one at a time, as a
// Kubernetes rolling update with one surge pod does, on a cluster of 3
// brokers with a topic of 12 partitions while a producer writes about
// 500 attempts a second. Every replica has an explicit kafka.instance_id
// naming its pod, pod-<n>-<generation>; for n = 0, 1, 2 the test starts
// pod-n-1, waits for its first "partition assigned", sends SIGTERM to
// pod-n-0 and waits for it to exit 0 (after its last flush and commit it
// leaves the group, naming its instance id). No partition may be without
// an owner for more than 5 s, and the lake must hold every record exactly
// once.
//
// How the time without owner is measured: from every daemon's JSON log,
// a process owns a partition from its "partition assigned" line (fields
// topic, partition, ts) to its next "partition released" line for that
// partition (or "final flush failed…" or "partition stopped…"), or to the
// end of the process when it logged none of them (the test's clock when
// the process's exit is seen). A partition is without owner while no
// process owns it: such a stretch starts when the last owner released it
// or ended and ends at the next "partition assigned" of it by any
// replica. It is measured within a window that opens once every
// partition is owned and every first-generation replica owns some (after
// the start-up rebalances) and closes once the second generation owns
// every partition and has landed everything produced, before it is
// stopped. The figures are logged per partition (the longest stretch and
// the number of stretches) and overall.
func TestRollingRestartRealKafka(t *testing.T) {
	seed := testSeed(t)
	const replicas = 3
	s := membershipSetup(12, 3)
	h := newHarness(t, s, seed)
	ctx := t.Context()
	backlog, total := 6000, 24000
	if testing.Short() {
		backlog, total = 3000, 15000
	}
	if err := h.produce(ctx, backlog); err != nil {
		t.Fatal(err)
	}
	// 100 records every 200 ms: 36 s of producing at full size, longer
	// than the restarts take; finish sends what is left at once.
	prod := h.startProducer(ctx, total-backlog, 100, 200*time.Millisecond)

	pod := func(n, gen int) *daemon {
		id := fmt.Sprintf("pod-%d-%d", n, gen)
		return startDaemon(t, h, id, instanceIDEnv+"="+id)
	}
	var old, current []*daemon
	for n := range replicas {
		old = append(old, pod(n, 0))
	}
	for _, d := range old {
		d.waitAssigned(t, 2*time.Minute)
	}
	all := slices.Clone(old)
	begin := h.waitOwned(all, old, 2*time.Minute)
	t.Logf("every partition owned, by %d replicas", len(old))

	var steps []string
	at := func() string { return time.Since(begin).Round(10 * time.Millisecond).String() }
	for n := range replicas {
		next := pod(n, 1)
		all = append(all, next)
		current = append(current, next)
		steps = append(steps, fmt.Sprintf("%s started at %s", next.name, at()))
		next.waitAssigned(t, 2*time.Minute)
		steps = append(steps, fmt.Sprintf("assigned at %s", at()))
		code, took := old[n].stop(t, s.shutdown+2*time.Second)
		if code != 0 {
			t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)\n%s", old[n].name, code, old[n].exitError(), old[n].tail(20))
		}
		steps = append(steps, fmt.Sprintf("%s exited 0 at %s, %s after SIGTERM", old[n].name, at(), took.Round(10*time.Millisecond)))
	}
	t.Logf("rolling restart: %s", strings.Join(steps, "; "))
	h.waitOwned(all, current, 2*time.Minute)
	prod.finish(t)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, current...)
	end := time.Now()
	for _, d := range current {
		if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
			t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", d.name, code, d.exitError())
		}
	}

	h.checkOwnerGaps(all, begin, end)
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
	logRecovery(t, all)
}

// TestScaleDownRealKafka scales 3 replicas down to 1 while a producer
// writes about 750 attempts a second, with the default kafka.instance_id
// (each replica derives its own from the host and its slot): SIGTERM
// reaches two of them at once, as when a Deployment's replica count
// drops, and both must exit 0 after their last flush and commit, leaving
// the group so that the third takes over their partitions in one
// rebalance instead of after the 30 s session timeout. No partition of
// the 12 may be without an owner for more than 5 s (measured as in
// TestRollingRestartRealKafka, from when all three replicas own
// partitions until the survivor owns all and has landed everything), and
// the lake must hold every record exactly once. One broker.
func TestScaleDownRealKafka(t *testing.T) {
	seed := testSeed(t)
	s := membershipSetup(12, 1)
	h := newHarness(t, s, seed)
	ctx := t.Context()
	backlog, total := 6000, 20000
	if testing.Short() {
		backlog, total = 3000, 10000
	}
	if err := h.produce(ctx, backlog); err != nil {
		t.Fatal(err)
	}
	prod := h.startProducer(ctx, total-backlog, 150, 200*time.Millisecond)
	env := hostEnv(t)
	a := startDaemon(t, h, "landerd-a", env...)
	b := startDaemon(t, h, "landerd-b", env...)
	c := startDaemon(t, h, "landerd-c", env...)
	all := []*daemon{a, b, c}
	for _, d := range all {
		d.waitAssigned(t, 2*time.Minute)
	}
	begin := h.waitOwned(all, all, 2*time.Minute)
	t.Logf("every partition owned, by %d replicas", len(all))

	for _, r := range stopAll(t, s.shutdown+2*time.Second, a, b) {
		if r.code != 0 {
			t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)\n%s", r.d.name, r.code, r.d.exitError(), r.d.tail(20))
		}
		t.Logf("%s: exited 0 %s after SIGTERM", r.d.name, r.took.Round(10*time.Millisecond))
	}
	owned := h.waitOwned(all, []*daemon{c}, 2*time.Minute)
	t.Logf("%s owns all %d partitions %s after the SIGTERMs", c.name, s.partitions, owned.Sub(begin).Round(10*time.Millisecond))
	prod.finish(t)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, c)
	end := time.Now()
	if code, _ := c.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", c.name, code, c.exitError())
	}

	h.checkOwnerGaps(all, begin, end)
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
	logRecovery(t, all)
}

// twoReplicasHold is how long TestTwoReplicasOneHostRealKafka watches
// the two replicas after their first assignment.
const twoReplicasHold = 2 * time.Minute

// TestTwoReplicasOneHostRealKafka starts two replicas on this host with
// the default kafka.instance_id, as two processes on one machine would
// be: they must get different ids (slots 0 and 1), not fence each other. Once each owns partitions of the 6, both
// are watched for 2 minutes while a producer writes about 120 attempts a
// second: neither may exit; neither may log "partition released" or
// another "partition assigned" (the count of assignments of each stays
// what it was after the initial assignment, so no rebalance happened), a
// warning or an error, or any line mentioning fencing (FENCED_INSTANCE_ID
// or the lake's "partition ownership lost to a newer owner"); and each
// must publish flushes during the last half of the 2 minutes (files roll
// after 5 s here). Then both stop with SIGTERM, exit 0, and the lake must
// hold every record exactly once. One broker.
func TestTwoReplicasOneHostRealKafka(t *testing.T) {
	seed := testSeed(t)
	s := membershipSetup(6, 1)
	// Files of up to 5 s: still a flush every few seconds, and a fifth of
	// the files over the 2 minutes for the lake check to read.
	s.maxFileAge = 5 * time.Second
	h := newHarness(t, s, seed)
	ctx := t.Context()
	backlog, total := 2000, 16000
	if testing.Short() {
		backlog, total = 1000, 8000
	}
	if err := h.produce(ctx, backlog); err != nil {
		t.Fatal(err)
	}
	// 60 records every 500 ms: about 2 minutes of producing at full size.
	prod := h.startProducer(ctx, total-backlog, 60, 500*time.Millisecond)
	env := hostEnv(t)
	a := startDaemon(t, h, "landerd-a", env...)
	b := startDaemon(t, h, "landerd-b", env...)
	both := []*daemon{a, b}
	for _, d := range both {
		d.waitAssigned(t, 2*time.Minute)
	}
	begin := h.waitOwned(both, both, 2*time.Minute)
	type mark struct{ lines, assigned int }
	marks := map[*daemon]mark{}
	for _, d := range both {
		marks[d] = mark{d.lineCount(), len(d.logs(isMsg(msgPartitionAssign)))}
	}
	owners := h.openTenures(both)
	t.Logf("every partition owned: %v; partition assigned lines: %s %d, %s %d",
		owners, a.name, marks[a].assigned, b.name, marks[b].assigned)

	// Watch: a replica that exits (fenced, or for any other reason) ends
	// the test at once.
	half := begin.Add(twoReplicasHold / 2)
	halfLines := map[*daemon]int{}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for ; time.Since(begin) < twoReplicasHold; <-tick.C {
		for _, d := range both {
			if d.exited() {
				t.Fatalf("%s exited %s after both owned partitions: %v\n%s", d.name, time.Since(begin).Round(time.Second), d.exitError(), d.tail(20))
			}
			if _, ok := halfLines[d]; !ok && time.Now().After(half) {
				halfLines[d] = d.lineCount()
			}
		}
	}

	for _, d := range both {
		m := marks[d]
		if n := len(d.logs(isMsg(msgPartitionAssign))); n != m.assigned {
			t.Errorf("%s: %d partition assigned lines after %s, %d after the initial assignment: the group rebalanced", d.name, n, twoReplicasHold, m.assigned)
		}
		var late []string
		published := 0
		for i, l := range d.logs(func(logLine) bool { return true }) {
			if mentionsFencing(l.raw) {
				late = append(late, l.raw)
			}
			if i < m.lines {
				continue
			}
			if l.Msg == msgPartitionRelease || isProblem(l) {
				late = append(late, l.raw)
			}
			if l.Msg == msgFlushPublished && i >= halfLines[d] {
				published++
			}
		}
		if len(late) > 0 {
			t.Errorf("%s logged, while both owned partitions:\n%s", d.name, strings.Join(late[:min(len(late), 10)], "\n"))
		}
		if published == 0 {
			t.Errorf("%s published no flush in the last %s of the %s", d.name, twoReplicasHold/2, twoReplicasHold)
		}
		t.Logf("%s: %d partition assigned lines (%d after the initial assignment), %d flushes published in the last %s",
			d.name, len(d.logs(isMsg(msgPartitionAssign))), len(d.logs(isMsg(msgPartitionAssign)))-m.assigned, published, twoReplicasHold/2)
	}
	if after := h.openTenures(both); !maps.Equal(after, owners) {
		t.Errorf("the partitions changed owners: %v after %s, %v before", after, twoReplicasHold, owners)
	}

	prod.finish(t)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, a, b)
	for _, r := range stopAll(t, s.shutdown+2*time.Second, a, b) {
		if r.code != 0 {
			t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)\n%s", r.d.name, r.code, r.d.exitError(), r.d.tail(20))
		}
	}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
}

// mentionsFencing reports whether a raw log line speaks of a fenced
// member or owner: the group's FENCED_INSTANCE_ID, however landerd words
// it, or the lake's sink.ErrFenced.
func mentionsFencing(raw string) bool {
	low := strings.ToLower(raw)
	return strings.Contains(low, "fenced") || strings.Contains(low, "group.instance.id") ||
		strings.Contains(raw, sink.ErrFenced.Error())
}

// stopped is what stopAll saw of one daemon.
type stopped struct {
	d    *daemon
	code int
	took time.Duration
}

// stopAll sends SIGTERM to every daemon at once and waits up to limit for
// each to exit.
func stopAll(t *testing.T, limit time.Duration, ds ...*daemon) []stopped {
	t.Helper()
	start := time.Now()
	for _, d := range ds {
		d.signal(t, syscall.SIGTERM)
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	out := make([]stopped, 0, len(ds))
	for _, d := range ds {
		select {
		case <-d.done:
		case <-timer.C:
			t.Fatalf("%s: still running %s after SIGTERM\n%s", d.name, limit, d.tail(20))
		}
		out = append(out, stopped{d: d, code: d.cmd.ProcessState.ExitCode(), took: d.endTime().Sub(start)})
	}
	return out
}
