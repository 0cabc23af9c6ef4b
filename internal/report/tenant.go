package report

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/landerd/landerd/pkg/sink"
)

// The multi-tenant layout: the tenant is the first Hive partition level of
// every table, <table>/tenant=<T>/ingest_date=<D>/<file>.parquet.
const (
	// TenantKey is the Hive key of a tenant's directory.
	TenantKey = "tenant"
	// Unassigned is the tenant directory of _quarantine holding the records
	// whose tenant is missing or unknown; no tenant's name can equal it.
	Unassigned = "_unassigned"
)

// Errors of a report for one tenant.
var (
	// ErrSingleTenant: a tenant was asked of a lake without tenant directories.
	ErrSingleTenant = errors.New("the lake is single-tenant (no tenant= directories)")
	// ErrNoTenantData: the tenant has no data file in the lake.
	ErrNoTenantData = errors.New("the tenant has no data in the lake")
	// ErrTenantName: the name cannot be a tenant's.
	ErrTenantName = errors.New("invalid tenant name")
)

// tenantName is what a configured tenant's name looks like.
var tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// CheckTenant reports ErrTenantName unless name can name a tenant:
// [a-z0-9][a-z0-9_-]{0,62}.
func CheckTenant(name string) error {
	if !tenantName.MatchString(name) {
		return fmt.Errorf("%w %q: want [a-z0-9][a-z0-9_-]{0,62}", ErrTenantName, name)
	}
	return nil
}

// TenantDir returns the directory of tenant's partition of table:
// "attempts/tenant=pearson".
func TenantDir(table, tenant string) string {
	return path.Join(table, TenantKey+"="+tenant)
}

// tenantsOf returns the tenants that have a directory in table, sorted,
// Unassigned left out, and whether table has any tenant directory at all.
// A missing table has none.
func tenantsOf(fsys sink.FS, table string) (names []string, multi bool, err error) {
	infos, err := fsys.ReadDir(table)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("list tenants of %s: %w", table, err)
	}
	for _, fi := range infos {
		name, ok := strings.CutPrefix(fi.Name(), TenantKey+"=")
		if !ok || !fi.IsDir() {
			continue
		}
		multi = true
		if name != Unassigned {
			names = append(names, name)
		}
	}
	return names, multi, nil
}

// dataFiles lists the data files under dir, sorted by path, as
// sink.ListDataFiles lists a table's: names starting with "." or "_" and
// names that are not data file names are skipped. It reads dir and the
// directories below it, never dir's parent, so it works for a user who may
// enter a tenant's directory but not list the table's. A missing dir lists
// nothing.
func dataFiles(fsys sink.FS, dir string) ([]string, error) {
	var out []string
	var walk func(dir string) error
	walk = func(dir string) error {
		infos, err := fsys.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, fi := range infos {
			name := fi.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				continue
			}
			if fi.IsDir() {
				if err := walk(path.Join(dir, name)); err != nil {
					return err
				}
				continue
			}
			if _, _, _, _, err := sink.ParseFileName(name); err == nil {
				out = append(out, path.Join(dir, name))
			}
		}
		return nil
	}
	if err := walk(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := fsys.Stat(dir); errors.Is(serr, fs.ErrNotExist) {
				return nil, nil
			}
		}
		return nil, fmt.Errorf("list data files of %s: %w", dir, err)
	}
	slices.Sort(out)
	return out, nil
}
