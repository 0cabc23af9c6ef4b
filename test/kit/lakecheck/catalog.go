package lakecheck

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/sink"
)

// CatalogFiles returns a Want.Listed that lists a table's data files from
// its Iceberg catalog: the files of the table's current snapshot
// (icetable.Tables.Files), not what its folder holds. Each file's Hive
// partition is its folder below the table's data folder. A file the
// snapshot names that lake lacks, or whose name is not a data file's, is an
// error: the table then references what is not there.
func CatalogFiles(lake sink.ReadFS, tables *icetable.Tables) func(ctx context.Context, table string) ([]sink.DataFile, error) {
	return func(ctx context.Context, table string) ([]sink.DataFile, error) {
		paths, err := tables.Files(ctx, table)
		if err != nil {
			return nil, err
		}
		dataDir := tables.DataDir(table) + "/"
		out := make([]sink.DataFile, 0, len(paths))
		for _, p := range paths {
			hive, ok := strings.CutPrefix(path.Dir(p), dataDir)
			if !ok {
				return nil, fmt.Errorf("iceberg table %s: data file %s is not under %s", table, p, dataDir)
			}
			topic, part, first, last, err := sink.ParseFileName(path.Base(p))
			if err != nil {
				return nil, fmt.Errorf("iceberg table %s: data file %s: %w", table, p, err)
			}
			fi, err := lake.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("iceberg table %s: data file %s: %w", table, p, err)
			}
			out = append(out, sink.DataFile{Path: p, Hive: hive, Topic: topic, Partition: part, First: first, Last: last, Size: fi.Size()})
		}
		return out, nil
	}
}
