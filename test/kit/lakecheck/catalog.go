package lakecheck

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/sink"
)

// CatalogFiles returns a Want.Listed that lists a table's data files from
// its Iceberg catalog: the files of the current snapshots of the table
// without tenancy and of every tenant's table (icetable.Tables.TenantFiles),
// not what their folders hold. Each file's Hive partition is its folder
// below the table's data folder, with the tenant's level in front
// (sink.TenantHive) for a tenant's table. A file a compaction wrote
// (IsCompacted) is named for no flush: it is listed with an empty Topic
// (Compacted), and Check reads its rows against its partition folder. A
// file a snapshot names that lake lacks, or whose name is neither a
// flush's nor a compaction's, is an error: the table then references what
// is not there.
func CatalogFiles(lake sink.ReadFS, tables *icetable.Tables) func(ctx context.Context, table string) ([]sink.DataFile, error) {
	return func(ctx context.Context, table string) ([]sink.DataFile, error) {
		tenants, err := tables.Tenants(lake)
		if err != nil {
			return nil, err
		}
		var out []sink.DataFile
		for _, tenant := range append([]string{""}, tenants...) {
			files, err := tenantFiles(ctx, lake, tables, tenant, table)
			if err != nil {
				return nil, err
			}
			out = append(out, files...)
		}
		return out, nil
	}
}

// tenantFiles lists the data files of tenant's table ("" without tenancy).
func tenantFiles(ctx context.Context, lake sink.ReadFS, tables *icetable.Tables, tenant, table string) ([]sink.DataFile, error) {
	paths, err := tables.TenantFiles(ctx, tenant, table)
	if err != nil {
		return nil, err
	}
	dataDir := tables.TenantDataDir(tenant, table) + "/"
	out := make([]sink.DataFile, 0, len(paths))
	for _, p := range paths {
		hive, ok := strings.CutPrefix(path.Dir(p), dataDir)
		if !ok {
			return nil, fmt.Errorf("iceberg table %s: data file %s is not under %s", table, p, dataDir)
		}
		if tenant != "" {
			hive = sink.TenantHive(tenant, hive)
		}
		df := sink.DataFile{Path: p, Hive: hive, Partition: -1} // a compaction's: named for no flush
		if !IsCompacted(path.Base(p)) {
			if df.Topic, df.Partition, df.First, df.Last, err = sink.ParseFileName(path.Base(p)); err != nil {
				return nil, fmt.Errorf("iceberg table %s: data file %s: %w", table, p, err)
			}
		}
		fi, err := lake.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("iceberg table %s: data file %s: %w", table, p, err)
		}
		df.Size = fi.Size()
		out = append(out, df)
	}
	return out, nil
}

// Committed reports whether the Iceberg tables of namespace in cat hold
// everything landed: every partition of topic has landed produced[p]
// records (its state's last flush reaches them) and that flush is in
// every table it has files of (the table's landerd.offsets). A table that
// does not exist yet is not committed.
func Committed(ctx context.Context, cat catalog.Catalog, namespace string, lake sink.ReadFS, topic string, produced map[int32]int) (bool, error) {
	offs := map[string]icetable.Offsets{}
	for _, name := range icetable.TableNames() {
		tbl, err := cat.LoadTable(ctx, table.Identifier{namespace, name})
		if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if offs[name], err = icetable.CommittedOffsets(tbl); err != nil {
			return false, err
		}
	}
	for p, n := range produced {
		st, err := sink.ReadState(lake, topic, p)
		if err != nil {
			return false, err
		}
		if st == nil || st.Last+1 < int64(n) {
			return false, nil
		}
		for _, file := range st.Files {
			if offs[file.Table].Next(topic, p) < st.Last+1 {
				return false, nil
			}
		}
	}
	return true, nil
}
