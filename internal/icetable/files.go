package icetable

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/apache/iceberg-go/catalog"
)

// Files lists the data files of table name's current snapshot, as paths
// relative to the lake root, sorted: what a reader of the table sees,
// rather than what its folder holds (files of flushes not committed to
// the table yet, or of failed commits, are not listed). A table that does
// not exist yet lists nothing. It creates nothing.
func (t *Tables) Files(ctx context.Context, name string) ([]string, error) {
	cat, err := t.catalog(ctx)
	if err != nil {
		return nil, fmt.Errorf("list files of iceberg table %s: %w", name, err)
	}
	tbl, err := cat.LoadTable(ctx, t.ident(name))
	if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list files of iceberg table %s: %w", name, err)
	}
	if tbl.CurrentSnapshot() == nil {
		return nil, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("list files of iceberg table %s: %w", name, err)
	}
	prefix := tbl.Location() + "/"
	out := make([]string, 0, len(tasks))
	for _, task := range tasks {
		rel, ok := strings.CutPrefix(task.File.FilePath(), prefix)
		if !ok {
			return nil, fmt.Errorf("list files of iceberg table %s: data file %s lies outside the table's location %s", name, task.File.FilePath(), tbl.Location())
		}
		out = append(out, path.Join(Dir(t.conf.Location.Namespace, name), rel))
	}
	slices.Sort(out)
	return out, nil
}
