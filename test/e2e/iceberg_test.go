package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/uptrace/bun/driver/pgdriver"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
	"github.com/landerd/landerd/test/system/kafkacluster"
	"github.com/landerd/landerd/test/system/postgres"
)

// startCatalog starts the PostgreSQL of an Iceberg lake's SQL catalog.
func (h *harness) startCatalog() {
	h.t.Helper()
	h.pg = postgres.Start(h.t, postgres.Config{})
}

// icebergConfig is the lake's Iceberg configuration: SQL catalog on the
// harness's PostgreSQL, the default namespace.
func (h *harness) icebergConfig() config.Iceberg {
	h.t.Helper()
	u, err := url.Parse(h.pg.DSN())
	if err != nil {
		h.t.Fatal(err)
	}
	u.User = url.User(h.pg.User())
	return config.Iceberg{
		Namespace: config.DefaultIcebergNamespace,
		Catalog:   config.IcebergCatalog{Type: config.CatalogSQL, URI: u.String(), Password: config.Secret(h.pg.Password())},
	}
}

// icebergYAML is the lake section's lines that land Iceberg tables.
func (h *harness) icebergYAML() string {
	ice := h.icebergConfig()
	return fmt.Sprintf("  format: iceberg\n  iceberg:\n    namespace: %s\n    catalog:\n      type: sql\n      uri: %q\n      password: %q\n",
		ice.Namespace, ice.Catalog.URI, string(ice.Catalog.Password))
}

// iceTables opens the lake's Iceberg tables read-only through a catalog
// of the test's own, closed by the test's cleanup.
func (h *harness) iceTables() *icetable.Tables {
	h.t.Helper()
	if h.ice != nil {
		return h.ice
	}
	cfg := config.Default()
	cfg.Lake.URL = h.lakeURL
	cfg.Lake.Format = config.FormatIceberg
	cfg.Lake.Iceberg = h.icebergConfig()
	conf, err := icetable.ConfigOf(cfg, true)
	if err != nil {
		h.t.Fatal(err)
	}
	h.ice = icetable.New(conf, zap.NewNop(), metrics.NewIceberg(prometheus.NewRegistry(), icetable.TableNames()))
	h.t.Cleanup(func() { _ = h.ice.Close() })
	return h.ice
}

// checkIcebergTables fails the test unless each table's landerd.offsets
// (its current snapshot's summary) agrees with the lake's state and with
// the files the snapshot holds, and every data file in the tables' folders
// is in its table's snapshot (or, in a test that compacts the tables,
// accounted for by the compactions: compactedFiles). For every partition
// P of the topic and table T, with state.json recording the flush F..L
// last published:
//
//   - next(T, P) = L + 1 when that flush has files of T, and at most L + 1
//     otherwise (T's last flush of P may be an earlier one);
//   - every row of P in T's snapshot lies below next(T, P);
//   - the map names no other partition or topic.
func (h *harness) checkIcebergTables(ctx context.Context) {
	h.t.Helper()
	tables := h.iceTables()
	cat, err := h.readerCatalog()
	if err != nil {
		h.t.Fatal(err)
	}
	states := map[int32]*sink.State{}
	for p := range h.setup.partitions {
		st, err := sink.ReadState(h.lake(), h.topic, p)
		if err != nil {
			h.t.Fatal(err)
		}
		states[p] = st
	}
	list := lakecheck.CatalogFiles(h.lake(), tables)
	for _, name := range icetable.TableNames() {
		all, err := list(ctx, name)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, tenant := range h.iceTenants() {
			ident := table.Identifier{tables.NamespaceOf(tenant), name}
			var offs icetable.Offsets
			tbl, err := cat.LoadTable(ctx, ident)
			switch {
			case errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace):
				tbl = nil // then no flush may have files of it
			case err != nil:
				h.t.Fatalf("load iceberg table %v: %v", ident, err)
			default:
				if offs, err = icetable.CommittedOffsets(tbl); err != nil {
					h.t.Fatal(err)
				}
			}
			h.checkIcebergTable(tenant, name, ident, offs, tenantsFiles(all, tenant), states)
			if tbl != nil {
				h.t.Logf("iceberg table %s: %d data files, %d snapshots, landerd.offsets %v", strings.Join(ident, "."), len(tenantsFiles(all, tenant)), len(tbl.Metadata().Snapshots()), offs)
			}
		}
	}
}

// checkIcebergTable checks one tenant's table as checkIcebergTables says,
// given its landerd.offsets, the data files of its snapshot and the state
// of every partition.
func (h *harness) checkIcebergTable(tenant, name string, ident table.Identifier, offs icetable.Offsets, files []sink.DataFile, states map[int32]*sink.State) {
	h.t.Helper()
	tables := h.iceTables()
	maxRow := map[int32]int64{}
	inSnapshot := map[string]bool{}
	for _, f := range files {
		inSnapshot[f.Path] = true
		if v, ok := maxRow[f.Partition]; !ok || f.Last > v {
			maxRow[f.Partition] = f.Last
		}
	}
	for key := range offs {
		topic, p, ok := strings.Cut(key, "/")
		n, err := strconv.Atoi(p)
		if !ok || err != nil || topic != h.topic || n < 0 || n >= int(h.setup.partitions) {
			h.t.Errorf("iceberg table %v: landerd.offsets names %q, not a partition of %s", ident, key, h.topic)
		}
	}
	for p := range h.setup.partitions {
		next := offs.Next(h.topic, p)
		st := states[p]
		last := int64(-1)
		touched := false
		if st != nil {
			last = st.Last
			touched = slices.ContainsFunc(st.Files, func(f sink.StateFile) bool {
				ft, err := tables.TenantOf(f)
				return err == nil && f.Table == name && ft == tenant
			})
		}
		switch {
		case touched && next != last+1:
			h.t.Errorf("iceberg table %v, partition %d: landerd.offsets says %d, the lake's last flush (..%d) has files of it: want %d", ident, p, next, last, last+1)
		case next > last+1:
			h.t.Errorf("iceberg table %v, partition %d: landerd.offsets says %d, beyond the lake's last flush (..%d)", ident, p, next, last)
		}
		if m, ok := maxRow[p]; ok && m >= next {
			h.t.Errorf("iceberg table %v, partition %d: rows up to offset %d, landerd.offsets says %d", ident, p, m, next)
		}
	}
	var unlisted []string
	if err := lakecheck.WalkFiles(h.lake(), tables.TenantDataDir(tenant, name), func(f string) {
		if !inSnapshot[f] && !h.compacted.accounts(f) {
			unlisted = append(unlisted, f)
		}
	}); err != nil {
		h.t.Fatal(err)
	}
	if len(unlisted) > 0 {
		h.t.Errorf("iceberg table %v: %d files in its data folder are not in its current snapshot, e.g. %s", ident, len(unlisted), unlisted[0])
	}
}

// iceTenants are the tenants whose tables the lake may hold: "" (the
// tables without tenancy) and every tenant with a folder.
func (h *harness) iceTenants() []string {
	h.t.Helper()
	found, err := h.iceTables().Tenants(h.lake())
	if err != nil {
		h.t.Fatal(err)
	}
	return append([]string{""}, found...)
}

// tenantsFiles are those of files in tenant's table ("" without tenancy).
func tenantsFiles(files []sink.DataFile, tenant string) []sink.DataFile {
	var out []sink.DataFile
	for _, f := range files {
		if t, _ := sink.TenantOf(f.Hive); t == tenant {
			out = append(out, f)
		}
	}
	return out
}

// readerCatalog returns an iceberg-go SQL catalog of the test's own on
// the catalog's database, to read the tables as another program would;
// the test's cleanup closes its connections.
func (h *harness) readerCatalog() (catalog.Catalog, error) {
	if h.iceCat != nil {
		return h.iceCat, nil
	}
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(h.pg.DSN())))
	cat, err := sqlcat.NewCatalog("landerd", db, sqlcat.Postgres, nil)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	h.t.Cleanup(func() { _ = db.Close() })
	h.iceCat = cat
	return cat, nil
}

// waitIcebergCommitted waits until every table's landerd.offsets has
// caught up with the lake's state (see checkIcebergTables) for every
// partition, or fails the test after limit.
func (h *harness) waitIcebergCommitted(ctx context.Context, limit time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		behind, err := h.icebergBehind(ctx)
		if err == nil && len(behind) == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("after %s the iceberg tables are behind the lake: %v (%v)", limit, behind, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// icebergBehind lists the (table, partition) whose last published flush
// the table does not hold yet.
func (h *harness) icebergBehind(ctx context.Context) ([]string, error) {
	cat, err := h.readerCatalog()
	if err != nil {
		return nil, err
	}
	tables := h.iceTables()
	type ref struct{ tenant, table string }
	offs := map[ref]icetable.Offsets{}
	for _, tenant := range h.iceTenants() {
		for _, name := range icetable.TableNames() {
			tbl, err := cat.LoadTable(ctx, table.Identifier{tables.NamespaceOf(tenant), name})
			if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if offs[ref{tenant, name}], err = icetable.CommittedOffsets(tbl); err != nil {
				return nil, err
			}
		}
	}
	var behind []string
	for p := range h.setup.partitions {
		st, err := sink.ReadState(h.lake(), h.topic, p)
		if err != nil {
			return nil, err
		}
		if st == nil {
			continue
		}
		for _, f := range st.Files {
			tenant, err := tables.TenantOf(f)
			if err != nil {
				return nil, err
			}
			if offs[ref{tenant, f.Table}].Next(h.topic, p) < st.Last+1 {
				behind = append(behind, fmt.Sprintf("%s.%s/%d", tables.NamespaceOf(tenant), f.Table, p))
			}
		}
	}
	return behind, nil
}

// TestSIGKILLExactlyOnceIcebergRealKafka is TestSIGKILLExactlyOnceRealKafka
// with lake.format iceberg on a PostgreSQL SQL catalog, at the -short size
// of the Hive run (8,000 attempts, two SIGKILLs; -short: 5,000, one), with
// three tenants, each in tables of its own. The lake is read back through
// the catalog: each tenant's tables' current snapshots.
func TestSIGKILLExactlyOnceIcebergRealKafka(t *testing.T) {
	total := 8000
	kills := []killMoment{killAfterFlush, killAtRandom}
	if testing.Short() {
		total = 5000
		kills = []killMoment{killAfterFlush}
	}
	ks := kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming}
	sigkillExactlyOnceOn(t, ks, lakeIceberg, total, kills)
}

// TestRebalanceUnderLoadIcebergRealKafka is TestRebalanceUnderLoadRealKafka
// with lake.format iceberg, smaller: 10,000 attempts (-short: 8,000, the
// Hive run's -short size). Fewer would arrive in under 5 s, landed before
// the members move, and the scenario requires some partition published by
// two processes.
func TestRebalanceUnderLoadIcebergRealKafka(t *testing.T) {
	total := 10000
	if testing.Short() {
		total = 8000
	}
	ks := kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming}
	rebalanceUnderLoadOn(t, ks, lakeIceberg, total)
}

// TestBrokerFailureIcebergRealKafka is TestBrokerFailureRealKafka with
// lake.format iceberg, at its -short size (8,000 attempts; -short: 5,000).
func TestBrokerFailureIcebergRealKafka(t *testing.T) {
	total := 8000
	if testing.Short() {
		total = 5000
	}
	brokerFailure(t, lakeIceberg, total)
}

// TestCatalogRestartIcebergRealKafka stops the catalog's PostgreSQL for
// 20 seconds while a daemon lands from Apache Kafka, then starts it again.
// While it is down, commits fail with a log line naming the flush and the
// iceberg table, /readyz answers 503 naming the catalog, and no offset is
// committed to Kafka; once it is back the daemon turns ready and lands the
// rest, every record exactly once in the tables.
func TestCatalogRestartIcebergRealKafka(t *testing.T) {
	seed := testSeed(t)
	total := 12000
	if testing.Short() {
		total = 6000
	}
	ks := kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming}
	s := setup{partitions: 4, maxFileRecords: 1000, maxFileAge: time.Second, shutdown: 10 * time.Second, backend: lakeIceberg, kafka: ks}
	h := newHarness(t, s, seed)
	ctx := t.Context()
	if err := h.produce(ctx, total/4); err != nil {
		t.Fatal(err)
	}
	// Records arrive through the outage and after it, about 60 s in all.
	prod := h.startProducer(ctx, total-total/4, max(1, (total-total/4)/300), 200*time.Millisecond)
	metricsAddr := freeAddr(t)
	d := startDaemon(t, h, "landerd", "LANDERD_METRICS_ADDR="+metricsAddr)
	d.waitAssigned(t, time.Minute)
	if _, ok := d.waitLog(0, time.Minute, isMsg(msgFlushPublished)); !ok {
		t.Fatalf("%s published nothing within a minute\n%s", d.name, d.tail(20))
	}
	readyz := func() (int, string) { return httpGet(t, "http://"+metricsAddr+"/readyz") }
	waitFor(t, 30*time.Second, "ready before the outage", func() bool { code, _ := readyz(); return code == 200 })

	from := d.lineCount()
	if err := h.pg.Stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	t.Logf("PostgreSQL stopped")
	commitFailed := func(l logLine) bool {
		return strings.Contains(l.Error, "commit flush ") && strings.Contains(l.Error, "to iceberg table ") ||
			strings.Contains(l.Error, "roll the last flush forward into the tables")
	}
	if _, ok := d.waitLog(from, time.Minute, commitFailed); !ok {
		t.Fatalf("no log line of a failed iceberg commit within a minute of the catalog's stop\n%s", d.tail(20))
	}
	failed := d.logs(commitFailed)[0]
	t.Logf("%.1fs after the stop: %s: %s", time.Since(down).Seconds(), failed.Msg, failed.Error)
	var body string
	waitFor(t, time.Minute, "/readyz naming the catalog", func() bool {
		code, b := readyz()
		body = b
		return code == 503 && strings.Contains(b, "iceberg catalog unreachable: ")
	})
	t.Logf("%.1fs after the stop /readyz says: %s", time.Since(down).Seconds(), strings.TrimSpace(body))
	before := h.committed(ctx)
	time.Sleep(time.Until(down.Add(20 * time.Second)))
	if after := h.committed(ctx); !maps.Equal(before, after) {
		t.Errorf("offsets committed to Kafka while the catalog was down: %v, then %v", before, after)
	}
	if code, b := readyz(); code != 503 || !strings.Contains(b, "iceberg catalog unreachable: ") {
		t.Errorf("/readyz at the end of the outage: %d %q", code, b)
	}
	if err := h.pg.Start(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	t.Logf("PostgreSQL started after %.1fs down", up.Sub(down).Seconds())
	waitFor(t, 2*time.Minute, "ready again", func() bool { code, _ := readyz(); return code == 200 })
	t.Logf("ready again %.1fs after PostgreSQL started", time.Since(up).Seconds())

	prod.finish(t)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, d)
	h.waitIcebergCommitted(ctx, time.Minute)
	if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
		t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", d.name, code, d.exitError())
	}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s", sum)
}

// TestConcurrentCommitsIcebergRealKafka lands 12 partitions with three
// daemons committing to the same three tables at once: their commits
// conflict, each conflict is retried on the new base and counted in
// landerd_iceberg_commit_conflicts_total, and every record is in the
// tables exactly once.
func TestConcurrentCommitsIcebergRealKafka(t *testing.T) {
	seed := testSeed(t)
	total := 24000
	if testing.Short() {
		total = 12000
	}
	ks := kafkaSetup{cluster: &kafkacluster.Config{}, timing: realShortTiming}
	s := setup{partitions: 12, maxFileRecords: 1000, maxFileAge: time.Second, shutdown: 10 * time.Second, backend: lakeIceberg, kafka: ks}
	h := newHarness(t, s, seed)
	ctx := t.Context()
	if err := h.produce(ctx, total/4); err != nil {
		t.Fatal(err)
	}
	prod := h.startProducer(ctx, total-total/4, max(1, (total-total/4)/150), 200*time.Millisecond)
	var daemons []*daemon
	var addrs []string
	for i := range 3 {
		addr := freeAddr(t)
		addrs = append(addrs, addr)
		daemons = append(daemons, startDaemon(t, h, fmt.Sprintf("landerd-%d", i), "LANDERD_METRICS_ADDR="+addr))
	}
	for _, d := range daemons {
		d.waitAssigned(t, time.Minute)
	}
	prod.finish(t)
	h.waitLanded(h.endOffsets(ctx), 3*time.Minute, daemons...)
	h.waitIcebergCommitted(ctx, time.Minute)
	var conflicts float64
	for i, addr := range addrs {
		n := scrapeSum(t, "http://"+addr+"/metrics", "landerd_iceberg_commit_conflicts_total")
		t.Logf("%s: %v commit conflicts, %d flushes published", daemons[i].name, n, len(daemons[i].logs(isMsg(msgFlushPublished))))
		conflicts += n
	}
	if conflicts == 0 {
		t.Errorf("three replicas committing 12 partitions to the same tables counted no conflict")
	}
	for _, d := range daemons {
		if code, _ := d.stop(t, s.shutdown+2*time.Second); code != 0 {
			t.Fatalf("%s: exit code %d after SIGTERM, want 0 (%v)", d.name, code, d.exitError())
		}
	}
	sum := h.checkExactlyOnce(context.Background())
	t.Logf("lake: %s; %v commit conflicts in all", sum, conflicts)
}

// scrapeSum returns the sum of every series of the metric family name at
// url.
func scrapeSum(t *testing.T, url, name string) float64 {
	t.Helper()
	code, body := httpGet(t, url)
	if code != 200 {
		t.Fatalf("%s: %d", url, code)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	fam, ok := fams[name]
	if !ok {
		t.Fatalf("%s: no %s", url, name)
	}
	var sum float64
	for _, m := range fam.GetMetric() {
		sum += m.GetCounter().GetValue()
	}
	if math.IsNaN(sum) {
		t.Fatalf("%s: %s is NaN", url, name)
	}
	return sum
}

// waitFor polls cond every 200 ms until it holds, or fails the test
// after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s within %s", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
