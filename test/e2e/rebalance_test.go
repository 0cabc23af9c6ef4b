package e2e

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRebalanceUnderLoad lands one topic with several daemons of one
// consumer group while records keep arriving; members join, leave with
// SIGTERM and die with SIGKILL during the landing, so partitions move
// between processes while they land. Afterwards the lake must hold every
// record exactly once.
func TestRebalanceUnderLoad(t *testing.T) {
	total := 40000
	if testing.Short() {
		total = 10000
	}
	rebalanceUnderLoad(t, lakeLocal, total)
}

// TestRebalanceUnderLoadHDFS is the same with the lake on the HDFS test
// cluster.
func TestRebalanceUnderLoadHDFS(t *testing.T) {
	total := 15000
	if testing.Short() {
		total = 6000
	}
	rebalanceUnderLoad(t, lakeHDFS, total)
}

// rebalanceUnderLoad runs the rebalance scenario with total records on a
// lake on backend.
func rebalanceUnderLoad(t *testing.T, backend lakeBackend, total int) {
	rebalanceUnderLoadOn(t, kafkaSetup{}, backend, total)
}

// rebalanceUnderLoadOn is rebalanceUnderLoad against the Kafka of ks,
// with tenancy.
func rebalanceUnderLoadOn(t *testing.T, ks kafkaSetup, backend lakeBackend, total int) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	s := setup{partitions: 6, maxFileRecords: 1000, maxFileAge: time.Second, shutdown: 10 * time.Second, backend: backend, kafka: ks, tenancy: true}
	h := newHarness(t, s, seed)
	ctx := t.Context()
	if err := h.produce(ctx, total/10); err != nil {
		t.Fatal(err)
	}
	prod := h.startSteadyProducer(ctx, total-total/10, 300, 200*time.Millisecond)
	pause := func() { time.Sleep(500*time.Millisecond + time.Duration(rng.Int64N(int64(2*time.Second)))) }
	stopOK := func(d *daemon) {
		t.Helper()
		if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
			t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)\n%s", d.name, code, d.exitError(), d.tail(20))
		}
	}

	a := startDaemon(t, h, "landerd-a")
	b := startDaemon(t, h, "landerd-b")
	a.waitAssigned(t, time.Minute)
	b.waitAssigned(t, time.Minute)
	pause()

	c := startDaemon(t, h, "landerd-c") // joins: three members
	c.waitAssigned(t, time.Minute)
	pause()

	stopOK(a) // leaves cleanly: two members
	pause()

	d := startDaemon(t, h, "landerd-d") // joins: three members
	d.waitAssigned(t, time.Minute)
	pause()

	b.kill(t) // dies: evicted after the session timeout
	pause()

	prod.finish(t)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, c, d)
	stopOK(c)
	stopOK(d)
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)

	// The partitions did move: count the processes that published each.
	daemons := []*daemon{a, b, c, d}
	moved := 0
	for p := range s.partitions {
		var publishers []string
		for _, dm := range daemons {
			for _, l := range dm.logs(isMsg(msgFlushPublished)) {
				if l.Partition != nil && *l.Partition == p {
					publishers = append(publishers, dm.name)
					break
				}
			}
		}
		if len(publishers) > 1 {
			moved++
		}
		t.Logf("partition %d published by %v", p, publishers)
	}
	if moved == 0 {
		t.Errorf("no partition was published by more than one process: the test did not rebalance under load")
	}
	logRecovery(t, daemons)
}
