package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// killMoment says when a crash test kills the daemon.
type killMoment int

const (
	// killAtRandom kills after a random delay from the first assignment.
	killAtRandom killMoment = iota
	// killAfterFlush kills right after a "flush published" log line: the
	// other partitions are then often between their commit point, their
	// renames and the Kafka commit.
	killAfterFlush
	// killAfterAssign kills right after a partition is claimed, while the
	// daemon recovers and starts reading.
	killAfterAssign
	// killDuringShutdown sends SIGTERM and kills a few milliseconds later,
	// while the daemon publishes its final flushes.
	killDuringShutdown
)

func (k killMoment) String() string {
	return [...]string{"at random", "after a flush", "after an assignment", "during shutdown"}[k]
}

// TestSIGKILLExactlyOnce kills the daemon with SIGKILL at random moments
// and right after it publishes, restarts it each time while records keep
// arriving, then lets it land everything and checks the lake holds every
// record exactly once.
func TestSIGKILLExactlyOnce(t *testing.T) {
	total := 50000
	kills := []killMoment{killAtRandom, killAfterFlush, killAfterAssign, killAtRandom, killAfterFlush, killDuringShutdown, killAtRandom}
	if testing.Short() {
		total = 8000
		kills = []killMoment{killAtRandom, killAfterFlush, killAfterAssign}
	}
	sigkillExactlyOnce(t, lakeLocal, total, kills)
}

// TestSIGKILLExactlyOnceHDFS is TestSIGKILLExactlyOnce, smaller, with the
// lake on the HDFS test cluster.
func TestSIGKILLExactlyOnceHDFS(t *testing.T) {
	total := 20000
	kills := []killMoment{killAtRandom, killAfterFlush, killAfterAssign, killDuringShutdown, killAfterFlush}
	if testing.Short() {
		total = 8000
		kills = []killMoment{killAtRandom, killAfterFlush, killAfterAssign}
	}
	sigkillExactlyOnce(t, lakeHDFS, total, kills)
}

// sigkillExactlyOnce produces total records to a lake on backend while it
// kills and restarts the daemon at each of the moments in turn, then lets
// a last daemon land everything and checks the lake.
func sigkillExactlyOnce(t *testing.T, backend lakeBackend, total int, kills []killMoment) {
	sigkillExactlyOnceOn(t, kafkaSetup{}, backend, total, kills)
}

// sigkillExactlyOnceOn is sigkillExactlyOnce against the Kafka of ks. It
// lands several tenants.
func sigkillExactlyOnceOn(t *testing.T, ks kafkaSetup, backend lakeBackend, total int, kills []killMoment) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	s := setup{partitions: 4, maxFileRecords: 1000, maxFileAge: time.Second, shutdown: 10 * time.Second, backend: backend, kafka: ks, tenancy: true}
	h := newHarness(t, s, seed)
	ctx := t.Context()
	// A backlog, then a steady stream while the daemon is killed and
	// restarted, then whatever is left at once.
	if err := h.produce(ctx, total/10); err != nil {
		t.Fatal(err)
	}
	// The stream lasts about 36 s whatever the total (250 records a chunk
	// for 50,000), so that a kill after a flush always has records to
	// flush. On real Kafka a restarted daemon joins only once its killed
	// predecessor's session has expired: the stream lasts as long as the
	// kills are expected to take.
	stream := 36 * time.Second
	if ks.cluster != nil {
		stream = time.Duration(len(kills)) * (ks.timing.orShort().session + 8*time.Second)
	}
	chunks := int(stream / (200 * time.Millisecond))
	prod := h.startProducer(ctx, total-total/10, max(1, (total-total/10)/chunks), 200*time.Millisecond)

	var daemons []*daemon
	for i, moment := range kills {
		d := startDaemon(t, h, fmt.Sprintf("landerd-%d", i))
		daemons = append(daemons, d)
		killAt(t, d, moment, rng, s.partitions)
		h.checkAfterKill(ctx, i, moment, d)
	}

	d := startDaemon(t, h, "landerd-final")
	daemons = append(daemons, d)
	d.waitAssigned(t, time.Minute)
	prod.finish(t)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, d)
	if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", d.name, code, d.exitError())
	}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
	logRecovery(t, daemons)
}

// killAt waits for the next moment of d's life, drawing the moment's
// random choices from rng, and SIGKILLs d unless it has exited meanwhile
// (killDuringShutdown sends SIGTERM first). The flushes killAfterFlush
// counts are those logged from the call on.
func killAt(t *testing.T, d *daemon, moment killMoment, rng *rand.Rand, partitions int32) {
	t.Helper()
	switch moment {
	case killAtRandom:
		d.waitAssigned(t, time.Minute)
		time.Sleep(time.Duration(rng.Int64N(int64(3 * time.Second))))
	case killAfterFlush:
		// The partitions tend to flush together; stop after the first,
		// second or third flush of such a round, while the others are
		// still publishing, in the first or second round.
		from := d.lineCount()
		for range 1 + rng.IntN(3) + int(partitions)*rng.IntN(2) {
			next, ok := d.waitLog(from, time.Minute, isMsg(msgFlushPublished))
			if !ok {
				t.Fatalf("%s published nothing within a minute (exited: %v)\n%s", d.name, d.exited(), d.tail(20))
			}
			from = next
		}
	case killAfterAssign:
		d.waitAssigned(t, time.Minute)
	case killDuringShutdown:
		if _, ok := d.waitLog(0, time.Minute, isMsg(msgFlushPublished)); !ok {
			t.Fatalf("%s published nothing within a minute (exited: %v)\n%s", d.name, d.exited(), d.tail(20))
		}
		time.Sleep(time.Duration(rng.Int64N(int64(time.Second))))
		d.signal(t, syscall.SIGTERM)
		time.Sleep(time.Duration(rng.Int64N(int64(50 * time.Millisecond))))
	}
	if !d.exited() {
		d.kill(t)
	}
}

// checkAfterKill fails the test when, after kill i of d (at moment), the
// group's committed offset of a partition is ahead of the lake, and logs
// the partitions whose lake is ahead of it: the kill fell between a
// publish and its Kafka commit.
func (h *harness) checkAfterKill(ctx context.Context, i int, moment killMoment, d *daemon) {
	h.t.Helper()
	landed, err := h.landed()
	if err != nil {
		h.t.Fatal(err)
	}
	committed := h.committed(ctx)
	var ahead []int32
	for p := range h.setup.partitions {
		if landed[p] > max(committed[p], 0) {
			ahead = append(ahead, p)
		}
		if committed[p] > landed[p] {
			h.t.Errorf("after kill %d, partition %d: committed offset %d is ahead of the lake (%d)", i, p, committed[p], landed[p])
		}
	}
	h.t.Logf("kill %d (%s): %s had published %d flushes; lake ahead of the committed offset in partitions %v",
		i, moment, d.name, len(d.logs(isMsg(msgFlushPublished))), ahead)
}

// logRecovery reports what the daemons' claims repaired after the crashes:
// flushes rolled forward (a crash between commit point and renames) and
// orphaned temporary files removed.
func logRecovery(t *testing.T, daemons []*daemon) {
	t.Helper()
	var rolled, orphans, claims int
	for _, d := range daemons {
		for _, l := range d.logs(isMsg(msgPartitionAssign)) {
			claims++
			rolled += l.RolledForward
			orphans += l.OrphansRemoved
		}
	}
	t.Logf("recovery: %d claims, %d files rolled forward, %d orphaned temporary files removed", claims, rolled, orphans)
}
