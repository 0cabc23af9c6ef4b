package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/internal/config"
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
	lake, err := openReportLake(cfg)
	if err != nil {
		return err
	}
	opts := report.Options{PassThreshold: *threshold, Course: *course, RankingSize: *top, Tenant: *tenant}
	if cfg.Lake.IsIceberg() {
		err = printIcebergReport(ctx, stdout, cfg, lake, opts, *asJSON)
	} else {
		err = printReport(ctx, stdout, lake, opts, *asJSON)
	}
	if cerr := lake.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close lake: %w", cerr)
	}
	return err
}

// openReportLake opens the lake of cfg for a report: read only, and
// without creating or changing anything, not even the lake root (as run
// does with a missing root, or hdfs.group), so that a user who may only
// read, such as a tenant's, can report. A missing root is an error.
func openReportLake(cfg config.Config) (*readOnlyLake, error) {
	loc, err := cfg.Lake.Location()
	if err != nil {
		return nil, usageError{err}
	}
	switch loc.Scheme {
	case config.SchemeFile:
		fi, err := os.Stat(loc.Path)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("report: lake %s: not a directory", loc.Path)
		}
		local, err := sink.NewLocal(loc.Path)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		return &readOnlyLake{fsys: local, root: ".", url: local.String()}, nil
	case config.SchemeHDFS:
		return openHDFSReadOnly(cfg.HDFS, loc)
	default:
		return nil, usagef("lake %s: scheme %q is not supported by this build", cfg.Lake.URL, loc.Scheme)
	}
}

// errReadOnly is the error of a change to the lake a report reads.
var errReadOnly = errors.New("a report reads the lake and changes nothing")

// readOnlyLake is the lake a report reads: the directory root of fsys,
// through the reading methods of sink.FS only; every change fails with
// errReadOnly.
type readOnlyLake struct {
	fsys sink.FS
	root string // the lake's root in fsys, "." for fsys's own
	url  string // the lake's URL, its String
}

// full maps a lake path to its path in fsys.
func (l *readOnlyLake) full(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return path.Join(l.root, name), nil
}

// refuse is the error of every change.
func (l *readOnlyLake) refuse(op, name string) error {
	return &fs.PathError{Op: op, Path: name, Err: errReadOnly}
}

// Open implements sink.FS.
func (l *readOnlyLake) Open(name string) (sink.ReadFile, error) {
	full, err := l.full("open", name)
	if err != nil {
		return nil, err
	}
	return l.fsys.Open(full)
}

// ReadDir implements sink.FS.
func (l *readOnlyLake) ReadDir(name string) ([]fs.FileInfo, error) {
	full, err := l.full("readdir", name)
	if err != nil {
		return nil, err
	}
	infos, err := l.fsys.ReadDir(full)
	return infos, l.relative(err)
}

// Stat implements sink.FS.
func (l *readOnlyLake) Stat(name string) (fs.FileInfo, error) {
	full, err := l.full("stat", name)
	if err != nil {
		return nil, err
	}
	fi, err := l.fsys.Stat(full)
	return fi, l.relative(err)
}

// relative names the lake path, not fsys's, in a *fs.PathError.
func (l *readOnlyLake) relative(err error) error {
	var pe *fs.PathError
	if l.root == "." || !errors.As(err, &pe) {
		return err
	}
	if rel, ok := strings.CutPrefix(pe.Path, l.root+"/"); ok {
		return &fs.PathError{Op: pe.Op, Path: rel, Err: pe.Err}
	}
	return err
}

// String implements sink.FS: the lake's URL.
func (l *readOnlyLake) String() string { return l.url }

// Create implements sink.FS: it fails.
func (l *readOnlyLake) Create(name string) (sink.File, error) { return nil, l.refuse("create", name) }

// CreatePerm implements sink.FS: it fails.
func (l *readOnlyLake) CreatePerm(name string, _ fs.FileMode) (sink.File, error) {
	return nil, l.refuse("create", name)
}

// Rename implements sink.FS: it fails.
func (l *readOnlyLake) Rename(from, _ string) error { return l.refuse("rename", from) }

// MkdirAll implements sink.FS: it fails.
func (l *readOnlyLake) MkdirAll(name string) error { return l.refuse("mkdir", name) }

// RemoveAll implements sink.FS: it fails.
func (l *readOnlyLake) RemoveAll(name string) error { return l.refuse("remove", name) }

// Chmod implements sink.FS: it fails.
func (l *readOnlyLake) Chmod(name string, _ fs.FileMode) error { return l.refuse("chmod", name) }

// Chgrp implements sink.FS: it fails.
func (l *readOnlyLake) Chgrp(name, _ string) error { return l.refuse("chgrp", name) }

// Close closes the filesystem's connections.
func (l *readOnlyLake) Close() error { return closeLake(l.fsys) }

// printReport reads the report from lake and prints it as text or JSON.
func printReport(ctx context.Context, w io.Writer, lake sink.FS, opts report.Options, asJSON bool) error {
	rep, err := report.Read(ctx, lake, opts, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	if asJSON {
		return rep.WriteJSON(w)
	}
	return rep.WriteText(w)
}
