package iceberg

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
	"github.com/landerd/landerd/test/kit/sinktest"
)

// The tenants of the tenancy test; "acme-corp" needs quoting in SQL.
var tenants = []string{"pearson", "acme-corp"}

// TestTenancy lands two tenants, named by a record header, and records of
// no tenant into Iceberg tables, and compares the reports through the
// tables, one per tenant and the whole lake's, with those of the same
// records landed in the Hive layout with the same tenancy. Each tenant's
// tables are in a namespace of their own under its folder, and the
// records of no tenant are in a _quarantine table alone. Before the
// reports the tables are compacted, one tenant's first, then all.
func TestTenancy(t *testing.T) { testTenancy(t, config.PartitionByIngestDate) }

// TestTenancyEventDate is TestTenancy under lake.partition_by event_date,
// with one in seven good attempts without started_at: each tenant's
// attempts table has files in the null partition, in the tenant's folder.
func TestTenancyEventDate(t *testing.T) { testTenancy(t, config.PartitionByEventDate) }

func testTenancy(t *testing.T, by config.PartitionBy) {
	f := newFixture(t, 3)
	f.cfg.Lake.PartitionBy = by
	if by == config.PartitionByEventDate {
		// Four days of started_at: the generator's 68 would roll a flush
		// every 20 records or so (maxOpenHives), each one a commit per
		// tenant and table.
		f.gen = attemptgen.New(attemptgen.Config{Seed: 7, BadRate: 0.05, Span: 4 * 24 * time.Hour})
	}
	f.cfg.Tenancy = config.Tenancy{Source: config.TenantSourceHeader, Header: "tenant"}
	group := sinktest.LocalGroup(t)
	for _, tn := range tenants {
		f.cfg.Tenancy.Tenants = append(f.cfg.Tenancy.Tenants, config.Tenant{Name: tn, Group: group})
	}
	f.cfg.HDFS = config.Default().HDFS
	if err := f.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	stop := f.run(t, "a", f.tables(t, prometheus.NewRegistry(), nil))
	produced := 0
	for range 3 {
		produced += f.produceTenants(t, 600, by == config.PartitionByEventDate)
		time.Sleep(200 * time.Millisecond)
	}
	tb := f.tables(t, prometheus.NewRegistry(), nil)
	ctx := context.Background()
	read := func(tenant string) *report.Report {
		t.Helper()
		files, err := tb.ReportFiles(ctx, f.lake, tenant)
		if err != nil {
			t.Fatalf("report files of tenant %q: %v", tenant, err)
		}
		opts := report.DefaultOptions()
		opts.Tenant = tenant
		rep, err := report.ReadFiles(ctx, f.lake, files, opts, memory.DefaultAllocator)
		if err != nil {
			t.Fatalf("report of tenant %q: %v", tenant, err)
		}
		return rep
	}
	deadline := time.Now().Add(time.Minute)
	for {
		files, err := tb.ReportFiles(ctx, f.lake, "")
		if err == nil {
			all := read("")
			if all.Raw.Attempts+all.QuarantinedRows == int64(produced) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the iceberg tables do not hold the %d records produced within a minute (%v, %d files)", produced, err, len(files.Attempts))
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop()
	f.compactTenants(t, tb)
	hive := f.landHive(t)

	for _, tenant := range append([]string{""}, tenants...) {
		got := read(tenant)
		opts := report.DefaultOptions()
		opts.Tenant = tenant
		want, err := report.Read(ctx, hive, opts, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		if got.Raw.Attempts == 0 || !equalFigures(got, want) || got.UnassignedRows != want.UnassignedRows ||
			got.MultiTenant != want.MultiTenant || !slices.Equal(got.Tenants, want.Tenants) || got.Tenant != want.Tenant {
			t.Errorf("tenant %q: report through the iceberg tables differs from the hive lake's:\n got %+v\nwant %+v", tenant, got, want)
		}
		t.Logf("tenant %q: %d attempts, %d quarantined (%d of no tenant), tenants %v", tenant, got.Raw.Attempts, got.QuarantinedRows, got.UnassignedRows, got.Tenants)
	}

	// The catalog: a namespace per tenant, its tables located in its
	// folder; records of no tenant have a _quarantine table only.
	cat := f.reader(t)
	for _, tenant := range append(slices.Clone(tenants), sink.UnassignedTenant) {
		for _, name := range []string{flatten.TableAttempts, flatten.TableQuestions, flatten.TableQuarantine} {
			ident := table.Identifier{tb.NamespaceOf(tenant), name}
			tbl, err := cat.LoadTable(ctx, ident)
			if tenant == sink.UnassignedTenant && name != flatten.TableQuarantine {
				if !errors.Is(err, catalog.ErrNoSuchTable) {
					t.Errorf("table %v: %v, want no such table", ident, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("table %v: %v", ident, err)
			}
			if want := "file://" + f.cfg.Lake.URL + "/" + tb.TenantDataDir(tenant, name); tbl.Location()+"/data" != want {
				t.Errorf("table %v: location %s, want %s", ident, tbl.Location(), want)
			}
		}
	}
	if _, err := cat.LoadTable(ctx, table.Identifier{f.cfg.Lake.Iceberg.Namespace, flatten.TableAttempts}); !errors.Is(err, catalog.ErrNoSuchTable) && !errors.Is(err, catalog.ErrNoSuchNamespace) {
		t.Errorf("the namespace without tenancy has an attempts table (%v): records landed outside their tenant's tables", err)
	}
	if by == config.PartitionByEventDate {
		for _, tenant := range tenants {
			files, err := tb.TenantFiles(ctx, tenant, flatten.TableAttempts)
			if err != nil {
				t.Fatal(err)
			}
			nulls := 0
			for _, file := range files {
				if strings.HasPrefix(file, tb.TenantDataDir(tenant, flatten.TableAttempts)+"/"+sink.NullPartition("event_date")+"/") {
					nulls++
				}
			}
			if nulls == 0 {
				t.Errorf("tenant %s: no attempts file in the null partition among %d", tenant, len(files))
			}
		}
	}
	if _, err := tb.ReportFiles(ctx, f.lake, "initech"); !errors.Is(err, report.ErrNoTenantData) {
		t.Errorf("report of a tenant without data: %v, want ErrNoTenantData", err)
	}
}

// produceTenants sends n generated records round-robin over the
// partitions, naming the tenants in turn in their tenant header; every
// tenth has no header. With nullStarts one in seven good attempts has no
// started_at. It returns n.
func (f *fixture) produceTenants(t *testing.T, n int, nullStarts bool) int {
	t.Helper()
	f.produceWith(t, n, func(i int, r *fakekafka.Record, want *flatten.Reason) {
		if nullStarts && *want == "" && i%7 == 3 {
			r.Value = startedAt.ReplaceAll(r.Value, []byte(`"started_at":null`))
		}
		if i%10 != 9 {
			r.Headers = []fakekafka.Header{{Key: "tenant", Value: []byte(tenants[i%len(tenants)])}}
		} else if *want == "" {
			*want = flatten.ReasonTenantMissing
		}
	})
	return n
}

// compactTenants compacts the first tenant's tables alone, then every
// table of the lake (the other tenant's, and the _quarantine of records of
// no tenant), as landerd compact --tenant and without it do, and checks
// that each compacted file is in its tenant's folder with the group of
// the files landerd landed beside it.
func (f *fixture) compactTenants(t *testing.T, tb *icetable.Tables) {
	t.Helper()
	ctx := context.Background()
	compact := func(tenant string) []icetable.Compaction {
		t.Helper()
		targets, err := tb.Targets(ctx, f.lake, tenant, "")
		if err != nil {
			t.Fatal(err)
		}
		var out []icetable.Compaction
		for _, tg := range targets {
			if tenant != "" && tg.Tenant != tenant {
				t.Errorf("--tenant %s: compacting %+v", tenant, tg)
			}
			c, err := tb.Compact(ctx, tg, icetable.CompactOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s.%s: %d files before, %d groups, %d rewritten into %d, %d after", c.Namespace, c.Table, c.FilesBefore, len(c.Groups), c.Rewritten, c.Added, c.FilesAfter)
			out = append(out, c)
		}
		return out
	}
	first := compact(tenants[0])
	if len(first) != 3 {
		t.Fatalf("tenant %s: %d tables compacted, want its 3", tenants[0], len(first))
	}
	all := compact("")
	if len(all) != 3*len(tenants)+1 {
		t.Fatalf("%d tables compacted, want every tenant's 3 and the unassigned _quarantine", len(all))
	}
	rewritten := 0
	for _, c := range slices.Concat(first, all) {
		rewritten += c.Rewritten
	}
	if rewritten == 0 {
		t.Fatal("nothing compacted")
	}
	for _, tenant := range tenants {
		dir := tb.TenantDataDir(tenant, flatten.TableAttempts)
		files, err := tb.TenantFiles(ctx, tenant, flatten.TableAttempts)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if !strings.HasPrefix(file, dir+"/") {
				t.Errorf("tenant %s: data file %s outside its folder %s", tenant, file, dir)
			}
			if !lakecheck.IsCompacted(path.Base(file)) {
				continue
			}
			got, want := fileGID(t, filepath.Join(f.cfg.Lake.URL, file)), fileGID(t, filepath.Join(f.cfg.Lake.URL, path.Dir(file)))
			if got != want {
				t.Errorf("tenant %s: compacted file %s has group %d, its folder %d", tenant, file, got, want)
			}
		}
	}
}

// fileGID is the group id of a local file.
func fileGID(t *testing.T, name string) uint32 {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Fatalf("%s: no owner", name)
	}
	return st.Gid
}
