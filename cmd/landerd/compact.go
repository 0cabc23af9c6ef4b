package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/metrics"
)

// cmdCompact rewrites the small data files of the lake's Iceberg tables
// into files of a target size, once.
func cmdCompact(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("landerd compact", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	fs.StringVar(&f.config, "config", "", "YAML configuration file: the lake (lake.url, lake.format iceberg) and its catalog (lake.iceberg)")
	fs.StringVar(&f.lake, "lake", "", "lake root: a path, file:///path or hdfs://namenode:port/path (overrides lake.url)")
	name := fs.String("table", "", "compact this table only: "+fmt.Sprint(icetable.TableNames()))
	tenant := fs.String("tenant", "", "compact this tenant's tables only; without it, the namespace's and every tenant's")
	size := fs.String("target-file-size", config.ByteSize(icetable.DefaultTargetFileSize).String(), "size of the files written (bytes, or with a unit: 128MiB, 1GiB)")
	dryRun := fs.Bool("dry-run", false, "print the plan, and write nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name != "" && !slices.Contains(icetable.TableNames(), *name) {
		return usagef("compact: --table %q: not one of %v", *name, icetable.TableNames())
	}
	if *tenant != "" {
		if err := report.CheckTenant(*tenant); err != nil {
			return usagef("compact: --tenant: %v", err)
		}
	}
	target, err := config.ParseByteSize(*size)
	if err != nil || target < config.MiB {
		return usagef("compact: --target-file-size %q: want a size of at least 1MiB", *size)
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	if !cfg.Lake.IsIceberg() {
		return usagef("compact: lake.format is %s: only Iceberg tables are compacted (docs/iceberg.md, Upkeep, says why the Hive layout is not)", cfg.Lake.Format)
	}
	fsys, err := lake.Open(cfg)
	if err != nil {
		return err
	}
	err = compact(ctx, stdout, stderr, cfg, fsys, icetable.Target{Tenant: *tenant, Table: *name}, icetable.CompactOptions{TargetFileSize: int64(target), DryRun: *dryRun})
	if cerr := fsys.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close lake: %w", cerr)
	}
	return err
}

// compact compacts the tables of cfg's lake that which names (all when
// its fields are empty) and prints to w what it did, or with opts.DryRun
// what it would do; the log goes to logw.
func compact(ctx context.Context, w, logw io.Writer, cfg config.Config, fsys *lake.FS, which icetable.Target, opts icetable.CompactOptions) (err error) {
	conf, err := icetable.ConfigOf(cfg, false)
	if err != nil {
		return usageError{err}
	}
	unregister, err := registerIO(conf, fsys)
	if err != nil {
		return err
	}
	defer unregister()
	log, err := newLogger(cfg.Log, logw)
	if err != nil {
		return usageError{err}
	}
	tables := icetable.New(conf, log, metrics.NewIceberg(prometheus.NewRegistry(), nil))
	defer func() {
		if cerr := tables.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close iceberg catalog: %w", cerr)
		}
	}()
	targets, err := tables.Targets(ctx, fsys, which.Tenant, which.Table)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if len(targets) == 0 {
		fmt.Fprintln(w, "no iceberg table to compact")
		return nil
	}
	var errs []error
	for _, tg := range targets {
		start := time.Now()
		c, err := tables.Compact(ctx, tg, opts)
		if err != nil {
			errs = append(errs, err)
			fmt.Fprintf(w, "%s.%s: failed: %v\n", c.Namespace, c.Table, err)
			continue
		}
		printCompaction(w, c, opts.DryRun, time.Since(start))
	}
	return errors.Join(errs...)
}

// printCompaction prints one table's plan or compaction.
func printCompaction(w io.Writer, c icetable.Compaction, dryRun bool, took time.Duration) {
	label := c.Namespace + "." + c.Table
	var files int
	var bytes int64
	var est int
	for _, g := range c.Groups {
		files += g.Files
		bytes += g.Bytes
		est += g.EstFiles
	}
	switch {
	case len(c.Groups) == 0:
		fmt.Fprintf(w, "%s: %d data files (%s), nothing to compact\n", label, c.FilesBefore, mib(c.BytesBefore))
		return
	case dryRun:
		fmt.Fprintf(w, "%s: %d data files (%s); would rewrite %d of them (%s) into about %d, in %d groups:\n",
			label, c.FilesBefore, mib(c.BytesBefore), files, mib(bytes), est, len(c.Groups))
	case c.Snapshot == 0:
		fmt.Fprintf(w, "%s: nothing committed: the planned files were rewritten by another compaction\n", label)
		return
	default:
		fmt.Fprintf(w, "%s: rewrote %d data files (%s) into %d (%s) in %d groups, snapshot %d, %d conflicts retried, %s; data files %d before, %d after\n",
			label, c.Rewritten, mib(c.BytesRewritten), c.Added, mib(c.BytesAdded), len(c.Groups),
			c.Snapshot, c.Conflicts, took.Round(time.Millisecond), c.FilesBefore, c.FilesAfter)
	}
	for _, g := range c.Groups {
		fmt.Fprintf(w, "  %s: %d files, %s -> about %d\n", g.Partition, g.Files, mib(g.Bytes), g.EstFiles)
	}
}

// mib formats a size in bytes for people: "3.2 MiB".
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
