package icetable

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/apache/iceberg-go/catalog"

	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// Files lists the data files of table name's current snapshot, as paths
// relative to the lake root, sorted: what a reader of the table sees,
// rather than what its folder holds (files of flushes not committed to
// the table yet, or of failed commits, are not listed). A table that does
// not exist yet lists nothing. It creates nothing.
func (t *Tables) Files(ctx context.Context, name string) ([]string, error) {
	return t.TenantFiles(ctx, "", name)
}

// TenantFiles is Files of tenant's table name ("" without tenancy).
func (t *Tables) TenantFiles(ctx context.Context, tenant, name string) ([]string, error) {
	ident := t.identOf(tenant, name)
	label := strings.Join(ident, ".")
	cat, err := t.catalog(ctx)
	if err != nil {
		return nil, fmt.Errorf("list files of iceberg table %s: %w", label, err)
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list files of iceberg table %s: %w", label, err)
	}
	if tbl.CurrentSnapshot() == nil {
		return nil, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("list files of iceberg table %s: %w", label, err)
	}
	prefix := tbl.Location() + "/"
	out := make([]string, 0, len(tasks))
	for _, task := range tasks {
		rel, ok := strings.CutPrefix(task.File.FilePath(), prefix)
		if !ok {
			return nil, fmt.Errorf("list files of iceberg table %s: data file %s lies outside the table's location %s", label, task.File.FilePath(), tbl.Location())
		}
		out = append(out, path.Join(Dir(t.folder(tenant), name), rel))
	}
	slices.Sort(out)
	return out, nil
}

// Tenants lists the tenants that have tables in the lake in fsys, sorted,
// from the tenant directories in the namespace's folder (see folder);
// sink.UnassignedTenant is among them when records of no tenant were
// landed. A lake without tenancy lists none. A reader who may not list the
// namespace's folder (a tenant's, whose own folder it may only traverse
// to) gets fs.ErrPermission.
func (t *Tables) Tenants(fsys sink.ReadFS) ([]string, error) {
	infos, err := fsys.ReadDir(t.conf.Location.Namespace)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list tenants of the iceberg lake: %w", err)
	}
	var out []string
	for _, fi := range infos {
		if tenant, ok := sink.TenantOf(fi.Name()); ok && fi.IsDir() {
			out = append(out, tenant)
		}
	}
	slices.Sort(out)
	return out, nil
}

// ReportFiles lists the data files a report reads (report.ReadFiles), from
// the tables' current snapshots: tenant's tables, or without a tenant
// those of the lake without tenancy and of every tenant with a folder in
// the lake in fsys (see Tenants). A tenant without data is
// report.ErrNoTenantData.
func (t *Tables) ReportFiles(ctx context.Context, fsys sink.ReadFS, tenant string) (report.Files, error) {
	var files report.Files
	read := []string{tenant}
	if tenant == "" {
		found, err := t.Tenants(fsys)
		if errors.Is(err, fs.ErrPermission) {
			err = fmt.Errorf("%w (a tenant's reader reads its own tables with --tenant)", err)
		}
		if err != nil {
			return files, err
		}
		read = append(read, found...)
	}
	for _, tn := range read {
		if tn != "" && tn != sink.UnassignedTenant {
			files.Tenants = append(files.Tenants, tn)
		}
		attempts, err := t.TenantFiles(ctx, tn, flatten.TableAttempts)
		if err != nil {
			return files, err
		}
		quarantine, err := t.TenantFiles(ctx, tn, flatten.TableQuarantine)
		if err != nil {
			return files, err
		}
		files.Attempts = append(files.Attempts, attempts...)
		if tn == sink.UnassignedTenant {
			files.Unassigned = append(files.Unassigned, quarantine...)
		} else {
			files.Quarantine = append(files.Quarantine, quarantine...)
		}
	}
	if len(read) > 1 && files.Tenants == nil {
		files.Tenants = []string{} // tenancy, with records of no known tenant only
	}
	if tenant != "" && len(files.Attempts) == 0 && len(files.Quarantine) == 0 {
		return files, fmt.Errorf("tenant %s: %w: its iceberg tables %s.%s and %s.%s hold no data file",
			tenant, report.ErrNoTenantData, t.NamespaceOf(tenant), flatten.TableAttempts, t.NamespaceOf(tenant), flatten.TableQuarantine)
	}
	return files, nil
}
