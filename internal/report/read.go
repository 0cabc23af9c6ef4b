package report

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// batchRows is the number of rows per record batch handed to the Accumulator.
const batchRows = 64 << 10

// Read computes the report over the lake in fsys: every data file of the
// attempts table, read one at a time with mem, and the row counts of the
// _quarantine table's files, taken from their footers.
//
// With opts.Tenant set, it reads only attempts/tenant=T and
// _quarantine/tenant=T, never listing a table's own directory, so it works
// for a user who may enter only that tenant's directories. It fails with
// ErrTenantName for a name no tenant can have, ErrSingleTenant on a lake
// without tenant directories, and ErrNoTenantData when neither directory
// holds a data file. Without opts.Tenant it reads the whole lake: on a
// multi-tenant lake, every tenant's files and the quarantined records of no
// known tenant.
func Read(ctx context.Context, fsys sink.ReadFS, opts Options, mem memory.Allocator) (*Report, error) {
	sc, err := scopeOf(fsys, opts.Tenant)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return read(ctx, fsys, sc, opts, mem)
}

// read computes the report over the files of sc.
func read(ctx context.Context, fsys sink.ReadFS, sc scope, opts Options, mem memory.Allocator) (*Report, error) {
	var err error
	acc := NewAccumulator(opts)
	for _, name := range sc.attempts {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if err := addFile(ctx, acc, fsys, name, mem); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	var unassigned int64
	for _, name := range sc.quarantine {
		n, err := countRows(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		acc.AddQuarantined(n)
		if sc.unassigned[name] {
			unassigned += n
		}
	}
	rep := acc.Report(fsys.String())
	rep.MultiTenant, rep.Tenants, rep.UnassignedRows = sc.multi, sc.tenants, unassigned
	if opts.Tenant == "" {
		rep.Gaps, err = readGaps(fsys)
		switch {
		case errors.Is(err, fs.ErrPermission):
			rep.Gaps, rep.GapsUnreadable = nil, true // the bookkeeping is landerd's; readers may not see it
		case err != nil:
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	return rep, nil
}

// readGaps lists the gaps every partition's state records, by topic and
// partition.
func readGaps(fsys sink.ReadFS) ([]Gap, error) {
	states, err := sink.ReadStates(fsys)
	if err != nil {
		return nil, fmt.Errorf("gaps: %w", err)
	}
	if states == nil { // a lake with no partition state at all
		return nil, nil
	}
	out := []Gap{}
	for _, st := range states {
		for _, g := range st.Gaps {
			out = append(out, Gap{Topic: st.Topic, Partition: st.Partition, First: g.First, Last: g.Last,
				Offsets: g.Offsets(), DetectedAt: g.DetectedAt, Skipped: g.Skipped})
		}
	}
	return out, nil
}

// scope is what a report reads.
type scope struct {
	multi      bool            // the lake has tenant directories
	tenants    []string        // the tenants read, sorted
	attempts   []string        // data files of attempts
	quarantine []string        // data files of _quarantine
	unassigned map[string]bool // those of quarantine that hold records of no tenant
}

// scopeOf lists the files a report for tenant ("" for the whole lake) reads.
func scopeOf(fsys sink.ReadFS, tenant string) (scope, error) {
	if tenant != "" {
		return tenantScope(fsys, tenant)
	}
	sc := scope{tenants: []string{}, unassigned: map[string]bool{}}
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		names, multi, err := tenantsOf(fsys, table)
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				err = fmt.Errorf("%w (a tenant's reader reads its own data with a tenant given)", err)
			}
			return scope{}, err
		}
		sc.multi = sc.multi || multi
		sc.tenants = append(sc.tenants, names...)
	}
	slices.Sort(sc.tenants)
	sc.tenants = slices.Compact(sc.tenants)
	for _, to := range []struct {
		table string
		files *[]string
	}{{flatten.TableAttempts, &sc.attempts}, {flatten.TableQuarantine, &sc.quarantine}} {
		files, err := dataFiles(fsys, to.table, "")
		if err != nil {
			return scope{}, err
		}
		*to.files = files
	}
	prefix := TenantDir(flatten.TableQuarantine, sink.UnassignedTenant) + "/"
	for _, name := range sc.quarantine {
		if strings.HasPrefix(name, prefix) {
			sc.unassigned[name] = true
		}
	}
	return sc, nil
}

// tenantScope lists the files of one tenant, reading nothing above the
// tenant's own directories unless it finds no data there.
func tenantScope(fsys sink.ReadFS, tenant string) (scope, error) {
	if err := CheckTenant(tenant); err != nil {
		return scope{}, err
	}
	sc := scope{multi: true, tenants: []string{tenant}}
	var err error
	if sc.attempts, err = dataFiles(fsys, flatten.TableAttempts, tenant); err != nil {
		return scope{}, err
	}
	if sc.quarantine, err = dataFiles(fsys, flatten.TableQuarantine, tenant); err != nil {
		return scope{}, err
	}
	if len(sc.attempts) > 0 || len(sc.quarantine) > 0 {
		return sc, nil
	}
	// Say why, as far as this user may look: a lake without tenant
	// directories, or the tenants that do have data.
	names, multi, lerr := tenantsOf(fsys, flatten.TableAttempts)
	if lerr == nil && !multi {
		if _, err := fsys.Stat(flatten.TableAttempts); err == nil {
			return scope{}, fmt.Errorf("tenant %s: %w: read it without a tenant", tenant, ErrSingleTenant)
		}
	}
	err = fmt.Errorf("tenant %s: %w: no data file under %s or %s", tenant, ErrNoTenantData, TenantDir(flatten.TableAttempts, tenant), TenantDir(flatten.TableQuarantine, tenant))
	if lerr == nil && len(names) > 0 {
		err = fmt.Errorf("%w; tenants with attempts: %s", err, strings.Join(names, ", "))
	}
	return scope{}, err
}

// addFile feeds one Parquet file of the attempts table to acc.
func addFile(ctx context.Context, acc *Accumulator, fsys sink.ReadFS, name string, mem memory.Allocator) error {
	tbl, err := sink.ReadTable(ctx, fsys, name, mem)
	if err != nil {
		return err
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, batchRows)
	defer tr.Release()
	for tr.Next() {
		if err := acc.Add(tr.RecordBatch()); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := tr.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	acc.AddFile()
	return nil
}

// countRows returns the number of rows of a Parquet file from its footer.
func countRows(fsys sink.ReadFS, name string) (n int64, err error) {
	f, err := fsys.Open(name)
	if err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("count rows of %s: %w", name, cerr)
		}
	}()
	r, err := file.NewParquetReader(f)
	if err != nil {
		return 0, fmt.Errorf("count rows of %s: %w", name, err)
	}
	return r.NumRows(), nil
}
