package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/metrics"
)

// cmdExpire removes old snapshots from the metadata of the lake's Iceberg
// tables, once, deleting no file.
func cmdExpire(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("landerd expire", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	fs.StringVar(&f.config, "config", "", "YAML configuration file: the lake (lake.url, lake.format iceberg) and its catalog (lake.iceberg)")
	fs.StringVar(&f.lake, "lake", "", "lake root: a path, file:///path or hdfs://namenode:port/path (overrides lake.url)")
	name := fs.String("table", "", "expire this table's snapshots only: "+fmt.Sprint(icetable.TableNames()))
	tenant := fs.String("tenant", "", "expire this tenant's tables only; without it, the namespace's and every tenant's")
	olderThan := fs.Duration("older-than", icetable.DefaultExpireOlderThan, "expire snapshots older than this")
	retain := fs.Int("retain-last", 1, "keep at least this many of the newest snapshots, whatever their age")
	dryRun := fs.Bool("dry-run", false, "print what would be expired, and change nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name != "" && !slices.Contains(icetable.TableNames(), *name) {
		return usagef("expire: --table %q: not one of %v", *name, icetable.TableNames())
	}
	if *tenant != "" {
		if err := report.CheckTenant(*tenant); err != nil {
			return usagef("expire: --tenant: %v", err)
		}
	}
	if *olderThan <= 0 || *retain < 1 {
		return usagef("expire: --older-than must be positive and --retain-last at least 1")
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	if !cfg.Lake.IsIceberg() {
		return usagef("expire: lake.format is %s: only Iceberg tables have snapshots", cfg.Lake.Format)
	}
	fsys, err := lake.Open(cfg)
	if err != nil {
		return err
	}
	err = expire(ctx, stdout, stderr, cfg, fsys, icetable.Target{Tenant: *tenant, Table: *name},
		icetable.ExpireOptions{OlderThan: *olderThan, RetainLast: *retain, DryRun: *dryRun})
	if cerr := fsys.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close lake: %w", cerr)
	}
	return err
}

// expire expires the snapshots of the tables of cfg's lake that which
// names (all when its fields are empty) and prints to w what it did, or
// with opts.DryRun what it would do; the log goes to logw.
func expire(ctx context.Context, w, logw io.Writer, cfg config.Config, fsys *lake.FS, which icetable.Target, opts icetable.ExpireOptions) (err error) {
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
		return fmt.Errorf("expire: %w", err)
	}
	if len(targets) == 0 {
		fmt.Fprintln(w, "no iceberg table to expire")
		return nil
	}
	var errs []error
	for _, tg := range targets {
		e, err := tables.Expire(ctx, tg, opts)
		label := e.Namespace + "." + e.Table
		switch {
		case err != nil:
			errs = append(errs, err)
			fmt.Fprintf(w, "%s: failed: %v\n", label, err)
		case opts.DryRun:
			fmt.Fprintf(w, "%s: %d snapshots; would expire %d, keeping %d (at least the newest %d)\n", label, e.Before, e.Before-e.After, e.After, e.Kept)
		default:
			fmt.Fprintf(w, "%s: %d snapshots; expired %d, kept %d (at least the newest %d); no file deleted\n", label, e.Before, e.Before-e.After, e.After, e.Kept)
		}
	}
	return errors.Join(errs...)
}
