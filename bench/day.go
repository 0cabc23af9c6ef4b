package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/lander"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// dayCmd is the hidden subcommand that lands a day of flushes into an
// Iceberg lake, in a child of the harness (so that the harness's own
// address space stays small for the compaction measured after it).
const dayCmd = "__day"

// passwordEnv carries the catalog's password to the children, as
// `landerd run` takes it.
const passwordEnv = "LANDERD_ICEBERG_CATALOG_PASSWORD"

// dayOptions say what day a dayCmd child lands.
type dayOptions struct {
	lake       string
	catalogURI string
	day        time.Time
	partitions int
	flushes    int // per partition
	every      time.Duration
	perFlush   int
	badRate    float64
	dupRate    float64
	seed       int64
}

// dayResult is what a dayCmd child prints on stdout when it is done.
type dayResult struct {
	Flushes  int   `json:"flushes"`
	Attempts int64 `json:"attempts"`
	// Quarantined counts the records that went to _quarantine.
	Quarantined int64 `json:"quarantined"`
	// Files counts the data files published, by table.
	Files map[string]int `json:"files"`
	// Bytes is the data files' total size, footers included.
	Bytes int64 `json:"bytes"`
	// Wall is the whole landing: writing, publishing and committing.
	Wall time.Duration `json:"wall_ns"`
	// Commit is the time spent in Tables.Commit, all flushes.
	Commit time.Duration `json:"commit_ns"`
	// FirstCommits and LastCommits are the mean Tables.Commit of the first
	// and the last tenth of the flushes: how commits slow down as the
	// tables' metadata grows.
	FirstCommits time.Duration `json:"first_commits_mean_ns"`
	LastCommits  time.Duration `json:"last_commits_mean_ns"`
}

// dayArgs returns the flags a dayCmd child parses into o.
func dayArgs(o dayOptions) []string {
	return []string{dayCmd,
		"-lake", o.lake, "-catalog-uri", o.catalogURI, "-day", o.day.Format(time.DateOnly),
		"-partitions", fmt.Sprint(o.partitions), "-flushes", fmt.Sprint(o.flushes), "-every", o.every.String(),
		"-per-flush", fmt.Sprint(o.perFlush), "-bad-rate", fmt.Sprint(o.badRate), "-duplicate-rate", fmt.Sprint(o.dupRate),
		"-seed", fmt.Sprint(o.seed)}
}

// runDay is the dayCmd child: it parses dayArgs, lands the day, prints a
// dayResult as JSON and then doneLine.
func runDay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(dayCmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o dayOptions
	day := fs.String("day", "", "UTC date the flushes land on")
	fs.StringVar(&o.lake, "lake", "", "lake directory")
	fs.StringVar(&o.catalogURI, "catalog-uri", "", "sql catalog URI (password in "+passwordEnv+")")
	fs.IntVar(&o.partitions, "partitions", 12, "Kafka partitions")
	fs.IntVar(&o.flushes, "flushes", 288, "flushes per partition")
	fs.DurationVar(&o.every, "every", 5*time.Minute, "time between a partition's flushes")
	fs.IntVar(&o.perFlush, "per-flush", 30, "records per flush")
	fs.Float64Var(&o.badRate, "bad-rate", 0, "share of malformed records")
	fs.Float64Var(&o.dupRate, "duplicate-rate", 0, "share of resent attempts")
	fs.Int64Var(&o.seed, "seed", 1, "generator seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.day, err = time.Parse(time.DateOnly, *day); err != nil {
		return fmt.Errorf("-day: %w", err)
	}
	res, err := landDay(ctx, o, stderr)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, doneLine)
	return err
}

// dayLake is the lake a day is landed into: the files through pkg/sink,
// the commits through internal/icetable, as `landerd run` lands them.
type dayLake struct {
	o       dayOptions
	cfg     config.Config
	fsys    sink.FS
	tables  *icetable.Tables
	schemas map[string]*arrow.Schema
	parts   []*sink.Partition
	gens    []*attemptgen.Generator
	next    []int64 // each partition's next offset
	dec     flatten.Decoder
	mem     memory.Allocator
	res     dayResult
}

// landDay lands o's day: flush k of every partition in turn, partition p's
// landed (k+1)*every - (partitions-p)*every/partitions after midnight, so
// that the flushes of the partitions interleave through the day as their
// age deadlines would, and commits each to the tables before the next.
func landDay(ctx context.Context, o dayOptions, log io.Writer) (dayResult, error) {
	cfg := config.Default()
	cfg.Lake.URL = o.lake
	cfg.Lake.Format = config.FormatIceberg
	cfg.Lake.Iceberg.Catalog = config.IcebergCatalog{Type: config.CatalogSQL, URI: o.catalogURI, Password: config.Secret(os.Getenv(passwordEnv))}
	fsys, err := lake.Open(cfg)
	if err != nil {
		return dayResult{}, err
	}
	defer fsys.Close()
	conf, err := icetable.ConfigOf(cfg, false)
	if err != nil {
		return dayResult{}, err
	}
	d := &dayLake{
		o: o, cfg: cfg, fsys: fsys,
		tables:  icetable.New(conf, zap.NewNop(), metrics.NewIceberg(prometheus.NewRegistry(), icetable.TableNames())),
		schemas: map[string]*arrow.Schema{},
		mem:     memory.NewGoAllocator(),
		res:     dayResult{Files: map[string]int{}},
	}
	defer d.tables.Close()
	for _, t := range flatten.Tables() {
		if d.schemas[t.Name], err = d.tables.FileSchema(t.Name); err != nil {
			return dayResult{}, err
		}
	}
	for p := range o.partitions {
		part, err := sink.Claim(ctx, fsys, benchTopic, int32(p))
		if err != nil {
			return dayResult{}, err
		}
		if err := part.SetDataDirs(d.tables.DataDir); err != nil {
			return dayResult{}, err
		}
		d.parts = append(d.parts, part)
		d.gens = append(d.gens, attemptgen.New(attemptgen.Config{Seed: o.seed*1000 + int64(p), BadRate: o.badRate, DuplicateRate: o.dupRate}))
		// A fresh lake resumes from offset 0 (NextOffset -1).
		d.next = append(d.next, max(0, part.NextOffset()))
	}
	start := time.Now()
	var commits []time.Duration
	for k := range o.flushes {
		for p := range o.partitions {
			at := o.day.Add(time.Duration(k+1)*o.every - time.Duration(o.partitions-p)*o.every/time.Duration(o.partitions))
			took, err := d.flush(ctx, p, at)
			if err != nil {
				return dayResult{}, fmt.Errorf("flush %d of partition %d: %w", k+1, p, err)
			}
			commits = append(commits, took)
			d.res.Commit += took
		}
		if (k+1)%(o.flushes/12+1) == 0 || k+1 == o.flushes {
			n := len(commits)
			fmt.Fprintf(log, "  %d/%d flushes committed in %s; the last %d commits %.0f ms each\n",
				n, o.flushes*o.partitions, time.Since(start).Round(time.Second), o.partitions,
				meanDuration(commits[n-o.partitions:]).Seconds()*1e3)
		}
	}
	d.res.Wall = time.Since(start)
	d.res.Flushes = len(commits)
	tenth := max(1, len(commits)/10)
	d.res.FirstCommits = meanDuration(commits[:tenth])
	d.res.LastCommits = meanDuration(commits[len(commits)-tenth:])
	return d.res, nil
}

// flush lands the next o.perFlush records of partition p as one flush
// landed at at: decoded and flattened as an owner does, written with
// landerd's writer settings and the tables' file schemas, published, and
// committed to the tables. It returns how long the commit took.
func (d *dayLake) flush(ctx context.Context, p int, at time.Time) (time.Duration, error) {
	b := flatten.NewBatch(d.mem)
	defer b.Release()
	first := d.next[p]
	for i := range d.o.perFlush {
		rec := d.gens[p].Next()
		m := &flatten.Meta{Topic: benchTopic, Partition: int32(p), Offset: first + int64(i), Key: rec.Key,
			Timestamp: at.Add(-time.Duration(d.o.perFlush-i) * time.Second), LandedAt: at}
		a, err := d.dec.Decode(rec.Value)
		var why *flatten.InvalidError
		switch {
		case errors.As(err, &why):
			b.AppendQuarantine(m, why, rec.Value)
			d.res.Quarantined++
		case err != nil:
			return 0, err
		default:
			b.AppendAttempt(m, a)
			d.res.Attempts++
		}
	}
	last := first + int64(d.o.perFlush) - 1
	recs := b.Take()
	defer recs.Release()
	hive := string(config.PartitionByIngestDate) + "=" + at.UTC().Format(time.DateOnly)
	part := d.parts[p]
	var files []*sink.ParquetFile
	for i, t := range flatten.Tables() {
		rec := []arrow.RecordBatch{recs.Attempts, recs.Questions, recs.Quarantine}[i]
		if rec == nil || rec.NumRows() == 0 {
			continue
		}
		f, err := d.write(part, t, hive, rec, first, last)
		if err != nil {
			return 0, errors.Join(err, part.Abandon())
		}
		files = append(files, f)
		d.res.Files[t.Name]++
	}
	if err := part.Publish(ctx, files, first, last); err != nil {
		return 0, err
	}
	for _, f := range files {
		d.res.Bytes += f.Size() // closed: the whole file
	}
	d.next[p] = last + 1
	start := time.Now()
	if err := d.tables.Commit(ctx, part.Committed()); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// write writes rec, the flush's rows of table t, as its file in hive.
func (d *dayLake) write(part *sink.Partition, t *flatten.Table, hive string, rec arrow.RecordBatch, first, last int64) (*sink.ParquetFile, error) {
	schema := d.schemas[t.Name]
	opts := lander.WriterOptions(d.cfg.Lake.Compression, t)
	opts.Allocator = d.mem
	f, err := part.Create(t.Name, hive, schema, opts)
	if err != nil {
		return nil, err
	}
	frec := array.NewRecordBatch(schema, rec.Columns(), rec.NumRows())
	defer frec.Release()
	if err := f.Write(frec, first, last); err != nil {
		return nil, err
	}
	return f, nil
}

// meanDuration is the mean of ds, 0 for none.
func meanDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}
