package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/iceio"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// icebergTables returns, when lake.format is iceberg, the lake's Iceberg
// tables, to which the lander commits every flush (lander.WithTables), and
// the func that closes their catalog; nil tables for the Hive layout. It checks the tables
// that exist (icetable.Tables.Check) and refuses to start when one is not
// the table the configuration describes, such as one with another
// partition spec than lake.partition_by's; a catalog it cannot reach
// within checkTimeout is logged and left to the first claim, which checks
// again. On an HDFS lake it registers lake as the filesystem of the
// tables' hdfs:// URLs (internal/iceio) until that func runs.
func icebergTables(ctx context.Context, cfg config.Config, lake sink.FS, reg prometheus.Registerer, log *zap.Logger) (*icetable.Tables, func() error, error) {
	if !cfg.Lake.IsIceberg() {
		return nil, func() error { return nil }, nil
	}
	conf, err := icetable.ConfigOf(cfg, false)
	if err != nil {
		return nil, nil, usageError{err}
	}
	unregister, err := registerIO(conf, lake)
	if err != nil {
		return nil, nil, err
	}
	tables := icetable.New(conf, log, metrics.NewIceberg(reg, icetable.TableNames()))
	closeTables := func() error {
		defer unregister()
		return tables.Close()
	}
	checkCtx, cancel := context.WithTimeout(ctx, checkTimeout)
	err = tables.Check(checkCtx)
	cancel()
	switch {
	case errors.Is(err, icetable.ErrForeignTable):
		return nil, nil, errors.Join(fmt.Errorf("iceberg tables: %w", err), closeTables())
	case err != nil:
		log.Warn("iceberg tables not checked at start; the first claim checks them", zap.Error(err))
	}
	return tables, closeTables, nil
}

// checkTimeout bounds the check of the Iceberg tables at start.
const checkTimeout = time.Minute

// registerIO makes lake the filesystem of the tables' hdfs:// URLs when
// they live on HDFS; the func it returns undoes it.
func registerIO(conf icetable.Config, lake sink.ReadFS) (func(), error) {
	if !conf.Location.IsHDFS() {
		return func() {}, nil
	}
	return iceio.Register(lake)
}

// printIcebergReport reads the report from the Iceberg tables of cfg's
// lake: the data files of each table's current snapshot, read from lake.
func printIcebergReport(ctx context.Context, w io.Writer, cfg config.Config, lake sink.ReadFS, opts report.Options, asJSON bool) (err error) {
	conf, err := icetable.ConfigOf(cfg, true)
	if err != nil {
		return usageError{err}
	}
	unregister, err := registerIO(conf, lake)
	if err != nil {
		return err
	}
	defer unregister()
	tables := icetable.New(conf, zap.NewNop(), metrics.NewIceberg(prometheus.NewRegistry(), nil))
	defer func() {
		if cerr := tables.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close iceberg catalog: %w", cerr)
		}
	}()
	files, err := tables.ReportFiles(ctx, lake, opts.Tenant)
	if err != nil {
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
