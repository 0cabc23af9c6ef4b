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
	"github.com/landerd/landerd/pkg/sink"
)

// upkeepFlags are the flags that landerd compact and landerd expire
// share: the configuration, the lake, and which tables to work on.
type upkeepFlags struct {
	runFlags
	table, tenant string
}

// flagSet returns the flag set of landerd cmd with the shared flags on
// it, its errors and help written to stderr; verb says what the command
// does to a table ("compact", "expire the snapshots of").
func (u *upkeepFlags) flagSet(cmd, verb string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("landerd "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	u.register(fs, verb)
	return fs
}

// parse parses the command line of landerd cmd and checks the shared
// flags.
func (u *upkeepFlags) parse(fs *flag.FlagSet, cmd string, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return u.check(cmd)
}

// register adds the shared flags to fs; verb says what the command does
// to a table.
func (u *upkeepFlags) register(fs *flag.FlagSet, verb string) {
	fs.StringVar(&u.config, "config", "", "YAML configuration file: the lake (lake.url, lake.format iceberg) and its catalog (lake.iceberg)")
	fs.StringVar(&u.lake, "lake", "", "lake root: a path, file:///path or hdfs://namenode:port/path (overrides lake.url)")
	fs.StringVar(&u.table, "table", "", verb+" this table only: "+fmt.Sprint(icetable.TableNames()))
	fs.StringVar(&u.tenant, "tenant", "", verb+" this tenant's tables only; without it, the namespace's and every tenant's")
}

// check refuses a --table or --tenant that names no table; cmd is the
// command's name for the message.
func (u *upkeepFlags) check(cmd string) error {
	if u.table != "" && !slices.Contains(icetable.TableNames(), u.table) {
		return usagef("%s: --table %q: not one of %v", cmd, u.table, icetable.TableNames())
	}
	if u.tenant != "" {
		if err := report.CheckTenant(u.tenant); err != nil {
			return usagef("%s: --tenant: %v", cmd, err)
		}
	}
	return nil
}

// eachTable loads the configuration, opens its lake and the catalog of
// its Iceberg tables, and calls do for every table the flags name, writing
// "no iceberg table to <cmd>" to w when there is none. A lake of another
// format is a usage error that ends in notIceberg. do is given the lake
// too. A table whose do fails
// does not stop the others; the errors are joined. The log goes to logw.
func (u *upkeepFlags) eachTable(ctx context.Context, cmd, notIceberg string, w, logw io.Writer, do func(*icetable.Tables, sink.ReadFS, icetable.Target) error) (err error) {
	cfg, err := u.load()
	if err != nil {
		return err
	}
	if !cfg.Lake.IsIceberg() {
		return usagef("%s: lake.format is %s: %s", cmd, cfg.Lake.Format, notIceberg)
	}
	fsys, err := lake.Open(cfg)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := fsys.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close lake: %w", cerr)
		}
	}()
	tables, closeTables, err := openUpkeepTables(cfg, fsys, logw)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := closeTables(); cerr != nil && err == nil {
			err = fmt.Errorf("close iceberg catalog: %w", cerr)
		}
	}()
	targets, err := tables.Targets(ctx, fsys, u.tenant, u.table)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if len(targets) == 0 {
		fmt.Fprintf(w, "no iceberg table to %s\n", cmd)
		return nil
	}
	var errs []error
	for _, tg := range targets {
		if err := do(tables, fsys, tg); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// openUpkeepTables opens the Iceberg tables of cfg's lake, whose files
// are in fsys, for a one-shot command; the func closes them.
func openUpkeepTables(cfg config.Config, fsys *lake.FS, logw io.Writer) (*icetable.Tables, func() error, error) {
	conf, err := icetable.ConfigOf(cfg, false)
	if err != nil {
		return nil, nil, usageError{err}
	}
	log, err := newLogger(cfg.Log, logw)
	if err != nil {
		return nil, nil, usageError{err}
	}
	unregister, err := registerIO(conf, fsys)
	if err != nil {
		return nil, nil, err
	}
	tables := icetable.New(conf, log, metrics.NewIceberg(prometheus.NewRegistry(), nil))
	return tables, func() error {
		defer unregister()
		return tables.Close()
	}, nil
}
