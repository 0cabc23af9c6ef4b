package icehdfs

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/iceio"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/lander"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
	"github.com/landerd/landerd/test/system/minidfs"
	"github.com/landerd/landerd/test/system/postgres"
)

const topic = "attempts-ice-hdfs"

// lakeSeq numbers lake roots so that tests sharing the cluster do not
// meet.
var lakeSeq atomic.Int64

// fixture is a broker, an HDFS lake opened as landerd opens it, and the
// configuration that lands the one into Iceberg tables on the other.
type fixture struct {
	b    *fakekafka.Broker
	lake *lake.FS
	cfg  config.Config
	want map[int32][]flatten.Reason
	gen  *attemptgen.Generator
}

// newFixture lands into a lake of its own on the shared cluster, through
// a catalog of type catalogType: for CatalogSQL on a PostgreSQL it
// starts.
func newFixture(t *testing.T, catalogType string, partitions int32) *fixture {
	t.Helper()
	c := shared(t)
	su, err := minidfs.Superuser()
	if err != nil {
		t.Fatal(err)
	}
	b, err := fakekafka.Start(fakekafka.Config{Topic: topic, Partitions: partitions, MinSessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cfg := config.Default()
	cfg.Kafka.Brokers = []string{b.Addr()}
	cfg.Kafka.Topic = topic
	cfg.Kafka.Group = "g-" + strings.ReplaceAll(t.Name(), "/", "-")
	cfg.Kafka.SessionTimeout = 3 * time.Second
	cfg.Kafka.HeartbeatInterval = 300 * time.Millisecond
	cfg.Kafka.RebalanceTimeout = 5 * time.Second
	cfg.Kafka.InstanceID = config.InstanceIDNone
	cfg.Lake.URL = fmt.Sprintf("%s/lake-%d", c.URL(), lakeSeq.Add(1))
	cfg.Lake.Roll.MaxFileAge = 300 * time.Millisecond
	cfg.Lake.Roll.MaxFileRecords = 400
	cfg.Lake.RowGroupRows = 200
	cfg.Lake.Format = config.FormatIceberg
	cfg.HDFS.User = su
	cfg.HDFS.CallTimeout = 10 * time.Second
	cfg.Shutdown.Deadline = 5 * time.Second
	switch catalogType {
	case config.CatalogSQL:
		pg := postgres.Start(t, postgres.Config{})
		u, err := url.Parse(pg.DSN())
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.User(pg.User())
		cfg.Lake.Iceberg.Catalog = config.IcebergCatalog{Type: config.CatalogSQL, URI: u.String(), Password: config.Secret(pg.Password())}
	case config.CatalogHadoop:
		cfg.Lake.Iceberg.Catalog = config.IcebergCatalog{Type: config.CatalogHadoop}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	fsys, err := lake.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := fsys.Close(); err != nil {
			t.Errorf("close lake: %v", err)
		}
	})
	register(t, fsys)
	return &fixture{b: b, lake: fsys, cfg: cfg, want: map[int32][]flatten.Reason{},
		gen: attemptgen.New(attemptgen.Config{Seed: 7, BadRate: 0.05})}
}

// register serves the lake's hdfs:// URLs to iceberg-go from fsys until
// the test ends.
func register(t *testing.T, fsys sink.ReadFS) {
	t.Helper()
	unregister, err := iceio.Register(fsys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unregister)
}

// produce sends n generated records, round-robin over the partitions;
// header, when not nil, gives record i its headers.
func (f *fixture) produce(t *testing.T, n int, header ...func(i int) []fakekafka.Header) {
	t.Helper()
	parts := f.b.Partitions()
	recs := make([]fakekafka.Record, n)
	for i := range recs {
		r := f.gen.Next()
		p := int32(i) % parts
		recs[i] = fakekafka.Record{Key: r.Key, Value: r.Value, Partition: p}
		for _, h := range header {
			recs[i].Headers = h(i)
		}
		f.want[p] = append(f.want[p], r.Want)
	}
	if err := f.b.ProduceWith(context.Background(), fakekafka.ProduceOptions{ManualPartition: true}, recs); err != nil {
		t.Fatal(err)
	}
}

// tables returns Tables over the fixture's catalog, as landerd opens them.
func (f *fixture) tables(t *testing.T, reg prometheus.Registerer, readOnly bool) *icetable.Tables {
	t.Helper()
	conf, err := icetable.ConfigOf(f.cfg, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	tb := icetable.New(conf, zaptest.NewLogger(t).Named("tables"), metrics.NewIceberg(reg, icetable.TableNames()))
	t.Cleanup(func() { _ = tb.Close() })
	return tb
}

// run starts a lander committing to tables and returns a function that
// stops it and waits.
func (f *fixture) run(t *testing.T, name string, tables lander.Tables) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := lander.New(f.cfg, f.lake, zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel)).Named(name), lander.WithTables(tables))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := l.Run(ctx); err != nil {
			t.Errorf("Run %s: %v", name, err)
		}
	})
	return func() { cancel(); wg.Wait() }
}

// reader opens the catalog for reading, as a report does.
func (f *fixture) reader(t *testing.T) catalog.Catalog {
	t.Helper()
	conf, err := icetable.ConfigOf(f.cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	cat, closeCat, err := conf.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeCat() })
	return cat
}

// committed reports whether every record produced has landed and each
// partition's last published flush is in every table it has files of.
func (f *fixture) committed(cat catalog.Catalog) (bool, error) {
	produced := map[int32]int{}
	for p, want := range f.want {
		produced[p] = len(want)
	}
	return lakecheck.Committed(context.Background(), cat, f.cfg.Lake.Iceberg.Namespace, f.lake, topic, produced)
}

// waitCommitted waits until committed is true.
func (f *fixture) waitCommitted(t *testing.T, within time.Duration) {
	t.Helper()
	cat := f.reader(t)
	deadline := time.Now().Add(within)
	for {
		ok, err := f.committed(cat)
		if err != nil {
			t.Logf("reading the tables: %v", err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not committed to the iceberg tables within %s", within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scan reads a table through iceberg-go and counts the rows of each
// (partition, offset).
func scan(t *testing.T, cat catalog.Catalog, ident table.Identifier) map[[2]int64]int {
	t.Helper()
	ctx := context.Background()
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.CurrentSnapshot() == nil {
		return map[[2]int64]int{}
	}
	return lakecheck.ScanOffsets(ctx, t, tbl.Scan(table.WithSelectedFields("kafka_partition", "kafka_offset")))
}

// checkExactlyOnce reads attempts and _quarantine through iceberg-go and
// checks that each produced record is in the one it belongs to, once. It
// returns how many are in each.
func (f *fixture) checkExactlyOnce(t *testing.T) (good, bad int) {
	t.Helper()
	cat := f.reader(t)
	ns := f.cfg.Lake.Iceberg.Namespace
	attempts := scan(t, cat, table.Identifier{ns, flatten.TableAttempts})
	quarantine := scan(t, cat, table.Identifier{ns, flatten.TableQuarantine})
	questions := scan(t, cat, table.Identifier{ns, flatten.TableQuestions})
	for p, want := range f.want {
		for off, why := range want {
			k := [2]int64{int64(p), int64(off)}
			in, other := attempts, quarantine
			if why != "" {
				in, other = quarantine, attempts
				bad++
			} else {
				good++
			}
			if in[k] != 1 || other[k] != 0 {
				t.Errorf("partition %d offset %d (quarantine reason %q): %d rows in its table, %d in the other; want 1 and 0", p, off, why, in[k], other[k])
			}
		}
	}
	if len(attempts) != good || len(quarantine) != bad {
		t.Errorf("attempts holds %d offsets, _quarantine %d; want %d and %d", len(attempts), len(quarantine), good, bad)
	}
	for k := range questions {
		if attempts[k] != 1 {
			t.Errorf("questions holds partition %d offset %d, which is not an attempt", k[0], k[1])
		}
	}
	if len(questions) == 0 {
		t.Error("questions is empty")
	}
	return good, bad
}

// TestLandsExactlyOnce lands into Iceberg tables on Apache HDFS through
// two replicas committing to the same tables at once, with each catalog,
// checks every record once through iceberg-go, and the report, read as
// `landerd report` reads it (a read-only lake, its own catalog), against
// what was produced.
func TestLandsExactlyOnce(t *testing.T) {
	for _, ct := range []string{config.CatalogSQL, config.CatalogHadoop} {
		t.Run(ct, func(t *testing.T) {
			f := newFixture(t, ct, 4)
			regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
			start := time.Now()
			stopA := f.run(t, "a", f.tables(t, regA, false))
			stopB := f.run(t, "b", f.tables(t, regB, false))
			for range 3 {
				f.produce(t, 1000)
				time.Sleep(200 * time.Millisecond)
			}
			f.waitCommitted(t, 2*time.Minute)
			landed := time.Since(start)
			stopA()
			stopB()
			good, bad := f.checkExactlyOnce(t)
			t.Logf("%s catalog on HDFS: 3000 records landed and committed in %s; %d attempts, %d quarantined; commits %v + %v, conflicts %v + %v", ct, landed.Round(time.Millisecond), good, bad,
				counter(t, regA, "landerd_iceberg_commit_duration_seconds"), counter(t, regB, "landerd_iceberg_commit_duration_seconds"),
				counter(t, regA, "landerd_iceberg_commit_conflicts_total"), counter(t, regB, "landerd_iceberg_commit_conflicts_total"))

			ro, err := lake.OpenReadOnly(f.cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ro.Close() })
			register(t, ro) // the report's tables are read through the read-only lake
			tb := f.tables(t, prometheus.NewRegistry(), true)
			var files report.Files
			if files.Attempts, err = tb.Files(context.Background(), flatten.TableAttempts); err != nil {
				t.Fatal(err)
			}
			if files.Quarantine, err = tb.Files(context.Background(), flatten.TableQuarantine); err != nil {
				t.Fatal(err)
			}
			got, err := report.ReadFiles(context.Background(), ro, files, report.DefaultOptions(), memory.DefaultAllocator)
			if err != nil {
				t.Fatal(err)
			}
			if got.Raw.Attempts != int64(good) || got.QuarantinedRows != int64(bad) {
				t.Errorf("report: %d attempts, %d quarantined rows; want %d and %d", got.Raw.Attempts, got.QuarantinedRows, good, bad)
			}
		})
	}
}

// counter returns a counter's value in reg, summed over its series (a
// histogram's sample count).
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}
