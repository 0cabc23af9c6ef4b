package iceberg

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
)

// The tenants of the tenancy test; "acme-corp" needs quoting in SQL.
var tenants = []string{"pearson", "acme-corp"}

// TestTenancy lands two tenants, named by a record header, and records of
// no tenant into Iceberg tables, and compares the reports through the
// tables, one per tenant and the whole lake's, with those of the same
// records landed in the Hive layout with the same tenancy. Each tenant's
// tables are in a namespace of their own under its folder, and the
// records of no tenant are in a _quarantine table alone.
func TestTenancy(t *testing.T) {
	f := newFixture(t, 3)
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
		produced += f.produceTenants(t, 600)
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
	if _, err := tb.ReportFiles(ctx, f.lake, "initech"); !errors.Is(err, report.ErrNoTenantData) {
		t.Errorf("report of a tenant without data: %v, want ErrNoTenantData", err)
	}
}

// produceTenants sends n generated records round-robin over the
// partitions, naming the tenants in turn in their tenant header; every
// tenth has no header. It returns n.
func (f *fixture) produceTenants(t *testing.T, n int) int {
	t.Helper()
	f.produceWith(t, n, func(i int, r *fakekafka.Record, want *flatten.Reason) {
		if i%10 != 9 {
			r.Headers = []fakekafka.Header{{Key: "tenant", Value: []byte(tenants[i%len(tenants)])}}
		} else if *want == "" {
			*want = flatten.ReasonTenantMissing
		}
	})
	return n
}
