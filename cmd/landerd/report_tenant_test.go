package main

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
	"github.com/landerd/landerd/test/system/duckdb"
)

// genTenants are the tenants of the generated multi-tenant lakes, of
// different sizes.
var genTenants = []struct {
	name  string
	count int
}{{"pearson", 1200}, {"wiley", 350}, {"oreilly", 60}}

// genTopic, genPartitions and genFileRecords shape the generated lake: the
// tenants' records interleave on the same partitions of one topic, as with
// the header source, and each file holds at most genFileRecords offsets.
const (
	genTopic       = "assessment-attempts"
	genPartitions  = 3
	genFileRecords = 200
	genUnassigned  = 7 // records whose tenant is missing, quarantined under _unassigned
)

// genRecord is one generated Kafka record and where it landed.
type genRecord struct {
	tenant    string // sink.UnassignedTenant for a record of no tenant
	value     []byte
	key       []byte
	partition int32
	offset    int64
}

// genLake is a generated multi-tenant lake and the figures expected of it,
// computed from each tenant's generated attempts alone.
type genLake struct {
	dir string
	// want holds the report expected per tenant, and for "" the whole lake's.
	want map[string]*report.Report
}

// writeTenantLake writes a multi-tenant lake in the tenancy layout:
// attempts, questions and _quarantine under tenant=<T>/ingest_date=<D>,
// the records of no tenant in _quarantine/tenant=_unassigned.
func writeTenantLake(t *testing.T) genLake {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var recs []genRecord
	for i, tn := range genTenants {
		g := attemptgen.New(attemptgen.Config{Seed: int64(100 + i), BadRate: 0.03, DuplicateRate: 0.03})
		for range tn.count {
			r := g.Next()
			recs = append(recs, genRecord{tenant: tn.name, value: r.Value, key: r.Key})
		}
	}
	g := attemptgen.New(attemptgen.Config{Seed: 99})
	for range genUnassigned {
		r := g.Next()
		recs = append(recs, genRecord{tenant: sink.UnassignedTenant, value: r.Value, key: r.Key})
	}
	// Interleave the tenants; a key always goes to the same partition, so
	// a resend lands after its original in the same partition.
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	var next [genPartitions]int64
	for i := range recs {
		h := fnv.New32a()
		h.Write(recs[i].key)
		if recs[i].key == nil {
			h.Write([]byte{byte(i)})
		}
		p := int32(h.Sum32() % genPartitions)
		recs[i].partition, recs[i].offset = p, next[p]
		next[p]++
	}

	dir := t.TempDir()
	lake, err := sink.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := report.DefaultOptions()
	accs := map[string]*report.Accumulator{"": report.NewAccumulator(opts)}
	for _, tn := range genTenants {
		o := opts
		o.Tenant = tn.name
		accs[tn.name] = report.NewAccumulator(o)
	}
	unassigned := int64(0)
	landedAt := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	// One run of files per (tenant, partition), in offset order, each
	// holding at most genFileRecords of the partition's offsets; the first
	// files on one day, the rest on the next.
	for _, tenant := range append(tenantNames(), sink.UnassignedTenant) {
		for p := range int32(genPartitions) {
			var run []genRecord
			for _, r := range recs {
				if r.tenant == tenant && r.partition == p {
					run = append(run, r)
				}
			}
			for start := 0; start < len(run); start += genFileRecords {
				chunk := run[start:min(start+genFileRecords, len(run))]
				day := "2026-11-24"
				if start > 0 {
					day = "2026-11-25"
				}
				hive := sink.TenantKey + "=" + tenant + "/ingest_date=" + day
				out := writeGenFiles(t, lake, mem, hive, chunk, landedAt)
				if out.Attempts != nil {
					for _, acc := range []*report.Accumulator{accs[""], accs[tenant]} {
						if err := acc.Add(out.Attempts); err != nil {
							t.Fatal(err)
						}
						acc.AddFile()
					}
				}
				if out.Quarantine != nil {
					n := out.Quarantine.NumRows()
					accs[""].AddQuarantined(n)
					if tenant == sink.UnassignedTenant {
						unassigned += n
					} else {
						accs[tenant].AddQuarantined(n)
					}
				}
				out.Release()
			}
		}
	}
	gl := genLake{dir: dir, want: map[string]*report.Report{}}
	for name, acc := range accs {
		rep := acc.Report(lake.String())
		rep.MultiTenant = true
		rep.Tenants = []string{name}
		if name == "" {
			rep.Tenants = slices.Sorted(slices.Values(tenantNames()))
			rep.UnassignedRows = unassigned
		}
		gl.want[name] = rep
	}
	return gl
}

func tenantNames() []string {
	names := make([]string, len(genTenants))
	for i, tn := range genTenants {
		names[i] = tn.name
	}
	return names
}

// writeGenFiles flattens the records of one partition and tenant as landerd
// does and writes each table's rows as one data file in hive. It returns
// the records written; the caller releases them.
func writeGenFiles(t *testing.T, lake sink.FS, mem memory.Allocator, hive string, recs []genRecord, landedAt time.Time) flatten.Records {
	t.Helper()
	b := flatten.NewBatch(mem)
	defer b.Release()
	var dec flatten.Decoder
	first, last := map[string]int64{}, map[string]int64{}
	seen := func(table string, off int64) {
		if _, ok := first[table]; !ok {
			first[table] = off
		}
		last[table] = off
	}
	for _, r := range recs {
		meta := flatten.Meta{Topic: genTopic, Partition: r.partition, Offset: r.offset, Key: r.key, LandedAt: landedAt}
		if r.tenant == sink.UnassignedTenant {
			b.AppendQuarantine(&meta, &flatten.InvalidError{Reason: "tenant_missing", Msg: "no tenant header"}, r.value)
			seen(flatten.TableQuarantine, r.offset)
			continue
		}
		a, err := dec.Decode(r.value)
		var why *flatten.InvalidError
		switch {
		case errors.As(err, &why):
			b.AppendQuarantine(&meta, why, r.value)
			seen(flatten.TableQuarantine, r.offset)
		case err != nil:
			t.Fatal(err)
		default:
			b.AppendAttempt(&meta, a)
			seen(flatten.TableAttempts, r.offset)
			if len(a.Questions) > 0 {
				seen(flatten.TableQuestions, r.offset)
			}
		}
	}
	out := b.Take()
	for _, tw := range []struct {
		table string
		rec   arrow.RecordBatch
		tbl   *flatten.Table
	}{
		{flatten.TableAttempts, out.Attempts, flatten.AttemptsTable},
		{flatten.TableQuestions, out.Questions, flatten.QuestionsTable},
		{flatten.TableQuarantine, out.Quarantine, flatten.QuarantineTable},
	} {
		if tw.rec == nil {
			continue
		}
		var buf bytes.Buffer
		pf, err := sink.NewParquetFile(nopFile{&buf}, tw.tbl.Schema, sink.WriterOptions{Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		if err := pf.Write(tw.rec, first[tw.table], last[tw.table]); err != nil {
			t.Fatal(err)
		}
		if err := pf.Close(); err != nil {
			t.Fatal(err)
		}
		dir := path.Join(tw.table, hive)
		if err := lake.MkdirAll(dir); err != nil {
			t.Fatal(err)
		}
		name := path.Join(dir, sink.FileName(genTopic, recs[0].partition, first[tw.table], last[tw.table]))
		if err := sinktest.WriteFile(lake, name, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// nopFile is a sink.File writing to a buffer.
type nopFile struct{ *bytes.Buffer }

func (nopFile) Close() error { return nil }

// compareReports compares everything a report states.
func compareReports(t *testing.T, what string, got, want report.Report) {
	t.Helper()
	compareFigures(t, what, got.Raw, want.Raw)
	compareFigures(t, what, got.Dedup, want.Dedup)
	got.Raw, got.Dedup, want.Raw, want.Dedup = report.Figures{}, report.Figures{}, report.Figures{}, report.Figures{}
	got.Lake, want.Lake = "", ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// TestReportTenants: on a generated lake of three tenants of different
// sizes, report --tenant T answers from T's generated attempts alone, and
// the report without --tenant from the union of every tenant's.
func TestReportTenants(t *testing.T) {
	gl := writeTenantLake(t)
	var sumRaw, sumQuarantined int64
	for _, tenant := range tenantNames() {
		rep := reportJSON(t, gl.dir, "--tenant", tenant)
		if rep.Raw.Attempts == rep.Dedup.Attempts || rep.QuarantinedRows == 0 {
			t.Fatalf("tenant %s: the generated lake has no resend or no quarantined row: %+v", tenant, rep)
		}
		compareReports(t, "report --tenant "+tenant+" vs its generated attempts", rep, *gl.want[tenant])
		sumRaw += rep.Raw.Attempts
		sumQuarantined += rep.QuarantinedRows
	}
	if a, b := gl.want["pearson"].Raw.Attempts, gl.want["oreilly"].Raw.Attempts; a < 10*b {
		t.Errorf("tenant sizes %d and %d: want them far apart", a, b)
	}
	all := reportJSON(t, gl.dir)
	compareReports(t, "report vs every tenant's generated attempts", all, *gl.want[""])
	if all.Raw.Attempts != sumRaw || all.QuarantinedRows != sumQuarantined+genUnassigned || all.UnassignedRows != genUnassigned {
		t.Errorf("whole lake: %d attempts, %d quarantined (%d unassigned); want the tenants' %d, %d + %d",
			all.Raw.Attempts, all.QuarantinedRows, all.UnassignedRows, sumRaw, sumQuarantined, genUnassigned)
	}
}

// TestTenantSQLAgreesWithReport: DuckDB running the shipped queries over
// sql/duckdb/00_views_tenant.sql (<root>/attempts/tenant=T) answers as
// report --tenant T does, and over sql/duckdb/00_views_all_tenants.sql as
// the report of the whole lake does, with the tenant as a column.
func TestTenantSQLAgreesWithReport(t *testing.T) {
	duckdb.Query(t, "SELECT 1") // skip early when DuckDB is not installed
	gl := writeTenantLake(t)
	for _, tenant := range tenantNames() {
		rep := reportJSON(t, gl.dir, "--tenant", tenant)
		figs := shippedFigures(t, tenantViews(t, gl.dir, tenant))
		compareFigures(t, "report --tenant "+tenant+" vs sql/duckdb/00_views_tenant.sql", rep.Raw, *figs[report.BasisRaw])
		compareFigures(t, "report --tenant "+tenant+" vs sql/duckdb/00_views_tenant.sql", rep.Dedup, *figs[report.BasisDedup])
	}
	all := reportJSON(t, gl.dir)
	setup := allTenantsViews(t, gl.dir)
	figs := shippedFigures(t, setup)
	compareFigures(t, "report vs sql/duckdb/00_views_all_tenants.sql", all.Raw, *figs[report.BasisRaw])
	compareFigures(t, "report vs sql/duckdb/00_views_all_tenants.sql", all.Dedup, *figs[report.BasisDedup])
	res := duckdb.Query(t, setup+"\nSELECT tenant, count(*) AS n FROM attempts GROUP BY tenant ORDER BY tenant")
	var got, want []string
	for _, r := range res.Rows {
		got = append(got, fmt.Sprintf("%s=%d", r["tenant"], int64Of(t, r["n"])))
	}
	for _, tenant := range slices.Sorted(slices.Values(tenantNames())) {
		want = append(want, fmt.Sprintf("%s=%d", tenant, gl.want[tenant].Raw.Attempts))
	}
	if !slices.Equal(got, want) {
		t.Errorf("attempts per tenant column: %v, want %v", got, want)
	}
}

// tenantViews is the DuckDB setup of the shipped queries for one tenant.
func tenantViews(t *testing.T, dir, tenant string) string {
	return "SET VARIABLE lake = " + duckdb.Literal(dir) + ";\nSET VARIABLE tenant = " + duckdb.Literal(tenant) + ";\n" +
		readRepoFile(t, "sql/duckdb/00_views_tenant.sql")
}

// allTenantsViews is the DuckDB setup of the shipped queries across tenants.
func allTenantsViews(t *testing.T, dir string) string {
	return "SET VARIABLE lake = " + duckdb.Literal(dir) + ";\n" + readRepoFile(t, "sql/duckdb/00_views_all_tenants.sql")
}

func TestReportTenantUsage(t *testing.T) {
	gl := writeTenantLake(t)
	single, _ := landDemo(t, "--count", "50", "--partitions", "1")
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"--lake", gl.dir, "--tenant", "Pearson"}, 2, `invalid tenant name "Pearson"`},
		{[]string{"--lake", gl.dir, "--tenant", "_unassigned"}, 2, "invalid tenant name"},
		{[]string{"--lake", gl.dir, "--tenant", "../x"}, 2, "invalid tenant name"},
		{[]string{"--lake", gl.dir, "--tenant", "acme"}, 1, "tenant acme: the tenant has no data in the lake: no data file under attempts/tenant=acme or _quarantine/tenant=acme; tenants with attempts: oreilly, pearson, wiley"},
		{[]string{"--lake", single, "--tenant", "pearson"}, 1, "tenant pearson: the lake is single-tenant"},
		{[]string{"--lake", gl.dir}, 0, "all tenants (3: oreilly, pearson, wiley): the whole lake; 7 quarantined rows have no known tenant"},
		{[]string{"--lake", gl.dir, "--tenant", "wiley"}, 0, "tenant wiley only: attempts/tenant=wiley and _quarantine/tenant=wiley"},
	}
	for _, tt := range tests {
		code, out, errOut := runCmd(t, append([]string{"report"}, tt.args...)...)
		if code != tt.code || !strings.Contains(out+errOut, tt.contains) {
			t.Errorf("%q: exit %d, output %q; want exit %d containing %q", tt.args, code, out+errOut, tt.code, tt.contains)
		}
	}
}
