package e2e

import (
	"context"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"
)

// errFencedText is the message of sink.ErrFenced, which the daemon logs
// when a newer owner has taken a partition from it.
const errFencedText = "partition ownership lost to a newer owner"

// TestStalledMemberIsFenced freezes one of two daemons (SIGSTOP) for
// longer than the session timeout while it lands, so the group hands its
// partitions to the other, then lets it run again (SIGCONT) with its
// buffered records and open files. The stale owner must publish nothing
// for the partitions it lost: the lake must hold every record exactly once.
func TestStalledMemberIsFenced(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 5))
	total := 30000
	if testing.Short() {
		total = 10000
	}
	s := setup{partitions: 4, maxFileRecords: 1000, maxFileAge: time.Second, shutdown: 10 * time.Second}
	h := newHarness(t, s, seed)
	ctx := t.Context()
	if err := h.produce(ctx, total/10); err != nil {
		t.Fatal(err)
	}
	prod := h.startProducer(ctx, total-total/10, 300, 200*time.Millisecond)

	a := startDaemon(t, h, "landerd-a")
	b := startDaemon(t, h, "landerd-b")
	// Stall a while it lands alongside b: after b's first flush and one of
	// a's own after that, with records buffered again.
	if _, ok := b.waitLog(0, time.Minute, isMsg(msgFlushPublished)); !ok {
		t.Fatalf("%s published nothing within a minute", b.name)
	}
	if _, ok := a.waitLog(a.lineCount(), time.Minute, isMsg(msgFlushPublished)); !ok {
		t.Fatalf("%s published nothing alongside %s within a minute", a.name, b.name)
	}
	time.Sleep(time.Duration(rng.Int64N(int64(700 * time.Millisecond))))
	a.signal(t, syscall.SIGSTOP)
	from := b.lineCount()
	// b takes over every partition once a is evicted.
	for range s.partitions {
		next, ok := b.waitLog(from, 2*sessionTimeout+rebalanceTimeout, isMsg(msgPartitionAssign))
		if !ok {
			t.Fatalf("%s was not given the stalled member's partitions", b.name)
		}
		from = next
	}
	if _, ok := b.waitLog(from, time.Minute, isMsg(msgFlushPublished)); !ok {
		t.Fatalf("%s published nothing after taking over", b.name)
	}
	stalledAt := a.lineCount()
	a.signal(t, syscall.SIGCONT)
	t.Logf("%s resumed", a.name)

	prod.finish(t)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, a, b)
	for _, d := range []*daemon{a, b} {
		if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
			t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", d.name, code, d.exitError())
		}
	}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)

	var fenced int
	for _, l := range a.logs(isProblem) {
		if strings.Contains(l.Error, errFencedText) {
			fenced++
		}
	}
	t.Logf("%s logged %d fenced flushes after it resumed; %d log lines before the stall", a.name, fenced, stalledAt)
	logRecovery(t, []*daemon{a, b})
}
