package e2e

import (
	"context"
	"testing"
	"time"
)

// Rejoin messages: the daemon logs one each time it backs off after a
// failed group session or a failed partition.
const (
	msgSessionFailed    = "group session failed; rejoining"
	msgPartitionFailure = "rejoining after a partition failure"
)

// isRejoin matches the log lines of a back-off before rejoining.
func isRejoin(l logLine) bool { return l.Msg == msgSessionFailed || l.Msg == msgPartitionFailure }

// TestHDFSOutagesExactlyOnce lands a stream of records into a lake on the
// HDFS test cluster while the cluster fails: the NameNode is unreachable
// for 30 seconds (5 with -short), or the DataNode drops a block write in
// the middle of a file. The daemon must keep running (the same process
// throughout), back off instead of retrying in a tight loop, never commit
// an offset to Kafka that the lake does not hold, catch up once the fault
// clears, and leave every record in the lake exactly once.
func TestHDFSOutagesExactlyOnce(t *testing.T) {
	hdfsOutages(t, lakeHDFS)
}

// TestHDFSOutagesExactlyOnceIceberg is TestHDFSOutagesExactlyOnce with
// lake.format iceberg, the tables on the HDFS test cluster and their SQL
// catalog on PostgreSQL, with a 10-second outage and 8,000 records: a flush whose files, state.json or table metadata
// could not be written is rolled forward or redone, and the tables read
// through the catalog hold every record exactly once.
func TestHDFSOutagesExactlyOnceIceberg(t *testing.T) {
	hdfsOutages(t, lakeIcebergHDFS)
}

// hdfsOutages runs the HDFS outages of TestHDFSOutagesExactlyOnce against
// a lake of backend, one on the HDFS test cluster.
func hdfsOutages(t *testing.T, backend lakeBackend) {
	outage, records := 30*time.Second, 16000
	if testing.Short() {
		outage, records = 5*time.Second, 6000
	} else if backend.iceberg() {
		// The Iceberg run repeats the Hive run's faults on another
		// layout; a shorter outage and fewer records keep the suite's
		// time in check.
		outage, records = 10*time.Second, 8000
	}
	tests := []struct {
		name string
		// inject starts the fault, and ends it unless it ends by itself.
		// It calls sample while the fault lasts.
		inject func(h *harness, sample func())
		// maxRejoins bounds the back-offs the daemon may log: many more
		// would be a tight retry loop.
		maxRejoins int
	}{
		{"NameNodeDown", func(h *harness, sample func()) {
			h.hdfs.SetNameNodeDown(true)
			for end := time.Now().Add(outage); time.Now().Before(end); {
				sample()
				time.Sleep(500 * time.Millisecond)
			}
			h.hdfs.SetNameNodeDown(false)
		}, 20},
		{"DataNodeFailsMidFile", func(h *harness, sample func()) {
			h.hdfs.FailDataNodeAfter(20 << 10)
			for end := time.Now().Add(time.Minute); h.hdfs.Injected() == 0 && time.Now().Before(end); {
				sample()
				time.Sleep(100 * time.Millisecond)
			}
		}, 10},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seed := testSeed(t) + int64(i)
			total := records
			s := setup{partitions: 4, maxFileRecords: 1000, maxFileAge: time.Second, shutdown: 10 * time.Second, backend: backend, tenancy: true}
			h := newHarness(t, s, seed)
			ctx := t.Context()
			if err := h.produce(ctx, total/4); err != nil {
				t.Fatal(err)
			}
			// A steady stream that lasts through the fault.
			every := 250 * time.Millisecond
			chunk := max(1, (total-total/4)*int(every)/int(outage+10*time.Second))
			prod := h.startProducer(ctx, total-total/4, chunk, every)

			d := startDaemon(t, h, "landerd")
			pid := d.cmd.Process.Pid
			if _, ok := d.waitLog(0, time.Minute, isMsg(msgFlushPublished)); !ok {
				t.Fatalf("%s published nothing within a minute (exited: %v)\n%s", d.name, d.exited(), d.tail(20))
			}
			h.checkCommitsBehindLake(ctx, "before the fault", nil)

			// While the NameNode is down the lake cannot be read, so the
			// committed offsets sampled during the fault are checked
			// against the lake read afterwards: the lake only grows, so
			// what it holds then bounds what it held at each sample.
			sampled := map[int32]int64{}
			sample := func() {
				for p, off := range h.committed(ctx) {
					sampled[p] = max(sampled[p], off)
				}
			}
			start := time.Now()
			tc.inject(h, sample)
			t.Logf("fault over after %s; %d injected faults took effect", time.Since(start).Round(time.Millisecond), h.hdfs.Injected())
			if h.hdfs.Injected() == 0 {
				t.Fatalf("the fault never took effect")
			}
			if d.exited() {
				t.Fatalf("%s exited during the fault (%v)\n%s", d.name, d.exitError(), d.tail(20))
			}
			h.checkCommitsBehindLake(ctx, "during the fault", sampled)

			prod.finish(t)
			h.catchUp(ctx, h.endOffsets(ctx), 2*time.Minute+outage, d)
			t.Logf("caught up %s after the fault began", time.Since(start).Round(time.Millisecond))
			h.checkCommitsBehindLake(ctx, "after catching up", nil)
			if d.exited() || d.cmd.Process.Pid != pid {
				t.Fatalf("%s is not the process that started (exited: %v)", d.name, d.exited())
			}
			problems := len(d.logs(isProblem))
			rejoins := len(d.logs(isRejoin))
			if problems == 0 {
				t.Errorf("the daemon logged no warning about the fault")
			}
			if rejoins > tc.maxRejoins {
				t.Errorf("the daemon rejoined %d times; want at most %d (backing off)", rejoins, tc.maxRejoins)
			}
			if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
				t.Fatalf("exit code %d after SIGTERM, want 0 (%v)", code, d.exitError())
			}
			h.checkCommitsBehindLake(ctx, "after the shutdown", nil)
			sum := h.checkExactlyOnce(context.Background())
			t.Logf("lake: %s; %d warnings, %d rejoins", sum, problems, rejoins)
			logRecovery(t, []*daemon{d})
		})
	}
}

// checkCommitsBehindLake fails the test when a committed offset of the
// group is ahead of the lake: offsets taken from committed (nil means
// fetch them now) must not exceed what the lake holds after they were
// taken. The lake's NameNode may just have come back, so reading it is
// retried for a while.
func (h *harness) checkCommitsBehindLake(ctx context.Context, when string, committed map[int32]int64) {
	h.t.Helper()
	if committed == nil {
		committed = h.committed(ctx)
	}
	var landed map[int32]int64
	var err error
	for end := time.Now().Add(30 * time.Second); ; {
		landed, err = h.landed()
		if err == nil || time.Now().After(end) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		h.t.Fatalf("%s: read lake state: %v", when, err)
	}
	for p := range h.setup.partitions {
		if committed[p] > landed[p] {
			h.t.Errorf("%s, partition %d: committed offset %d is ahead of the lake (%d)", when, p, committed[p], landed[p])
		}
	}
	h.t.Logf("%s: committed %v, lake %v", when, committed, landed)
}

// catchUp waits up to limit until the lake holds every offset up to ends,
// checking every half second meanwhile that the group's committed offsets
// are not ahead of the lake. It fails the test when the time is up or d
// exits.
func (h *harness) catchUp(ctx context.Context, ends map[int32]int64, limit time.Duration, d *daemon) {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for checks := 1; ; checks++ {
		committed := h.committed(ctx)
		landed, err := h.landed()
		if err != nil {
			h.t.Fatalf("read lake state: %v", err)
		}
		done := true
		for p := range h.setup.partitions {
			if committed[p] > landed[p] {
				h.t.Fatalf("while catching up, partition %d: committed offset %d is ahead of the lake (%d)", p, committed[p], landed[p])
			}
			if landed[p] < ends[p] {
				done = false
			}
		}
		switch {
		case done:
			h.t.Logf("caught up; committed offsets checked against the lake %d times meanwhile", checks)
			return
		case d.exited():
			h.t.Fatalf("%s exited before everything landed (%v); landed %v of %v", d.name, d.exitError(), landed, ends)
		case time.Now().After(deadline):
			h.t.Fatalf("after %s the lake holds %v of end offsets %v", limit, landed, ends)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
