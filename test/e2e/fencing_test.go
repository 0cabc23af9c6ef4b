package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/test/system/kafkacluster"
)

// msgFenced is what a fenced member logs for each partition it held.
const msgFenced = "fenced by another member with the same instance id; unpublished records abandoned"

// TestFencedInstanceExitsRealKafka: a second process joins the group under
// the instance id a running one holds (one kafka.instance_id configured
// twice). The coordinator fences the first (FENCED_INSTANCE_ID): it must
// exit 1 with an error naming the id and what to change, publish no flush
// after it was told, and the second must land the whole topic, exactly
// once. The production group timing: the fenced member learns of it at
// its next heartbeat (3 s).
func TestFencedInstanceExitsRealKafka(t *testing.T) {
	s := setup{
		partitions:     4,
		maxFileRecords: 1000,
		maxFileAge:     time.Second,
		shutdown:       10 * time.Second,
		kafka:          kafkaSetup{cluster: &kafkacluster.Config{}, timing: productionTiming()},
	}
	h := newHarness(t, s, testSeed(t))
	ctx := t.Context()
	const id = instanceIDEnv + "=landerd-twice"
	if err := h.produce(ctx, 4000); err != nil {
		t.Fatal(err)
	}
	first := startDaemon(t, h, "landerd-first", id)
	first.waitAssigned(t, time.Minute)
	prod := h.startProducer(ctx, 20000, 500, 200*time.Millisecond)
	second := startDaemon(t, h, "landerd-second", id)

	select {
	case <-first.done:
	case <-time.After(time.Minute):
		t.Fatalf("%s still runs a minute after another process joined under its instance id\n%s", first.name, first.tail(20))
	}
	if code := first.cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("%s exited with code %d (%v); want 1", first.name, code, first.exitError())
	}
	// Each partition's goroutine learns of the fence on its own, when it
	// next looks at the session; a flush of another partition may still be
	// finishing then. So the rule is per partition: once a partition has
	// logged that it was fenced, it publishes nothing more. (A partition
	// may also learn it first from the lake: its publish is refused as the
	// second's claim took a newer epoch, and the session ends in the fence.)
	lines := first.logs(func(logLine) bool { return true })
	fenced := map[int32]bool{}
	final := first.logs(func(l logLine) bool { return strings.HasPrefix(l.raw, "landerd: ") })
	if len(final) != 1 || !strings.Contains(final[0].raw, `fenced by another member with the same kafka.instance_id "landerd-twice"`) ||
		!strings.Contains(final[0].raw, "LANDERD_KAFKA_INSTANCE_ID") {
		t.Fatalf("%s's final error does not name the id and what to change: %v\n%s", first.name, final, first.tail(10))
	}
	for _, l := range lines {
		if l.Partition == nil {
			continue
		}
		switch l.Msg {
		case msgFenced:
			fenced[*l.Partition] = true
		case msgFlushPublished:
			if fenced[*l.Partition] {
				t.Fatalf("%s published a flush of partition %d after it was fenced: %s", first.name, *l.Partition, l.raw)
			}
		}
	}
	prod.finish(t)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, second)
	if code, _ := second.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", second.name, code, second.exitError())
	}
	t.Logf("%s exited 1 when fenced: %s", first.name, final[0].raw)
	t.Logf("lake: %s", h.checkExactlyOnce(context.Background()))
}
