package iceberg

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/catalogtest"
)

// TestLandsExactlyOnce lands through two replicas, each with its own
// catalog connection, committing to the same tables at once, and checks
// every record once; then the report over the tables' current snapshots
// against the report of the same records landed in the Hive layout.
func TestLandsExactlyOnce(t *testing.T) {
	f := newFixture(t, 4)
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	stopA := f.run(t, "a", f.tables(t, regA, nil))
	stopB := f.run(t, "b", f.tables(t, regB, nil))
	for i := 0; i < 3; i++ {
		f.produce(t, 1000)
		time.Sleep(200 * time.Millisecond)
	}
	f.waitCommitted(t, time.Minute)
	stopA()
	stopB()
	f.checkExactlyOnce(t)
	t.Logf("conflicts: %v + %v; commit attempts: %v + %v",
		counter(t, regA, "landerd_iceberg_commit_conflicts_total"), counter(t, regB, "landerd_iceberg_commit_conflicts_total"),
		counter(t, regA, "landerd_iceberg_commit_duration_seconds"), counter(t, regB, "landerd_iceberg_commit_duration_seconds"))

	// The report through the tables equals the report of a Hive lake of
	// the same records.
	f.checkReport(t)
}

// errCrash is what crashingTables returns once it has crashed.
var errCrash = errors.New("the process died here")

// crashingTables commits through Tables until its budget of commits is
// spent; the next commit of a flush crashes it: that commit and every
// later one fails, as if the process had died between the flush's
// publish and its Iceberg commit, and crashed is closed.
type crashingTables struct {
	*icetable.Tables
	mu      sync.Mutex
	budget  int
	lost    *sink.State // the flush that did not reach the tables
	crashed chan struct{}
}

func (c *crashingTables) Commit(ctx context.Context, st *sink.State) error {
	c.mu.Lock()
	switch {
	case c.lost != nil:
		c.mu.Unlock()
		return errCrash
	case st != nil && len(st.Files) > 0 && c.budget == 0:
		c.lost = st
		close(c.crashed)
		c.mu.Unlock()
		return errCrash
	case st != nil && len(st.Files) > 0:
		c.budget--
	}
	c.mu.Unlock()
	return c.Tables.Commit(ctx, st)
}

// TestRollForwardAfterCrash stops a lander right after a flush's publish,
// before its Iceberg commit: the lake holds the flush, the tables do not;
// the next lander's claim rolls it forward, and nothing is lost or
// landed twice.
func TestRollForwardAfterCrash(t *testing.T) {
	f := newFixture(t, 2)
	crash := &crashingTables{Tables: f.tables(t, prometheus.NewRegistry(), nil), budget: 3, crashed: make(chan struct{})}
	stop := f.run(t, "first", crash)
	f.produce(t, 1500)
	select {
	case <-crash.crashed:
	case <-time.After(time.Minute):
		t.Fatal("no flush published")
	}
	stop()
	lost := crash.lost
	st, err := sink.ReadState(f.lake, topic, lost.Partition)
	if err != nil {
		t.Fatal(err)
	}
	if st == nil || st.Last != lost.Last {
		t.Fatalf("state.json of partition %d: %+v, want the lost flush (last offset %d) as the commit point", lost.Partition, st, lost.Last)
	}
	cat := f.reader(t)
	tbl, err := cat.LoadTable(context.Background(), table.Identifier{f.cfg.Lake.Iceberg.Namespace, lost.Files[0].Table})
	if err != nil {
		t.Fatal(err)
	}
	offs, err := icetable.CommittedOffsets(tbl)
	if err != nil {
		t.Fatal(err)
	}
	if next := offs.Next(topic, lost.Partition); next > lost.First {
		t.Fatalf("the table holds partition %d up to %d: the flush %d..%d was not lost before its commit", lost.Partition, next, lost.First, lost.Last)
	}
	t.Logf("crashed after publishing %s/%d %d..%d; the table holds it up to %d", topic, lost.Partition, lost.First, lost.Last, offs.Next(topic, lost.Partition))

	stop = f.run(t, "second", f.tables(t, prometheus.NewRegistry(), nil))
	f.waitCommitted(t, time.Minute)
	stop()
	f.checkExactlyOnce(t)
}

// TestUnknownOutcome loses the answer of commits that PostgreSQL accepted
// (as a connection lost after the UPDATE would): the lander reads the
// tables back and adds nothing twice.
func TestUnknownOutcome(t *testing.T) {
	f := newFixture(t, 2)
	// Every catalog Tables opens counts into accepted (two partitions may
	// open one at once; Tables keeps the first).
	var mu sync.Mutex
	var hooks []*catalogtest.Hooked
	lost := 0
	tb := f.tables(t, prometheus.NewRegistry(), func(c catalog.Catalog) catalog.Catalog {
		hooked := catalogtest.New(c)
		mu.Lock()
		hooks = append(hooks, hooked)
		mu.Unlock()
		hooked.AfterCommit(func(table.Identifier) error {
			mu.Lock()
			defer mu.Unlock()
			if lost%2 == 0 && lost < 10 { // every other answer, five times
				lost++
				return errors.New("read tcp: connection reset by peer")
			}
			lost++
			return nil
		})
		return hooked
	})
	stop := f.run(t, "lander", tb)
	f.produce(t, 2000)
	f.waitCommitted(t, time.Minute)
	stop()
	f.checkExactlyOnce(t)
	// Every commit the catalog accepted is one snapshot: none was repeated.
	cat := f.reader(t)
	snaps := 0
	for _, name := range icetable.TableNames() {
		tbl, err := cat.LoadTable(context.Background(), table.Identifier{f.cfg.Lake.Iceberg.Namespace, name})
		if err != nil {
			t.Fatal(err)
		}
		snaps += len(tbl.Metadata().Snapshots())
	}
	accepted := 0
	for _, h := range hooks {
		accepted += h.Commits()
	}
	if accepted != snaps {
		t.Errorf("the catalog accepted %d commits, the tables hold %d snapshots", accepted, snaps)
	}
}

// TestCatalogRestart stops PostgreSQL while records arrive and starts it
// again: landing stalls (flushes publish, their commits fail, partitions
// back off) and resumes, and nothing is lost or landed twice.
func TestCatalogRestart(t *testing.T) {
	f := newFixture(t, 2)
	stop := f.run(t, "lander", f.tables(t, prometheus.NewRegistry(), nil))
	f.produce(t, 800)
	f.waitCommitted(t, time.Minute)
	if err := f.pg.Stop(); err != nil {
		t.Fatal(err)
	}
	f.produce(t, 800)
	time.Sleep(3 * time.Second) // flushes publish; their commits fail
	if err := f.pg.Start(); err != nil {
		t.Fatal(err)
	}
	f.produce(t, 800)
	f.waitCommitted(t, 2*time.Minute)
	stop()
	f.checkExactlyOnce(t)
}

// TestConcurrentCatalogOpen opens the catalog from several replicas at
// once on a new database: they race to create the catalog's own tables,
// and every one of them must open it.
func TestConcurrentCatalogOpen(t *testing.T) {
	f := newFixture(t, 1)
	conf, err := icetable.ConfigOf(f.cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			<-start
			_, closeCat, err := conf.Open(context.Background())
			if err == nil {
				err = closeCat()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
}
