package iceberg

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun/driver/pgdriver"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/lander"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
	"github.com/landerd/landerd/test/system/postgres"
)

const topic = "attempts-ice"

// fixture is a broker, a PostgreSQL catalog and a local lake, with the
// configuration that lands the one into Iceberg tables of the other.
type fixture struct {
	b    *fakekafka.Broker
	pg   *postgres.Server
	lake *sink.LocalFS
	cfg  config.Config
	// want maps partition → offset → the reason it must be quarantined
	// for ("" when it is a good attempt).
	want map[int32][]flatten.Reason
	gen  *attemptgen.Generator
}

func newFixture(t *testing.T, partitions int32) *fixture {
	t.Helper()
	pg := postgres.Start(t, postgres.Config{})
	b, err := fakekafka.Start(fakekafka.Config{Topic: topic, Partitions: partitions, MinSessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	root := t.TempDir()
	lake, err := sink.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(pg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(pg.User())
	cfg := config.Default()
	cfg.Kafka.Brokers = []string{b.Addr()}
	cfg.Kafka.Topic = topic
	cfg.Kafka.Group = "g-" + strings.ReplaceAll(t.Name(), "/", "-")
	cfg.Kafka.SessionTimeout = 3 * time.Second
	cfg.Kafka.HeartbeatInterval = 300 * time.Millisecond
	cfg.Kafka.RebalanceTimeout = 5 * time.Second
	cfg.Kafka.InstanceID = config.InstanceIDNone
	cfg.Lake.URL = root
	cfg.Lake.Roll.MaxFileAge = 300 * time.Millisecond
	cfg.Lake.Roll.MaxFileRecords = 400
	cfg.Lake.RowGroupRows = 200
	cfg.Lake.Format = config.FormatIceberg
	cfg.Lake.Iceberg.Catalog = config.IcebergCatalog{Type: config.CatalogSQL, URI: u.String(), Password: config.Secret(pg.Password())}
	cfg.Shutdown.Deadline = 5 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &fixture{b: b, pg: pg, lake: lake, cfg: cfg, want: map[int32][]flatten.Reason{},
		gen: attemptgen.New(attemptgen.Config{Seed: 7, BadRate: 0.05})}
}

// produce sends n generated records, round-robin over the partitions.
func (f *fixture) produce(t *testing.T, n int) { f.produceWith(t, n, nil) }

// produceWith is produce with each record, and the reason it must be
// quarantined for, first passed to edit when that is not nil.
func (f *fixture) produceWith(t *testing.T, n int, edit func(i int, r *fakekafka.Record, want *flatten.Reason)) {
	t.Helper()
	parts := f.b.Partitions()
	recs := make([]fakekafka.Record, n)
	for i := range recs {
		r := f.gen.Next()
		p := int32(i) % parts
		recs[i] = fakekafka.Record{Key: r.Key, Value: r.Value, Partition: p}
		want := r.Want
		if edit != nil {
			edit(i, &recs[i], &want)
		}
		f.want[p] = append(f.want[p], want)
	}
	if err := f.b.ProduceWith(context.Background(), fakekafka.ProduceOptions{ManualPartition: true}, recs); err != nil {
		t.Fatal(err)
	}
}

// tables returns Tables over the fixture's catalog; wrap, when not nil,
// wraps the catalog it opens.
func (f *fixture) tables(t *testing.T, reg prometheus.Registerer, wrap func(catalog.Catalog) catalog.Catalog) *icetable.Tables {
	t.Helper()
	conf, err := icetable.ConfigOf(f.cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		open := conf.Open
		conf.Open = func(ctx context.Context) (catalog.Catalog, func() error, error) {
			cat, closeCat, err := open(ctx)
			if err != nil {
				return nil, nil, err
			}
			return wrap(cat), closeCat, nil
		}
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

// reader is an iceberg-go SQL catalog of its own on the fixture's
// database, for reading the tables back as another program would.
func (f *fixture) reader(t *testing.T) catalog.Catalog {
	t.Helper()
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(f.pg.DSN())))
	t.Cleanup(func() { _ = db.Close() })
	// It creates the catalog's tables when they are missing, racing the
	// landers that do the same at their start: a loser of that race tries
	// again, as landerd does.
	deadline := time.Now().Add(10 * time.Second)
	for {
		cat, err := sqlcat.NewCatalog("landerd", db, sqlcat.Postgres, nil)
		if err == nil {
			return cat
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
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
			t.Logf("reading the tables: %v", err) // e.g. PostgreSQL restarting
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
func (f *fixture) scan(t *testing.T, cat catalog.Catalog, name string) map[[2]int64]int {
	t.Helper()
	ctx := context.Background()
	tbl, err := cat.LoadTable(ctx, table.Identifier{f.cfg.Lake.Iceberg.Namespace, name})
	if err != nil {
		t.Fatal(err)
	}
	if tbl.CurrentSnapshot() == nil {
		return map[[2]int64]int{}
	}
	return lakecheck.ScanOffsets(ctx, t, tbl.Scan(table.WithSelectedFields("kafka_partition", "kafka_offset")))
}

// checkExactlyOnce reads attempts and _quarantine through iceberg-go and
// checks that each produced record is in the one it belongs to, once, and
// that questions holds rows of good attempts only.
func (f *fixture) checkExactlyOnce(t *testing.T) {
	t.Helper()
	cat := f.reader(t)
	attempts := f.scan(t, cat, flatten.TableAttempts)
	quarantine := f.scan(t, cat, flatten.TableQuarantine)
	questions := f.scan(t, cat, flatten.TableQuestions)
	var good, bad int
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
	t.Logf("exactly once: %d attempts, %d quarantined, questions of %d attempts", good, bad, len(questions))
}

// counter returns a counter's value in reg, summed over its series.
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

// checkReport checks that landerd report through the tables (their
// current snapshots' files, as Tables.ReportFiles lists them) gives the
// figures of the Hive layout landing the same records with the same
// configuration.
func (f *fixture) checkReport(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	hiveLake := f.landHive(t)
	want, err := report.Read(ctx, hiveLake, report.DefaultOptions(), memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	files, err := f.tables(t, prometheus.NewRegistry(), nil).ReportFiles(ctx, f.lake, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := report.ReadFiles(ctx, f.lake, files, report.DefaultOptions(), memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	if got.Raw.Attempts == 0 || !equalFigures(got, want) {
		t.Errorf("report through the iceberg tables differs from the hive lake's:\n got %+v\nwant %+v", got, want)
	}
}

func equalFigures(a, b *report.Report) bool {
	ja, jb := a.Raw, b.Raw
	return a.QuarantinedRows == b.QuarantinedRows && ja.Attempts == jb.Attempts && ja.Assessments == jb.Assessments &&
		ja.CourseAttempts == jb.CourseAttempts && ja.Courses == jb.Courses &&
		a.Dedup.Attempts == b.Dedup.Attempts && a.Dedup.CourseAttempts == b.Dedup.CourseAttempts
}

// landHive lands what was produced a second time, with f's configuration
// but into a Hive lake of its own, and returns that lake once every
// partition is landed.
func (f *fixture) landHive(t *testing.T) *sink.LocalFS {
	t.Helper()
	hive := f.cfg
	hive.Lake.URL = t.TempDir()
	hive.Lake.Format = config.FormatHive
	hive.Lake.Iceberg = config.Default().Lake.Iceberg
	hive.Kafka.Group += "-hive"
	lake, err := sink.NewLocal(hive.Lake.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := lander.New(hive, lake, zaptest.NewLogger(t).Named("hive")).Run(ctx); err != nil {
			t.Errorf("hive lander: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()
	deadline := time.Now().Add(time.Minute)
	for p := int32(0); p < f.b.Partitions(); {
		next, err := sink.Landed(lake, topic, p)
		if err != nil {
			t.Fatal(err)
		}
		if next >= int64(len(f.want[p])) {
			p++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatal("the hive lake did not land everything")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return lake
}
