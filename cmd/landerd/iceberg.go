package main

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/lander"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// icebergTables returns, when lake.format is iceberg, the lander option
// that commits every flush to the lake's Iceberg tables, and the func that
// closes their catalog; nothing for the Hive layout. It connects to
// nothing: the catalog is opened when the first partition is claimed.
func icebergTables(cfg config.Config, reg prometheus.Registerer, log *zap.Logger) ([]lander.Option, func() error, error) {
	if !cfg.Lake.IsIceberg() {
		return nil, func() error { return nil }, nil
	}
	conf, err := icetable.ConfigOf(cfg, false)
	if err != nil {
		return nil, nil, usageError{err}
	}
	tables := icetable.New(conf, log, metrics.NewIceberg(reg, icetable.TableNames()))
	return []lander.Option{lander.WithTables(tables)}, tables.Close, nil
}

// printIcebergReport reads the report from the Iceberg tables of cfg's
// lake: the data files of each table's current snapshot, read from lake.
func printIcebergReport(ctx context.Context, w io.Writer, cfg config.Config, lake sink.ReadFS, opts report.Options, asJSON bool) (err error) {
	if opts.Tenant != "" {
		return usagef("report: --tenant is not supported with lake.format iceberg yet")
	}
	conf, err := icetable.ConfigOf(cfg, true)
	if err != nil {
		return usageError{err}
	}
	tables := icetable.New(conf, zap.NewNop(), metrics.NewIceberg(prometheus.NewRegistry(), nil))
	defer func() {
		if cerr := tables.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close iceberg catalog: %w", cerr)
		}
	}()
	var files report.Files
	if files.Attempts, err = tables.Files(ctx, flatten.TableAttempts); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if files.Quarantine, err = tables.Files(ctx, flatten.TableQuarantine); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	rep, err := report.ReadFiles(ctx, lake, files, opts, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	if asJSON {
		return rep.WriteJSON(w)
	}
	return rep.WriteText(w)
}
