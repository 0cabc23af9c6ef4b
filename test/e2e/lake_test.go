package e2e

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
)

// checkExactlyOnce reads the whole lake back and fails the test unless it
// holds every produced record exactly once (see verifyLake).
func (h *harness) checkExactlyOnce(ctx context.Context) lakecheck.Summary {
	h.t.Helper()
	sum, problems, err := h.verifyLake(ctx, h.lake())
	if err != nil {
		h.t.Fatal(err)
	}
	if len(problems) > 0 {
		shown := problems
		if len(shown) > 3*lakecheck.MaxReported {
			shown = shown[:3*lakecheck.MaxReported]
		}
		h.t.Errorf("the lake is not exactly once (%d problems; %s):\n  %s", len(problems), sum, strings.Join(shown, "\n  "))
	}
	if h.setup.backend.storage() == lakeRealHDFS && h.mix != nil {
		h.checkTenantAccess(ctx)
	}
	if h.setup.backend.iceberg() {
		h.checkIcebergTables(ctx)
	} else if h.realSystems() {
		// DuckDB and Spark read the Hive layout's folders.
		h.checkWithReaders(ctx, sum)
	}
	return sum
}

// verifyLake reads lake back and checks the delivery contract against
// what was produced (lakecheck.Check): every offset of every partition is
// in attempts or _quarantine exactly once, in the table its record
// belongs to (quarantined with the expected reason, a tenant's problem
// named in the detail) and under its tenant; only offsets the lake
// records as lost are absent, and only in tests that allow gaps; every
// file is in the Hive partition the tenancy says (checkHive); questions
// rows belong to landed attempts only, one per question of the attempt;
// and no temporary file is left in the tables or the control directory.
// Beyond the contract, the lake must hold some quarantined records and
// some questions, and with tenancy records of every tenant and of none.
// It returns what it found and every violation; the error is for a lake
// it could not read.
func (h *harness) verifyLake(ctx context.Context, lake sink.FS) (lakecheck.Summary, []string, error) {
	want := lakecheck.Want{
		Topic:       h.topic,
		Ends:        map[int32]int64{},
		Reasons:     map[lakecheck.Key]flatten.Reason{},
		Tenants:     map[lakecheck.Key]string{},
		Questions:   true,
		AllowGaps:   h.allowGaps,
		File:        h.checkHive,
		Quarantined: tenantDetail,
	}
	// An Iceberg lake is read through its catalog: the files of each
	// table's current snapshot. A copy of a lake (the lake check's own
	// tests damage copies) has no catalog and is read by its folders.
	if h.setup.backend.iceberg() && lake == h.lake() {
		want.Listed = lakecheck.CatalogFiles(lake, h.iceTables())
	}
	h.mu.Lock()
	var total int
	for p := range h.wants {
		want.Ends[int32(p)] = int64(len(h.wants[p]))
		total += len(h.wants[p])
		for off, reason := range h.wants[p] {
			k := lakecheck.Key{Partition: int32(p), Offset: int64(off)}
			want.Reasons[k] = reason
			want.Tenants[k] = h.tenants[p][off]
		}
	}
	h.mu.Unlock()

	sum, problems, err := lakecheck.Check(ctx, lake, want)
	if err != nil {
		return sum, nil, err
	}
	if sum.Attempts+sum.Quarantined+sum.Lost != total || sum.Quarantined == 0 || sum.Questions == 0 {
		problems = append(problems, fmt.Sprintf("lake holds %s; want %d records in attempts and _quarantine, some of them quarantined", sum, total))
	}
	if h.mix != nil && total >= 1000 {
		// Every tenant, and records of none, must have been exercised.
		for _, t := range append([]string{unassigned}, e2eTenants...) {
			if sum.ByTenant[t] == 0 {
				problems = append(problems, fmt.Sprintf("no records under tenant=%s of %d: the tenancy was not exercised", t, total))
			}
		}
	}
	return sum, problems, nil
}

// tenantDetail returns what is wrong with the detail of a record
// quarantined for its tenant, or "": it must name the header, and for an
// unknown tenant the value the header held.
func tenantDetail(reason, detail string) string {
	var want string
	switch flatten.Reason(reason) {
	case flatten.ReasonTenantMissing:
		want = fmt.Sprintf("%q", tenantHeader)
	case flatten.ReasonTenantUnknown:
		want = fmt.Sprintf(`header %q holds "initech"`, tenantHeader)
	default:
		return ""
	}
	if !strings.Contains(detail, want) {
		return fmt.Sprintf("%s detail %q does not name %s", reason, detail, want)
	}
	return ""
}

// checkHive returns what is wrong with a data file's Hive partition, or
// "": with tenancy it is tenant=T/ingest_date=D, T a configured tenant or
// _unassigned (in _quarantine only); without, ingest_date=D alone.
func (h *harness) checkHive(f sink.DataFile) string {
	elems := strings.Split(f.Hive, "/")
	last := elems[len(elems)-1]
	if !strings.HasPrefix(last, "ingest_date=") {
		return fmt.Sprintf("%s: Hive partition %q does not end in ingest_date=", f.Path, f.Hive)
	}
	if h.mix == nil {
		if len(elems) != 1 {
			return fmt.Sprintf("%s: Hive partition %q, want ingest_date=D alone without tenancy", f.Path, f.Hive)
		}
		return ""
	}
	tenant, _ := sink.TenantOf(f.Hive)
	// The table is a folder of the file's path: the first in the Hive
	// layout, below the tenant's folder in Iceberg's.
	inQuarantine := slices.Contains(strings.Split(path.Dir(f.Path), "/"), flatten.TableQuarantine)
	known := tenant == unassigned && inQuarantine
	for _, t := range e2eTenants {
		known = known || tenant == t
	}
	if len(elems) != 2 || !known {
		return fmt.Sprintf("%s: Hive partition %q, want tenant=T/ingest_date=D with T one of %v (or %s in %s)",
			f.Path, f.Hive, e2eTenants, unassigned, flatten.TableQuarantine)
	}
	return ""
}

// leftovers lists temporary files in the tables' directories of lake and
// in its control directory's tmp/ dirs, and anything in the tables that is
// not a published data file (lakecheck.Leftovers).
func (h *harness) leftovers(lake sink.FS) ([]string, error) {
	parts := make([]int32, h.setup.partitions)
	for p := range parts {
		parts[p] = int32(p)
	}
	return lakecheck.Leftovers(lake, h.topic, parts)
}
