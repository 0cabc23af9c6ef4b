package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/sink"
)

// cmdReport answers the business questions from the lake alone.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("landerd report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := report.DefaultOptions()
	var f runFlags
	fs.StringVar(&f.config, "config", "", "YAML configuration file: the lake is its lake.url (and hdfs settings)")
	fs.StringVar(&f.lake, "lake", "", "lake root: a path, file:///path or hdfs://namenode:port/path (overrides lake.url)")
	threshold := fs.Float64("pass-threshold", def.PassThreshold, "an attempt passes when its score is above this")
	course := fs.String("course", def.Course, "the exam_name whose attempts question 3 counts")
	top := fs.Int("top", def.RankingSize, "places shown at each end of the course ranking (ties extend it)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	tenant := fs.String("tenant", "", "answer for this tenant of a multi-tenant lake only, reading only <table>/tenant=<name>; without it, the whole lake (every tenant)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *threshold < 0 || *threshold > 1 || *top < 1 {
		return usagef("report: --pass-threshold must be in [0, 1] and --top at least 1")
	}
	if *tenant != "" {
		if err := report.CheckTenant(*tenant); err != nil {
			return usagef("report: --tenant: %v", err)
		}
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	fsys, err := lake.OpenReadOnly(cfg)
	if err != nil {
		return err
	}
	opts := report.Options{PassThreshold: *threshold, Course: *course, RankingSize: *top, Tenant: *tenant}
	if cfg.Lake.IsIceberg() {
		err = printIcebergReport(ctx, stdout, cfg, fsys, opts, *asJSON)
	} else {
		err = printReport(ctx, stdout, fsys, opts, *asJSON)
	}
	if cerr := fsys.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close lake: %w", cerr)
	}
	return err
}

// printReport reads the report from the lake in fsys and prints it as
// text or JSON.
func printReport(ctx context.Context, w io.Writer, fsys sink.ReadFS, opts report.Options, asJSON bool) error {
	rep, err := report.Read(ctx, fsys, opts, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	if asJSON {
		return rep.WriteJSON(w)
	}
	return rep.WriteText(w)
}
