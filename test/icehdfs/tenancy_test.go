package icehdfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/iceio"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/system/minidfs"
)

// The users and groups of the tenancy test: landerd's user writes, alice
// reads for tenant a, bob for tenant b.
const (
	iceLanderd = "ice-landerd"
	iceAlice   = "ice-alice"
	iceBob     = "ice-bob"
	iceFirm    = "ice-firm"
)

// iceTenantGroups are the tenants and their groups.
var iceTenantGroups = map[string]string{"a": "ice-a-readers", "b": "ice-b-readers"}

// TestTenantIsolation lands two tenants into Iceberg tables on Apache
// HDFS with permission checking, through the SQL catalog, as a user of
// the firm's group and both tenants' groups; compacts every table, expires
// the snapshots and removes the orphan files (upkeepTenants); then reads
// them as each
// tenant's user, as `landerd report --tenant` does: a tenant's user gets
// its own tables' report, equal to the one landerd's user reads, and is
// refused another tenant's tables (their metadata and data files) and
// the list of tenants.
func TestTenantIsolation(t *testing.T) {
	f := newFixture(t, config.CatalogSQL, 2)
	c := shared(t)
	for user, gs := range map[string][]string{
		iceLanderd: {iceFirm, iceTenantGroups["a"], iceTenantGroups["b"]},
		iceAlice:   {iceTenantGroups["a"]},
		iceBob:     {iceTenantGroups["b"]},
	} {
		if err := c.SetUserGroups(user, gs...); err != nil {
			t.Fatalf("HDFS users: %v", err)
		}
	}
	root := fmt.Sprintf("/lake-tenants-%d", lakeSeq.Add(1))
	if err := c.Mkdir(root, iceLanderd, iceFirm, 0o751); err != nil {
		t.Fatalf("lake root: %v", err)
	}
	f.cfg.Lake.URL = c.URL() + root
	f.cfg.HDFS.User, f.cfg.HDFS.Group = iceLanderd, iceFirm
	f.cfg.Tenancy = config.Tenancy{Source: config.TenantSourceHeader, Header: "tenant"}
	for _, tn := range []string{"a", "b"} {
		f.cfg.Tenancy.Tenants = append(f.cfg.Tenancy.Tenants, config.Tenant{Name: tn, Group: iceTenantGroups[tn]})
	}
	if err := f.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	fsys, err := lake.Open(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fsys.Close() })
	unregister, err := iceio.Register(fsys)
	if err != nil {
		t.Fatal(err)
	}
	f.lake = fsys

	wtb := f.tables(t, prometheus.NewRegistry(), false)
	stop := f.run(t, "landerd", wtb)
	tenantOf := func(i int) []fakekafka.Header {
		return []fakekafka.Header{{Key: "tenant", Value: []byte([]string{"a", "b"}[i%2])}}
	}
	tb := f.tables(t, prometheus.NewRegistry(), true)
	ctx := context.Background()
	reportOf := func(tb *icetable.Tables, lake sink.ReadFS, tenant string) (*report.Report, error) {
		files, err := tb.ReportFiles(ctx, lake, tenant)
		if err != nil {
			return nil, err
		}
		opts := report.DefaultOptions()
		opts.Tenant = tenant
		return report.ReadFiles(ctx, lake, files, opts, memory.DefaultAllocator)
	}
	// Six rounds, each landed before the next: every tenant's tables get
	// a file per round and partition, enough to compact.
	const rounds, perRound = 6, 100
	for i := range rounds {
		f.produce(t, perRound, tenantOf)
		deadline := time.Now().Add(2 * time.Minute)
		for {
			all, err := reportOf(tb, fsys, "")
			if err == nil && all.Raw.Attempts+all.QuarantinedRows == int64((i+1)*perRound) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the tenants' tables do not hold the %d records within 2 minutes (%v)", (i+1)*perRound, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	stop()
	before := map[string]*report.Report{}
	for _, tn := range []string{"a", "b"} {
		if before[tn], err = reportOf(tb, fsys, tn); err != nil {
			t.Fatal(err)
		}
	}
	f.upkeepTenants(t, c, wtb, root)
	want := map[string]*report.Report{}
	for _, tn := range []string{"a", "b"} {
		if want[tn], err = reportOf(tb, fsys, tn); err != nil {
			t.Fatal(err)
		}
		counts := func(r *report.Report) [7]int64 {
			return [7]int64{r.Raw.Attempts, r.Raw.Assessments, r.Raw.CourseAttempts, r.Raw.Scored, r.Raw.Passed, r.Raw.Timed, r.QuarantinedRows}
		}
		if w, b := want[tn], before[tn]; counts(w) != counts(b) || w.Files >= b.Files {
			t.Errorf("tenant %s's report after the upkeep: %+v, %d quarantined, %d files; before: %+v, %d quarantined, %d files",
				tn, w.Raw, w.QuarantinedRows, w.Files, b.Raw, b.QuarantinedRows, b.Files)
		}
	}
	metaB := tb.TenantDataDir("b", "attempts")
	metaB = strings.TrimSuffix(metaB, "/data") + "/metadata"
	infos, err := fsys.ReadDir(metaB)
	if err != nil || len(infos) == 0 {
		t.Fatalf("tenant b's metadata folder %s: %d entries, %v", metaB, len(infos), err)
	}
	metaFileB := metaB + "/" + infos[0].Name()
	unregister() // from here on the tenants' users read, through lakes of their own

	for user, tenant := range map[string]string{iceAlice: "a", iceBob: "b"} {
		other := map[string]string{"a": "b", "b": "a"}[tenant]
		cfg := f.cfg
		cfg.HDFS.User = user
		ro, err := lake.OpenReadOnly(cfg)
		if err != nil {
			t.Fatal(err)
		}
		unreg, err := iceio.Register(ro)
		if err != nil {
			t.Fatal(err)
		}
		conf, err := icetable.ConfigOf(cfg, true)
		if err != nil {
			t.Fatal(err)
		}
		rtb := icetable.New(conf, zap.NewNop(), metrics.NewIceberg(prometheus.NewRegistry(), nil))
		got, err := reportOf(rtb, ro, tenant)
		if err != nil {
			t.Errorf("%s reads tenant %s's tables: %v", user, tenant, err)
		} else if got.Raw.Attempts == 0 || got.Raw.Attempts != want[tenant].Raw.Attempts || got.QuarantinedRows != want[tenant].QuarantinedRows {
			t.Errorf("%s: tenant %s's report has %d attempts, %d quarantined; landerd's user reads %d and %d", user, tenant,
				got.Raw.Attempts, got.QuarantinedRows, want[tenant].Raw.Attempts, want[tenant].QuarantinedRows)
		}
		if _, err := reportOf(rtb, ro, other); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("%s reads tenant %s's tables: %v, want a permission error", user, other, err)
		}
		if _, err := reportOf(rtb, ro, ""); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("%s lists the tenants: %v, want a permission error", user, err)
		}
		if tenant == "a" {
			if _, err := ro.Stat(metaFileB); !errors.Is(err, fs.ErrPermission) {
				t.Errorf("%s stats tenant b's metadata file %s: %v, want a permission error", user, metaFileB, err)
			}
		}
		t.Logf("%s: tenant %s's report %d attempts, %d quarantined; tenant %s's refused", user, tenant, got.Raw.Attempts, got.QuarantinedRows, other)
		unreg()
		_ = rtb.Close()
		_ = ro.Close()
	}
}

// upkeepTenants compacts every table of the lake under root on cluster c,
// expires all the snapshots it may, ages every file by four days and
// removes the orphans, as landerd's user: each tenant's attempts must be
// rewritten into files of the tenant's group and mode, and lose files to
// the removal, but keep those the partitions' states name.
func (f *fixture) upkeepTenants(t *testing.T, c *minidfs.Cluster, tb *icetable.Tables, root string) {
	t.Helper()
	ctx := context.Background()
	targets, err := tb.Targets(ctx, f.lake, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		cmp, err := tb.Compact(ctx, tg, icetable.CompactOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tg.Table == flatten.TableAttempts && tg.Tenant != sink.UnassignedTenant && cmp.Snapshot == 0 {
			t.Errorf("tenant %s's attempts: nothing compacted of %d files", tg.Tenant, cmp.FilesBefore)
		}
		if _, err := tb.Expire(ctx, tg, icetable.ExpireOptions{OlderThan: time.Nanosecond}); err != nil {
			t.Fatal(err)
		}
	}
	for tn, group := range iceTenantGroups {
		files, err := tb.TenantFiles(ctx, tn, flatten.TableAttempts)
		if err != nil || len(files) == 0 {
			t.Fatalf("tenant %s's attempts: %d files, %v", tn, len(files), err)
		}
		for _, name := range files {
			st, err := c.Stat(root + "/" + name)
			if err != nil {
				t.Fatal(err)
			}
			if st.Group != group || st.Mode != 0o640 {
				t.Errorf("tenant %s's compacted file %s: group %s, mode %o; want %s, 640", tn, name, st.Group, st.Mode, group)
			}
		}
		t.Logf("tenant %s's attempts: %d files after the compaction, group %s", tn, len(files), group)
	}
	if err := c.Age(root, 4*24*time.Hour); err != nil {
		t.Fatalf("Apache HDFS: %v", err)
	}
	for _, tg := range targets {
		o, err := tb.RemoveOrphans(ctx, f.lake, tg, icetable.OrphanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tg.Table == flatten.TableAttempts && tg.Tenant != sink.UnassignedTenant && (o.Deleted == 0 || o.Spared == 0) {
			t.Errorf("tenant %s's attempts: remove-orphans %+v; want files deleted and the states' spared", tg.Tenant, o)
		}
		t.Logf("%s.%s: %d orphan files deleted, %d spared", o.Namespace, o.Table, o.Deleted, o.Spared)
	}
}
