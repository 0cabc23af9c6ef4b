package e2e

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestGracefulShutdown stops the daemon with SIGTERM while it lands a
// growing topic, several times. Each time it must exit with code 0 within
// shutdown.deadline plus a small margin, having published what it had
// buffered and committed exactly the offsets the lake holds, with no
// temporary file left. A last run lands the rest, and the lake must hold
// every record exactly once.
func TestGracefulShutdown(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 4))
	rounds, total := 3, 30000
	if testing.Short() {
		rounds, total = 1, 6000
	}
	const margin = 2 * time.Second
	s := setup{partitions: 4, maxFileRecords: 2000, maxFileAge: 2 * time.Second, shutdown: 5 * time.Second}
	h := newHarness(t, s, seed)
	ctx := t.Context()
	if err := h.produce(ctx, total/3); err != nil {
		t.Fatal(err)
	}
	prod := h.startProducer(ctx, total-total/3, 250, 100*time.Millisecond)

	for round := range rounds {
		d := startDaemon(t, h, "landerd-"+string(rune('a'+round)))
		// Quarantined records are logged with their offsets (sampled):
		// they show what the daemon has consumed.
		if _, ok := d.waitLog(0, 60*time.Second, isMsg(msgQuarantined)); !ok {
			t.Fatalf("%s consumed nothing within a minute", d.name)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(1500 * time.Millisecond))))
		code, took := d.stop(t, s.shutdown+margin)
		if code != 0 {
			t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)\n%s", d.name, code, d.exitError(), d.tail(20))
		}
		if took > s.shutdown+margin {
			t.Errorf("%s: took %s to exit, want at most shutdown.deadline %s + %s", d.name, took, s.shutdown, margin)
		}
		if problems := d.logs(isProblem); len(problems) > 0 {
			t.Errorf("%s: %d warnings or errors, first: %s", d.name, len(problems), problems[0].raw)
		}

		// Published with offsets committed: the group's offsets are where
		// the lake ends, and nothing is half-written.
		landed, err := h.landed()
		if err != nil {
			t.Fatal(err)
		}
		committed := h.committed(ctx)
		for p := range s.partitions {
			if committed[p] != landed[p] {
				t.Errorf("after %s's graceful stop, partition %d: committed offset %d, lake holds up to %d", d.name, p, committed[p], landed[p])
			}
		}
		// Everything consumed before SIGTERM is published.
		for _, q := range d.logs(isMsg(msgQuarantined)) {
			if q.Partition == nil || q.Offset >= landed[*q.Partition] {
				t.Errorf("%s consumed %s before stopping, but the lake holds only %v", d.name, q.raw, landed)
			}
		}
		if left, err := h.leftovers(h.lake()); err != nil || len(left) > 0 {
			t.Errorf("after %s's graceful stop, temporary files remain: %v (%v)", d.name, left, err)
		}
		t.Logf("round %d: %s landed up to %v, committed %v", round, d.name, landed, committed)
	}

	d := startDaemon(t, h, "landerd-final")
	d.waitAssigned(t, time.Minute)
	prod.wait(t)
	h.waitLanded(h.endOffsets(ctx), 2*time.Minute, d)
	if code, _ := d.stop(t, s.shutdown+margin); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0", d.name, code)
	}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
}
