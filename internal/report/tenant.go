package report

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/landerd/landerd/pkg/sink"
)

// The multi-tenant layout (sink.TenantKey, sink.UnassignedTenant): the
// tenant is the first Hive partition level of every table,
// <table>/tenant=<T>/ingest_date=<D>/<file>.parquet.

// Errors of a report for one tenant.
var (
	// ErrSingleTenant: a tenant was asked of a lake without tenant directories.
	ErrSingleTenant = errors.New("the lake is single-tenant (no tenant= directories)")
	// ErrNoTenantData: the tenant has no data file in the lake.
	ErrNoTenantData = errors.New("the tenant has no data in the lake")
	// ErrTenantName: the name cannot be a tenant's.
	ErrTenantName = errors.New("invalid tenant name")
)

// CheckTenant reports ErrTenantName unless name can name a tenant
// (sink.ValidTenant): [a-z0-9][a-z0-9_-]{0,62}.
func CheckTenant(name string) error {
	if !sink.ValidTenant(name) {
		return fmt.Errorf("%w %q: want %s", ErrTenantName, name, sink.TenantNameForm)
	}
	return nil
}

// TenantDir returns the directory of tenant's partition of table:
// "attempts/tenant=pearson".
func TenantDir(table, tenant string) string {
	return path.Join(table, sink.TenantPartition(tenant))
}

// tenantsOf returns the tenants that have a directory in table, sorted,
// sink.UnassignedTenant left out, and whether table has any tenant directory at all.
// A missing table has none.
func tenantsOf(fsys sink.ReadFS, table string) (names []string, multi bool, err error) {
	infos, err := fsys.ReadDir(table)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("list tenants of %s: %w", table, err)
	}
	for _, fi := range infos {
		name, ok := sink.TenantOf(fi.Name())
		if !ok || !fi.IsDir() {
			continue
		}
		multi = true
		if name != sink.UnassignedTenant {
			names = append(names, name)
		}
	}
	return names, multi, nil
}

// dataFiles lists the paths of the data files of table in tenant's
// directory (every file of the table when tenant is ""), reading nothing
// above that directory.
func dataFiles(fsys sink.ReadFS, table, tenant string) ([]string, error) {
	hive := ""
	if tenant != "" {
		hive = sink.TenantPartition(tenant)
	}
	dfs, err := sink.ListDataFilesIn(fsys, table, hive)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(dfs))
	for i, df := range dfs {
		out[i] = df.Path
	}
	return out, nil
}
