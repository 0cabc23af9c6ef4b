package icetable

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// TableStats is what a table's metadata says of its size, read without a
// manifest: the totals its current snapshot's summary carries (Iceberg's
// total-data-files, total-files-size and total-records, which every
// writer of the format keeps) and its count of snapshots.
type TableStats struct {
	// Namespace and Table name the table.
	Namespace, Table string
	// Snapshots counts the table's snapshots, expired ones excluded.
	Snapshots int
	// Totals says whether the current snapshot carries the totals below;
	// false for a table with no snapshot yet.
	Totals bool
	// Files, Bytes and Records are the current snapshot's data files,
	// their size and their rows.
	Files, Bytes, Records int64
}

// Stats reads the TableStats of one table: a catalog lookup and the
// table's metadata file. For a table not created yet the error matches
// catalog.ErrNoSuchTable or catalog.ErrNoSuchNamespace.
func (t *Tables) Stats(ctx context.Context, target Target) (TableStats, error) {
	ident := t.identOf(target.Tenant, target.Table)
	res := TableStats{Namespace: ident[0], Table: target.Table}
	cat, err := t.catalog(ctx)
	if err != nil {
		return res, fmt.Errorf("stats of %s: %w", strings.Join(ident, "."), err)
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return res, fmt.Errorf("stats of %s: load: %w", strings.Join(ident, "."), err)
	}
	res.Snapshots = len(tbl.Metadata().Snapshots())
	s := tbl.CurrentSnapshot()
	if s == nil || s.Summary == nil {
		return res, nil
	}
	totals := []struct {
		key string
		v   *int64
	}{{"total-data-files", &res.Files}, {"total-files-size", &res.Bytes}, {"total-records", &res.Records}}
	for _, tot := range totals {
		raw, ok := s.Summary.Properties[tot.key]
		if !ok {
			// A writer leaves a zero total out of the summary.
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return res, fmt.Errorf("stats of %s: snapshot %d: %s %q: %w", strings.Join(ident, "."), s.SnapshotID, tot.key, raw, err)
		}
		*tot.v = n
	}
	res.Totals = true
	return res, nil
}
