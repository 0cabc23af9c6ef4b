package report

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// guardedFS is a lake whose table directories may be entered but not
// listed, as HDFS shows a 0751 table directory to a tenant's reader. It
// records every directory listed.
type guardedFS struct {
	sink.ReadFS
	mu     sync.Mutex
	listed []string
	denied map[string]bool
}

func (g *guardedFS) ReadDir(name string) ([]fs.FileInfo, error) {
	g.mu.Lock()
	g.listed = append(g.listed, name)
	g.mu.Unlock()
	if g.denied[name] {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrPermission}
	}
	return g.ReadFS.ReadDir(name)
}

// tenantLake writes a multi-tenant lake: tenant a with three attempts (one
// a resend) in two days and two quarantined rows, tenant b with one
// attempt, and one quarantined row of no tenant.
func tenantLake(t *testing.T, mem memory.Allocator) sink.FS {
	t.Helper()
	lake, err := sink.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	write := func(tenant, day string, rows []row) {
		rec := attemptRecord(t, mem, rows)
		defer rec.Release()
		writeFile(t, lake, mem, flatten.TableAttempts, "tenant="+tenant+"/ingest_date="+day,
			flatten.AttemptsTable.Schema, rec, rows[0].off, rows[len(rows)-1].off)
	}
	write("a", "2026-01-01", []row{
		{keen: "a1", exam: s("Git"), base: s("b1"), score: f(0.9), dur: f(60), topic: "t", off: 0},
		{keen: "a2", exam: s("Go"), base: s("b2"), score: f(0.5), dur: f(30), topic: "t", off: 2},
	})
	write("a", "2026-01-02", []row{{keen: "a1", exam: s("Git"), base: s("b1"), score: f(0.9), dur: f(60), topic: "t", off: 3}})
	write("b", "2026-01-01", []row{{keen: "b1", exam: s("Rust"), base: s("b3"), score: f(0.75), dur: f(90), topic: "t", off: 1}})
	for tenant, n := range map[string]int{"a": 2, sink.UnassignedTenant: 1} {
		q := quarantineRecord(t, mem, n)
		writeFile(t, lake, mem, flatten.TableQuarantine, "tenant="+tenant+"/ingest_date=2026-01-01",
			flatten.QuarantineTable.Schema, q, 2, int64(1+n))
		q.Release()
	}
	// Neither landerd's state nor a foreign file is data.
	if err := lake.MkdirAll(path.Join(flatten.TableAttempts, "tenant=a", "_tmp")); err != nil {
		t.Fatal(err)
	}
	return lake
}

func TestReadTenant(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lake := tenantLake(t, mem)
	ctx := context.Background()
	opts := Options{PassThreshold: 0.7, Course: "Git", RankingSize: 5}

	// Tenant a, read by a user who may list neither table directory nor
	// the root.
	guarded := &guardedFS{ReadFS: lake, denied: map[string]bool{
		".": true, flatten.TableAttempts: true, flatten.TableQuarantine: true,
	}}
	aOpts := opts
	aOpts.Tenant = "a"
	rep, err := Read(ctx, guarded, aOpts, mem)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range guarded.listed {
		if !strings.HasPrefix(dir, "attempts/tenant=a") && !strings.HasPrefix(dir, "_quarantine/tenant=a") {
			t.Errorf("tenant a's report listed %s", dir)
		}
	}
	if rep.Tenant != "a" || !rep.MultiTenant || !slices.Equal(rep.Tenants, []string{"a"}) ||
		rep.Files != 2 || rep.QuarantinedRows != 2 || rep.UnassignedRows != 0 {
		t.Errorf("tenant a: tenant %q, multi %v, tenants %v, files %d, quarantined %d, unassigned %d; want a, true, [a], 2, 2, 0",
			rep.Tenant, rep.MultiTenant, rep.Tenants, rep.Files, rep.QuarantinedRows, rep.UnassignedRows)
	}
	checkFigures(t, rep.Dedup, Figures{
		Basis: BasisDedup, Attempts: 2, Assessments: 2, Topics: []TopicCount{{"t", 2}}, CourseAttempts: 1, Courses: 2,
		MostTaken:  []CourseRank{{1, "Git", 1}, {1, "Go", 1}},
		LeastTaken: []CourseRank{{1, "Git", 1}, {1, "Go", 1}},
		Scored:     2, AvgScore: f(0.7), Passed: 1, PassShare: f(0.5), Timed: 2, AvgDurationSeconds: f(45),
	})
	if rep.Raw.Attempts != 3 {
		t.Errorf("tenant a raw attempts %d, want 3", rep.Raw.Attempts)
	}

	// The whole lake: both tenants and the quarantined rows of no tenant.
	all, err := Read(ctx, lake, opts, mem)
	if err != nil {
		t.Fatal(err)
	}
	if all.Tenant != "" || !all.MultiTenant || !slices.Equal(all.Tenants, []string{"a", "b"}) ||
		all.Files != 3 || all.QuarantinedRows != 3 || all.UnassignedRows != 1 ||
		all.Raw.Attempts != 4 || all.Dedup.Attempts != 3 || all.Dedup.Courses != 3 {
		t.Errorf("whole lake: %+v", all)
	}
	var text bytes.Buffer
	if err := all.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if want := "all tenants (2: a, b): the whole lake; 1 quarantined rows have no known tenant (tenant=_unassigned)\n"; !strings.Contains(text.String(), want) {
		t.Errorf("whole lake's text lacks %q:\n%s", want, text.String())
	}
	text.Reset()
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if want := "tenant a only: attempts/tenant=a and _quarantine/tenant=a\n"; !strings.Contains(text.String(), want) {
		t.Errorf("tenant a's text lacks %q:\n%s", want, text.String())
	}

	// The whole lake needs the table directories listed.
	if _, err := Read(ctx, guarded, opts, mem); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("whole lake without listing: err = %v, want permission denied", err)
	}
}

func TestReadTenantErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	multi := tenantLake(t, mem)
	single, err := sink.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rec := attemptRecord(t, mem, []row{{keen: "k", topic: "t"}})
	writeFile(t, single, mem, flatten.TableAttempts, "ingest_date=2026-01-01", flatten.AttemptsTable.Schema, rec, 0, 0)
	rec.Release()
	empty, err := sink.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		lake   sink.ReadFS
		tenant string
		want   error
		text   string
	}{
		{"unknown tenant", multi, "c", ErrNoTenantData, "no data file under attempts/tenant=c or _quarantine/tenant=c; tenants with attempts: a, b"},
		{"unknown tenant, tables not listable", &guardedFS{ReadFS: multi, denied: map[string]bool{"attempts": true}}, "c", ErrNoTenantData, "no data file under attempts/tenant=c or _quarantine/tenant=c"},
		{"no tenant of the unassigned", multi, sink.UnassignedTenant, ErrTenantName, `invalid tenant name "_unassigned"`},
		{"a path is no name", multi, "a/../b", ErrTenantName, "invalid tenant name"},
		{"upper case", multi, "Pearson", ErrTenantName, "invalid tenant name"},
		{"single-tenant lake", single, "a", ErrSingleTenant, "tenant a: the lake is single-tenant"},
		{"empty lake", empty, "a", ErrNoTenantData, "tenant a: the tenant has no data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.Tenant = tt.tenant
			rep, err := Read(context.Background(), tt.lake, opts, mem)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Read(tenant %q) = %v, %v; want %v containing %q", tt.tenant, rep, err, tt.want, tt.text)
			}
		})
	}
}

// TestReadSingleTenantUnchanged: a single-tenant lake reports no tenant.
func TestReadSingleTenantUnchanged(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lake, err := sink.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rec := attemptRecord(t, mem, []row{{keen: "k", topic: "t"}})
	writeFile(t, lake, mem, flatten.TableAttempts, "ingest_date=2026-01-01", flatten.AttemptsTable.Schema, rec, 0, 0)
	rec.Release()
	rep, err := Read(context.Background(), lake, DefaultOptions(), mem)
	if err != nil {
		t.Fatal(err)
	}
	if rep.MultiTenant || rep.Tenant != "" || !reflect.DeepEqual(rep.Tenants, []string{}) || rep.Raw.Attempts != 1 {
		t.Errorf("single-tenant lake: multi %v, tenant %q, tenants %#v, attempts %d", rep.MultiTenant, rep.Tenant, rep.Tenants, rep.Raw.Attempts)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "tenant") {
		t.Errorf("a single-tenant report speaks of tenants:\n%s", text.String())
	}
}
