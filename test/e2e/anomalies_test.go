package e2e

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
	"github.com/landerd/landerd/test/system/kafkacluster"
)

// The log lines of the Kafka-side anomalies.
const (
	msgRetentionGap     = "retention gap: kafka deleted records before they were landed; recorded in the lake"
	msgPartitionRefused = "partition refused: not landed until an operator acts (docs/operations.md)"
)

// retentionTopic is a topic whose retention deletes old records within
// seconds: 1 MiB segments (Kafka's smallest) and 4 MiB kept per partition.
var retentionTopic = map[string]string{"segment.bytes": "1048576", "retention.bytes": "4194304"}

// retentionBroker checks retention every second instead of every 5
// minutes (log.retention.check.interval.ms), so that a test sees it act;
// what it deletes is as in production.
var retentionBroker = map[string]string{"log.retention.check.interval.ms": "1000", "log.segment.delete.delay.ms": "0"}

// TestRetentionGapRealKafka: landerd lands 2,000 records and stops;
// 40,000 more arrive and retention deletes the oldest segments, past the
// lake's next offsets. A restart with kafka.on_retention_gap: stop records
// each partition's gap in the lake, lands nothing of it, logs an error
// naming the lost offsets and reports not ready; a restart at the default
// (continue) resumes each partition at its log start and lands the rest.
// The lake then holds every offset that Kafka still had exactly once, and
// its state records as lost exactly the offsets it does not hold: from the
// lake's next offset to the log start, per partition.
func TestRetentionGapRealKafka(t *testing.T) {
	s := setup{
		partitions:     4,
		maxFileRecords: 5000,
		maxFileAge:     time.Second,
		shutdown:       10 * time.Second,
		kafka: kafkaSetup{
			cluster:      &kafkacluster.Config{Properties: retentionBroker},
			timing:       realShortTiming,
			topicConfigs: retentionTopic,
		},
	}
	h := newHarness(t, s, testSeed(t))
	h.allowGaps = true
	ctx := t.Context()
	k := h.broker.(realKafka)

	landAndStop(t, h, 2000)
	before, err := h.landed()
	if err != nil {
		t.Fatal(err)
	}

	// 40,000 more while nothing lands: retention deletes past the lake.
	for range 8 {
		if err := h.produce(ctx, 5000); err != nil {
			t.Fatal(err)
		}
	}
	starts := waitStartOffsets(t, k, func(starts map[int32]int64) bool {
		for p, next := range before {
			if starts[p] <= next {
				return false
			}
		}
		return true
	})
	t.Logf("lake next offsets %v; log start offsets after retention %v; end offsets %v", before, starts, h.endOffsets(ctx))

	// kafka.on_retention_gap: stop.
	metricsAddr := freeAddr(t)
	stopped := startDaemon(t, h, "landerd-stop", "LANDERD_KAFKA_ON_RETENTION_GAP=stop", "LANDERD_METRICS_ADDR="+metricsAddr)
	for p := range s.partitions {
		waitLogLine(t, stopped, time.Minute, func(l logLine) bool { return l.Msg == msgPartitionRefused && l.Partition != nil && *l.Partition == p })
	}
	// The refusals are logged while the session is set up, and /readyz
	// names them once the setup has ended: until then it says the daemon
	// is not yet a member. It must never say ready.
	var body string
	waitFor(t, 10*time.Second, "/readyz naming the retention gap", func() bool {
		var code int
		code, body = httpGet(t, "http://"+metricsAddr+"/readyz")
		if code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz with stopped partitions: %d %q; want 503 naming the retention gap", code, body)
		}
		return strings.Contains(body, "retention deleted records before they were landed")
	})
	_, metricsText := httpGet(t, "http://"+metricsAddr+"/metrics")
	for _, want := range []string{
		fmt.Sprintf(`landerd_group_refused_partitions{reason="retention_gap",topic=%q} %d`, h.topic, s.partitions),
		fmt.Sprintf(`landerd_lake_gaps_total{topic=%q} %d`, h.topic, s.partitions),
	} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("metrics of the stopped daemon lack %s", want)
		}
	}
	var lostWant int64
	for p, next := range before {
		lostWant += starts[p] - next
	}
	if want := fmt.Sprintf(`landerd_lake_lost_offsets_total{topic=%q} %d`, h.topic, lostWant); !strings.Contains(metricsText, want) {
		t.Errorf("metrics of the stopped daemon lack %s", want)
	}
	if code, _ := stopped.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0", stopped.name, code)
	}
	if after, err := h.landed(); err != nil || !maps.Equal(after, before) {
		t.Fatalf("a stopped partition landed something: next offsets %v, before %v (%v)", after, before, err)
	}
	checkGaps(t, h, before, starts, false)

	// The default, continue: the gap is skipped, the rest lands.
	last := startDaemon(t, h, "landerd-1")
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, last)
	for p := range s.partitions {
		gap := last.logs(func(l logLine) bool { return l.Msg == msgRetentionGap && l.Partition != nil && *l.Partition == p })
		if len(gap) == 0 {
			t.Errorf("%s logged no %q for partition %d", last.name, msgRetentionGap, p)
		} else if l := gap[0]; l.Level != "error" {
			t.Errorf("partition %d: the gap was logged at level %q, want error", p, l.Level)
		}
	}
	if code, _ := last.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0", last.name, code)
	}
	checkGaps(t, h, before, starts, true)
	sum := h.checkExactlyOnce(context.Background())
	if sum.Lost != int(lostWant) {
		t.Errorf("the lake records %d offsets as lost; retention deleted %d before they landed", sum.Lost, lostWant)
	}
	t.Logf("lake: %s", sum)
	out, err := exec.Command(landerdBin, "report", "--lake", h.lakeURL).CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("lost to Kafka retention before landing: %s offsets in %d gaps", thousands(lostWant), s.partitions)) {
		t.Errorf("landerd report does not state the gaps (%v):\n%s", err, out)
	}
}

// landAndStop produces n records, lands them with one daemon and stops it.
func landAndStop(t *testing.T, h *harness, n int) {
	t.Helper()
	ctx := t.Context()
	if err := h.produce(ctx, n); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, h, "landerd-0")
	h.waitLanded(h.endOffsets(ctx), 2*time.Minute, d)
	if code, _ := d.stop(t, h.setup.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0", d.name, code)
	}
}

// checkGaps requires the lake's state of every partition to record one gap,
// from the lake's next offset before the gap to the log start after it,
// skipped or not.
func checkGaps(t *testing.T, h *harness, next, starts map[int32]int64, skipped bool) {
	t.Helper()
	for p := range h.setup.partitions {
		st, err := sink.ReadState(h.lake(), h.topic, p)
		if err != nil || st == nil {
			t.Fatalf("state of partition %d: %v, %v", p, st, err)
		}
		if len(st.Gaps) != 1 {
			t.Fatalf("partition %d records %d gaps (%+v); want 1", p, len(st.Gaps), st.Gaps)
		}
		g := st.Gaps[0]
		if g.First != next[p] || g.Last != starts[p]-1 || g.Skipped != skipped || g.Reason != sink.GapRetention || g.DetectedAt.IsZero() {
			t.Fatalf("partition %d gap %+v; want offsets %d..%d, skipped %v", p, g, next[p], starts[p]-1, skipped)
		}
	}
}

// TestTopicRecreatedRealKafka: the topic is deleted and created again while
// landerd is stopped, and more records arrive than it had before, so the
// new offsets run past the lake's. landerd refuses every partition (the
// topic id changed): it logs an error naming the topic, the partition and
// both ids, lands nothing, and leaves every file of the lake as it was.
func TestTopicRecreatedRealKafka(t *testing.T) {
	s := setup{
		partitions:     4,
		maxFileRecords: 5000,
		maxFileAge:     time.Second,
		shutdown:       10 * time.Second,
		kafka:          kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming},
	}
	h := newHarness(t, s, testSeed(t))
	ctx := t.Context()
	k := h.broker.(realKafka)
	landAndStop(t, h, 2000)
	h.checkExactlyOnce(ctx)
	files := lakeFiles(t, h.lake())

	if err := k.c.DeleteTopic(ctx, h.topic); err != nil {
		t.Fatal(err)
	}
	if err := k.c.CreateTopic(ctx, kafkacluster.TopicConfig{Name: h.topic, Partitions: s.partitions}); err != nil {
		t.Fatal(err)
	}
	// The new incarnation's records: more than the old one had, so that
	// only its topic id tells it apart. They are not the harness's: the
	// lake must not take them.
	gen := attemptgen.New(attemptgen.Config{Seed: 1})
	recs := make([]*kgo.Record, 4000)
	for i := range recs {
		r := gen.Next()
		recs[i] = &kgo.Record{Key: r.Key, Value: r.Value, Partition: int32(i) % s.partitions}
	}
	if err := k.c.Produce(ctx, h.topic, recs...); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, h, "landerd-1")
	for p := range s.partitions {
		l := waitLogLine(t, d, time.Minute, func(l logLine) bool { return l.Msg == msgPartitionRefused && l.Partition != nil && *l.Partition == p })
		if l.Level != "error" || !strings.Contains(l.raw, "topic_recreated") || !strings.Contains(l.raw, h.topic) || !strings.Contains(l.raw, `"lake_topic_id"`) {
			t.Errorf("partition %d refused with %s", p, l.raw)
		}
	}
	time.Sleep(3 * time.Second) // anything it would land, it would have published by now (max_file_age 1s)
	if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0", d.name, code)
	}
	if got := lakeFiles(t, h.lake()); !maps.Equal(got, files) {
		t.Fatalf("the lake changed after the topic was recreated: %d files before, %d after", len(files), len(got))
	}
	t.Logf("all %d partitions refused; the lake's %d files are unchanged", s.partitions, len(files))
}

// TestPartitionsAddedRealKafka: partitions added to the topic while
// landerd runs are picked up without a restart (within
// kafka.metadata_refresh, 1 minute by default) and landed from their first
// offset, exactly once.
func TestPartitionsAddedRealKafka(t *testing.T) {
	s := setup{
		partitions:     2,
		maxFileRecords: 5000,
		maxFileAge:     time.Second,
		shutdown:       10 * time.Second,
		kafka:          kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming},
	}
	h := newHarness(t, s, testSeed(t))
	ctx := t.Context()
	k := h.broker.(realKafka)
	if err := h.produce(ctx, 2000); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, h, "landerd-0")
	h.waitLanded(h.endOffsets(ctx), 2*time.Minute, d)
	if err := k.c.AddPartitions(ctx, h.topic, 4); err != nil {
		t.Fatal(err)
	}
	added := time.Now()
	h.grow(4)
	if err := h.produce(ctx, 4000); err != nil {
		t.Fatal(err)
	}
	h.waitLanded(h.endOffsets(ctx), 2*time.Minute, d)
	t.Logf("partitions 2 and 3 landed %s after they were added", time.Since(added).Round(100*time.Millisecond))
	for _, p := range []int32{2, 3} {
		l := d.logs(func(l logLine) bool { return l.Msg == msgPartitionAssign && l.Partition != nil && *l.Partition == p })
		if len(l) == 0 || !strings.Contains(l[0].raw, `"resume_from":"log_start_new_partition"`) {
			t.Errorf("partition %d was not assigned as a new partition: %v", p, l)
		}
	}
	if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0", d.name, code)
	}
	t.Logf("lake: %s", h.checkExactlyOnce(context.Background()))
}

// waitStartOffsets polls the topic's log start offsets until done says so
// and they have not moved for 3 s (retention deletes segment by segment),
// for at most 2 minutes.
func waitStartOffsets(t *testing.T, k realKafka, done func(map[int32]int64) bool) map[int32]int64 {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	var last map[int32]int64
	var stable time.Time
	for {
		starts, err := k.c.StartOffsets(t.Context(), k.topic)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !done(starts):
			stable = time.Time{}
		case !maps.Equal(starts, last) || stable.IsZero():
			stable = time.Now()
		case time.Since(stable) > 3*time.Second:
			return starts
		}
		last = starts
		if time.Now().After(deadline) {
			t.Fatalf("retention did not delete past the lake within 2 minutes: log start offsets %v", starts)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitLogLine waits up to limit for a log line of d that match accepts.
func waitLogLine(t *testing.T, d *daemon, limit time.Duration, match func(logLine) bool) logLine {
	t.Helper()
	next, ok := d.waitLog(0, limit, match)
	if !ok {
		t.Fatalf("%s logged no such line within %s; exited: %v\n%s", d.name, limit, d.exited(), d.tail(20))
	}
	return d.logs(func(logLine) bool { return true })[next-1]
}

// lakeFiles maps every file of the lake's tables to its size.
func lakeFiles(t *testing.T, lake sink.FS) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"attempts", "questions", "_quarantine"} {
		err := lakecheck.WalkFiles(lake, table, func(name string) {
			fi, err := lake.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			out[path.Clean(name)] = fi.Size()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// freeAddr returns a loopback address no one listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// httpGet returns the status and body of a GET.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // a test's loopback call
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

// thousands formats n as landerd report does, with commas.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
