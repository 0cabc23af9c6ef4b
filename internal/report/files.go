package report

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/sink"
)

// Files are the data files a report reads, as paths relative to the lake
// root, when a table format says which files a table holds (the current
// snapshots of Iceberg tables) rather than a walk of the table's folders.
type Files struct {
	// Attempts are the data files of the attempts table.
	Attempts []string
	// Quarantine are the data files of the _quarantine table.
	Quarantine []string
}

// ReadFiles computes the report over the given files of the lake in
// fsys, reading them as Read reads the files it finds, so that the same
// files give the same answers. Reports for a tenant are not supported.
func ReadFiles(ctx context.Context, fsys sink.ReadFS, files Files, opts Options, mem memory.Allocator) (*Report, error) {
	if opts.Tenant != "" {
		return nil, errors.New("report: a report for one tenant reads the hive layout only")
	}
	sc := scope{tenants: []string{}, attempts: files.Attempts, quarantine: files.Quarantine}
	return read(ctx, fsys, sc, opts, mem)
}
