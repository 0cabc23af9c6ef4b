package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/landerd/landerd/test/system/kafkacluster"
	"github.com/landerd/landerd/test/system/minidfs"
)

// realHDFSBlockSize is the Apache HDFS lake's dfs.blocksize: small, so that
// a data file of a thousand records spans several blocks and a DataNode
// stopped while landing meets files in the middle.
const realHDFSBlockSize = 256 << 10

// openRealHDFS starts Apache HDFS (three DataNodes, permissions on) for
// the harness's lake: /lake belongs to lander, the daemons' user, and the
// checks read it as another user.
//
// The cluster keeps two replicas of each block, fewer than its DataNodes,
// as production clusters do, and its NameNode avoids DataNodes whose
// heartbeats are late when it places new blocks
// (dfs.namenode.avoid.write.stale.datanode, as production clusters are
// advised to run). The HDFS client landerd uses cannot route a write
// around a dead DataNode; without both settings the NameNode keeps placing
// blocks on a stopped one for the 10.5 minutes it takes to declare it dead
// (with as many replicas as DataNodes it falls back to stale ones).
func (h *harness) openRealHDFS() {
	h.t.Helper()
	h.dfs = minidfs.Start(h.t, minidfs.Config{
		BlockSize: realHDFSBlockSize,
		Conf: map[string]string{
			"dfs.replication":                         "2",
			"dfs.namenode.avoid.write.stale.datanode": "true",
		},
	})
	if err := h.dfs.Mkdir("/lake", "lander", "lander", 0o755); err != nil {
		h.t.Fatalf("Apache HDFS: %v", err)
	}
	if h.mix != nil {
		// The daemons' user gives each tenant's data its group, so it
		// belongs to all of them; each tenant has a user of its own.
		groups := []string{"lander"}
		for _, t := range e2eTenants {
			groups = append(groups, h.tenantGroup(t))
			if err := h.dfs.SetUserGroups(tenantUser(t), h.tenantGroup(t)); err != nil {
				h.t.Fatalf("Apache HDFS: %v", err)
			}
		}
		if err := h.dfs.SetUserGroups("lander", groups...); err != nil {
			h.t.Fatalf("Apache HDFS: %v", err)
		}
		// The checks read the lake as one of the firm's analysts, through
		// the default ACL docs/tenants.md has the operator set on the root.
		if err := h.dfs.SetUserGroups(checkerUser, analystsGroup); err != nil {
			h.t.Fatalf("Apache HDFS: %v", err)
		}
		acl := fmt.Sprintf("default:group:%[1]s:r-x,group:%[1]s:r-x", analystsGroup)
		if err := h.dfs.SetFACL("/lake", acl); err != nil {
			h.t.Fatalf("Apache HDFS: %v", err)
		}
	}
	h.lakeURL = h.dfs.URL() + "/lake"
	h.readHDFS()
}

// realKafkaProduction is a single Apache Kafka node with the production
// group timing, for the tests in which no daemon dies.
func realKafkaProduction() kafkaSetup {
	return kafkaSetup{cluster: &kafkacluster.Config{}, timing: productionTiming()}
}

// TestNameNodeRestartExactlyOnceRealHDFS lands a stream of records from
// Apache Kafka into Apache HDFS while the NameNode is restarted three
// times (twice with -short), each time right after a flush was published,
// while the other partitions are writing and publishing theirs. The daemon
// keeps running, never commits an offset the lake does not hold, catches
// up, and every record is in the lake exactly once.
func TestNameNodeRestartExactlyOnceRealHDFS(t *testing.T) {
	nameNodeRestarts(t, lakeRealHDFS)
}

// TestNameNodeRestartExactlyOnceIcebergRealHDFS is
// TestNameNodeRestartExactlyOnceRealHDFS with lake.format iceberg and two
// restarts: the
// tables' data and metadata on Apache HDFS, their SQL catalog on
// PostgreSQL, read back through the catalog.
func TestNameNodeRestartExactlyOnceIcebergRealHDFS(t *testing.T) {
	nameNodeRestarts(t, lakeIcebergRealHDFS)
}

// nameNodeRestarts restarts the NameNode of a lake of backend on Apache
// HDFS while a daemon lands (TestNameNodeRestartExactlyOnceRealHDFS).
func nameNodeRestarts(t *testing.T, backend lakeBackend) {
	restarts := 3
	if testing.Short() || backend.iceberg() {
		// The Iceberg run repeats the Hive run's restarts on another
		// layout; two keep the suite's time in check.
		restarts = 2
	}
	realHDFSFault(t, backend, 12000, func(t *testing.T, h *harness, d *daemon) {
		from := 0
		for i := range restarts {
			next, ok := d.waitLog(from, time.Minute, isMsg(msgFlushPublished))
			if !ok {
				t.Fatalf("%s published nothing within a minute before restart %d\n%s", d.name, i, d.tail(20))
			}
			start := time.Now()
			if err := h.dfs.RestartNameNode(); err != nil {
				t.Fatalf("restart %d: %v", i, err)
			}
			t.Logf("NameNode restart %d took %s", i, time.Since(start).Round(time.Millisecond))
			// The next restart waits for a flush published after this one.
			from = max(next, d.lineCount())
		}
	})
}

// TestDataNodeStoppedExactlyOnceRealHDFS stops one of the three DataNodes
// right after a flush was published, while data files are being written,
// and leaves it stopped: the writes in its pipelines fail (the client
// cannot drop a DataNode from a pipeline), the daemon abandons those
// flushes and backs off until the NameNode stops placing blocks on the
// stopped DataNode, then lands everything on the other two, exactly once.
func TestDataNodeStoppedExactlyOnceRealHDFS(t *testing.T) {
	dataNodeStopped(t, lakeRealHDFS)
}

// TestDataNodeStoppedExactlyOnceIcebergRealHDFS is
// TestDataNodeStoppedExactlyOnceRealHDFS with lake.format iceberg: a
// manifest or metadata file in a stopped DataNode's pipeline fails its
// commit, which is redone, and nothing lands twice.
func TestDataNodeStoppedExactlyOnceIcebergRealHDFS(t *testing.T) {
	dataNodeStopped(t, lakeIcebergRealHDFS)
}

// dataNodeStopped stops a DataNode of a lake of backend on Apache HDFS
// while a daemon lands (TestDataNodeStoppedExactlyOnceRealHDFS).
func dataNodeStopped(t *testing.T, backend lakeBackend) {
	realHDFSFault(t, backend, 12000, func(t *testing.T, h *harness, d *daemon) {
		if _, ok := d.waitLog(0, time.Minute, isMsg(msgFlushPublished)); !ok {
			t.Fatalf("%s published nothing within a minute\n%s", d.name, d.tail(20))
		}
		if err := h.dfs.StopDataNode(1); err != nil {
			t.Fatal(err)
		}
	})
}

// realHDFSFault runs one daemon landing total records from a single Apache
// Kafka node into a lake of backend on Apache HDFS, with the production
// group timing, while
// inject disturbs HDFS, then checks that the daemon survived, logged the
// fault, caught up without committing ahead of the lake, and that the lake
// holds every record exactly once.
func realHDFSFault(t *testing.T, backend lakeBackend, total int, inject func(t *testing.T, h *harness, d *daemon)) {
	seed := testSeed(t)
	if testing.Short() {
		total /= 2
	}
	s := setup{partitions: 4, maxFileRecords: 1000, maxFileAge: time.Second, shutdown: 10 * time.Second,
		backend: backend, kafka: realKafkaProduction()}
	h := newHarness(t, s, seed)
	ctx := t.Context()
	if err := h.produce(ctx, total/4); err != nil {
		t.Fatal(err)
	}
	// A steady stream of about 40 seconds that lasts through the fault.
	prod := h.startProducer(ctx, total-total/4, max(1, (total-total/4)/160), 250*time.Millisecond)

	d := startDaemon(t, h, "landerd")
	pid := d.cmd.Process.Pid
	start := time.Now()
	inject(t, h, d)
	t.Logf("fault injected within %s", time.Since(start).Round(time.Millisecond))
	if d.exited() {
		t.Fatalf("%s exited during the fault (%v)\n%s", d.name, d.exitError(), d.tail(20))
	}
	h.checkCommitsBehindLake(ctx, "after the fault", nil)

	prod.finish(t)
	h.catchUp(ctx, h.endOffsets(ctx), 4*time.Minute, d)
	t.Logf("caught up %s after the fault began", time.Since(start).Round(time.Millisecond))
	if d.exited() || d.cmd.Process.Pid != pid {
		t.Fatalf("%s is not the process that started (exited: %v)", d.name, d.exited())
	}
	problems := d.logs(isProblem)
	if len(problems) == 0 {
		t.Errorf("the daemon logged no warning about the fault")
	}
	for i, l := range problems[:min(3, len(problems))] {
		t.Logf("warning %d: %s %s", i, l.Msg, l.Error)
	}
	if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0 (%v)", code, d.exitError())
	}
	h.checkCommitsBehindLake(ctx, "after the shutdown", nil)
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s; %d warnings, %d rejoins", sum, len(problems), len(d.logs(isRejoin)))
	logRecovery(t, []*daemon{d})
}

// TestSIGKILLExactlyOnceRealHDFS is TestSIGKILLExactlyOnce landing from a
// single Apache Kafka node into Apache HDFS.
func TestSIGKILLExactlyOnceRealHDFS(t *testing.T) {
	total := 15000
	kills := []killMoment{killAtRandom, killAfterFlush, killDuringShutdown}
	if testing.Short() {
		total = 6000
		kills = []killMoment{killAfterFlush, killAtRandom}
	}
	ks := kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming}
	sigkillExactlyOnceOn(t, ks, lakeRealHDFS, total, kills)
}

// TestSIGKILLExactlyOnceIcebergRealHDFS is TestSIGKILLExactlyOnceRealHDFS
// with lake.format iceberg, at its -short size (6,000 attempts, two
// SIGKILLs; -short: 4,000, one): three tenants, each in tables of its own
// under its own HDFS permissions, read back through the catalog as one of
// the firm's analysts.
func TestSIGKILLExactlyOnceIcebergRealHDFS(t *testing.T) {
	total := 6000
	kills := []killMoment{killAfterFlush, killAtRandom}
	if testing.Short() {
		total = 4000
		kills = []killMoment{killAfterFlush}
	}
	ks := kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming}
	sigkillExactlyOnceOn(t, ks, lakeIcebergRealHDFS, total, kills)
}
