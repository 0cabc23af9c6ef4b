package report

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/sink"
)

// Files are the data files a report reads, as paths relative to the lake
// root, when a table format says which files a table holds (the current
// snapshots of Iceberg tables) rather than a walk of the table's folders.
type Files struct {
	// Attempts are the data files of the attempts tables.
	Attempts []string
	// Quarantine are the data files of the _quarantine tables of known
	// tenants, or of the lake without tenancy.
	Quarantine []string
	// Unassigned are the data files of quarantined records of no known
	// tenant (sink.UnassignedTenant); their rows count as quarantined and
	// as unassigned.
	Unassigned []string
	// Tenants are the tenants whose tables were read, sorted, without
	// sink.UnassignedTenant; nil for a lake without tenancy.
	Tenants []string
}

// ReadFiles computes the report over the given files of the lake in
// fsys, reading them as Read reads the files it finds, so that the same
// files give the same answers. With opts.Tenant set, files must be that
// tenant's alone.
func ReadFiles(ctx context.Context, fsys sink.ReadFS, files Files, opts Options, mem memory.Allocator) (*Report, error) {
	if opts.Tenant != "" && !slices.Equal(files.Tenants, []string{opts.Tenant}) {
		return nil, fmt.Errorf("report: a report for tenant %s given the files of tenants %v", opts.Tenant, files.Tenants)
	}
	sc := scope{multi: files.Tenants != nil, tenants: slices.Clone(files.Tenants), attempts: files.Attempts,
		quarantine: slices.Concat(files.Quarantine, files.Unassigned), unassigned: map[string]bool{}}
	if sc.tenants == nil {
		sc.tenants = []string{}
	}
	for _, name := range files.Unassigned {
		sc.unassigned[name] = true
	}
	return read(ctx, fsys, sc, opts, mem)
}
