package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

const benchTopic = "assessment-attempts"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == consumeCmd:
		err = runConsume(ctx, os.Args[2:], os.Stdout)
	case len(os.Args) > 1 && os.Args[1] == landerCmd:
		err = runLander(ctx, os.Args[2:], os.Stdout)
	case len(os.Args) > 1 && os.Args[1] == dayCmd:
		err = runDay(ctx, os.Args[2:], os.Stdout, os.Stderr)
	case len(os.Args) > 1 && os.Args[1] == compactDayCmd:
		err = runCompactDay(ctx, os.Args[2:], os.Stdout, os.Stderr)
	default:
		err = runBench(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// options are the harness's flags.
type options struct {
	n          int64
	partitions int
	runs       int
	json       bool
	sweep      string
	maxFileAge time.Duration
	addr       string
	brokers    []string
	seed       int64
	timeout    time.Duration
	landerd    string
	cpuprofile string
	memprofile string
	keep       bool
	formats    []string
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Int64Var(&o.n, "n", 300_000, "generated attempts in the topic (about 2.7 KB each; the broker holds about twice the topic in RAM)")
	fs.IntVar(&o.partitions, "partitions", 4, "partitions of the topic")
	fs.IntVar(&o.runs, "runs", 1, "measure each side this many times and report the medians")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON on stdout")
	fs.StringVar(&o.sweep, "rss-sweep", "", "comma-separated backlog sizes (e.g. 100000,300000,600000): measure landerd's peak RSS against each instead")
	fs.DurationVar(&o.maxFileAge, "max-file-age", time.Second, "landerd --max-file-age: how long the last records wait before they are published")
	fs.StringVar(&o.addr, "addr", "", "loopback host:port for the in-process broker; empty picks a free port")
	brokers := fs.String("brokers", "", "comma-separated host:port of real Kafka brokers (e.g. started by bench/kafka.sh) to run against instead of the in-process broker; the harness creates a fresh topic there and deletes it at the end")
	fs.Int64Var(&o.seed, "seed", 1, "attempt generator seed")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on a child that has not finished after this long")
	fs.StringVar(&o.landerd, "landerd", "", "landerd binary to measure; empty builds ./cmd/landerd of the current module")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "also land the topic with internal/lander in a child under the CPU profiler and write the profile here")
	fs.StringVar(&o.memprofile, "memprofile", "", "with -cpuprofile, also write that child's heap profile at its largest live heap here")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (landerd binary, configs, lakes)")
	formats := fs.String("formats", formatHive+","+formatIceberg, "comma-separated lake.format values to measure landerd with, interleaved in each run (hive, iceberg: the hadoop catalog on the local lake); -rss-sweep uses the first")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	if *brokers != "" {
		o.brokers = strings.Split(*brokers, ",")
		if o.addr != "" {
			errs = append(errs, errors.New("-addr and -brokers exclude each other"))
		}
	}
	o.formats = strings.Split(*formats, ",")
	seen := map[string]bool{}
	for _, f := range o.formats {
		if f != formatHive && f != formatIceberg || seen[f] {
			errs = append(errs, fmt.Errorf("-formats %q: want hive, iceberg or both, each once", *formats))
			break
		}
		seen[f] = true
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if o.n < 1 {
		errs = append(errs, errors.New("-n must be positive"))
	}
	if o.partitions < 1 || o.partitions > 1024 {
		errs = append(errs, errors.New("-partitions must be between 1 and 1024"))
	}
	if o.runs < 1 {
		errs = append(errs, errors.New("-runs must be positive"))
	}
	if o.maxFileAge <= 0 {
		errs = append(errs, errors.New("-max-file-age must be positive"))
	}
	if o.memprofile != "" && o.cpuprofile == "" {
		errs = append(errs, errors.New("-memprofile needs -cpuprofile"))
	}
	if o.timeout <= 0 {
		errs = append(errs, errors.New("-timeout must be positive"))
	}
	return o, errors.Join(errs...)
}

// Report is the harness's machine-readable output (-json).
type Report struct {
	Broker     string  `json:"broker"`
	Partitions int     `json:"partitions"`
	MaxFileAge string  `json:"max_file_age"`
	GoMaxProcs int     `json:"cores"`
	Records    int64   `json:"records,omitempty"`
	TopicBytes int64   `json:"topic_bytes,omitempty"`
	Runs       int     `json:"runs,omitempty"`
	Baseline   *Series `json:"baseline,omitempty"`
	Landerd    *Series `json:"landerd,omitempty"`
	// Iceberg is landerd with lake.format iceberg.
	Iceberg *Series `json:"landerd_iceberg,omitempty"`
	// ThroughputRatio is landerd's median records/s over the baseline's.
	ThroughputRatio float64 `json:"throughput_ratio,omitempty"`
	// IcebergThroughputRatio and IcebergCPURatio are landerd's median
	// records/s and CPU s per 100k with lake.format iceberg over those
	// with hive.
	IcebergThroughputRatio float64         `json:"iceberg_throughput_ratio,omitempty"`
	IcebergCPURatio        float64         `json:"iceberg_cpu_ratio,omitempty"`
	IcebergSummary         *icebergSummary `json:"iceberg,omitempty"`
	Sweep                  []SweepPoint    `json:"rss_sweep,omitempty"`
	CPUProfile             string          `json:"cpu_profile,omitempty"`
}

// Series is every run of one side and their medians.
type Series struct {
	Runs   []Result `json:"runs"`
	Median Result   `json:"median"`
}

// bench holds what every measurement of one harness invocation shares.
type bench struct {
	opt     options
	tmp     string
	landerd string
	self    string
	topic   *topic
	log     io.Writer
	seq     int
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opt, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	b := &bench{opt: opt, log: stderr}
	if b.self, err = os.Executable(); err != nil {
		return fmt.Errorf("find harness binary: %w", err)
	}
	var cleanup func()
	if b.tmp, cleanup, err = workDir("landerd-bench-", opt.keep, stderr); err != nil {
		return err
	}
	defer cleanup()
	b.landerd = opt.landerd
	if b.landerd == "" {
		root, err := moduleRoot(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "building %s/cmd/landerd\n", root)
		if b.landerd, err = buildLanderd(ctx, root, b.tmp); err != nil {
			return err
		}
	}
	if len(opt.brokers) > 0 {
		b.topic, err = remoteTopic(ctx, opt.brokers, benchTopic, int32(opt.partitions), opt.seed)
	} else {
		b.topic, err = startTopic(benchTopic, int32(opt.partitions), opt.addr, opt.seed)
	}
	if err != nil {
		return err
	}
	defer b.topic.close()

	kind := "in-process (kfake)"
	if len(opt.brokers) > 0 {
		kind = "Apache Kafka at " + strings.Join(opt.brokers, ",")
	}
	rep := Report{Broker: kind, Partitions: opt.partitions, MaxFileAge: opt.maxFileAge.String(), GoMaxProcs: runtime.NumCPU()}
	if opt.sweep != "" {
		err = b.sweep(ctx, &rep, stdout)
	} else {
		err = b.compare(ctx, &rep, stdout)
	}
	if err != nil {
		return err
	}
	if opt.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// fill grows the topic to n records.
func (b *bench) fill(ctx context.Context, n int64) ([]int64, error) {
	start := time.Now()
	fmt.Fprintf(b.log, "filling topic %q (%d partitions) on %s to %d attempts ... ", b.topic.name, b.opt.partitions, b.topic.b.Addr(), n)
	if err := b.topic.fillTo(ctx, n); err != nil {
		return nil, err
	}
	ends, err := b.topic.endOffsets(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.log, "%.0f MB in %s; end offsets %v\n", float64(b.topic.bytes)/1e6, time.Since(start).Round(time.Millisecond), ends)
	return ends, nil
}

// compare measures the baseline and landerd opt.runs times each against a
// topic of opt.n records and prints the medians.
func (b *bench) compare(ctx context.Context, rep *Report, stdout io.Writer) error {
	ends, err := b.fill(ctx, b.opt.n)
	if err != nil {
		return err
	}
	var base []Result
	land := map[string][]Result{}
	for i := range b.opt.runs {
		fmt.Fprintf(b.log, "run %d/%d: baseline ... ", i+1, b.opt.runs)
		r, err := b.baseline(ctx, ends)
		if err != nil {
			return err
		}
		fmt.Fprintf(b.log, "%.2fs", r.Wall.Seconds())
		base = append(base, r)
		// Every other run measures the formats in the reverse order, so
		// that neither always runs in the same minute of a run.
		formats := slices.Clone(b.opt.formats)
		if i%2 == 1 {
			slices.Reverse(formats)
		}
		for _, f := range formats {
			fmt.Fprintf(b.log, "; landerd %s ... ", f)
			if r, err = b.runLanderd(ctx, ends, f); err != nil {
				return err
			}
			fmt.Fprintf(b.log, "%.2fs", r.Wall.Seconds())
			land[f] = append(land[f], r)
		}
		fmt.Fprintln(b.log)
	}
	rep.Records, rep.TopicBytes, rep.Runs = b.topic.n, b.topic.bytes, b.opt.runs
	rep.Baseline = &Series{Runs: base, Median: median(base)}
	if rs := land[formatHive]; rs != nil {
		rep.Landerd = &Series{Runs: rs, Median: median(rs)}
	}
	if rs := land[formatIceberg]; rs != nil {
		rep.Iceberg = &Series{Runs: rs, Median: median(rs)}
		if rep.IcebergSummary, err = summarizeIceberg(rs); err != nil {
			return err
		}
	}
	lead := rep.Landerd
	if lead == nil {
		lead = rep.Iceberg
	}
	if v := rep.Baseline.Median.RecordsPerSec(); v > 0 {
		rep.ThroughputRatio = lead.Median.RecordsPerSec() / v
	}
	if rep.Landerd != nil && rep.Iceberg != nil {
		if v := rep.Landerd.Median.RecordsPerSec(); v > 0 {
			rep.IcebergThroughputRatio = rep.Iceberg.Median.RecordsPerSec() / v
		}
		if v := rep.Landerd.Median.CPUPer100k(); v > 0 {
			rep.IcebergCPURatio = rep.Iceberg.Median.CPUPer100k() / v
		}
	}
	if b.opt.cpuprofile != "" {
		fmt.Fprintf(b.log, "profiling internal/lander in a child ... ")
		r, err := b.profile(ctx, ends)
		if err != nil {
			return err
		}
		fmt.Fprintf(b.log, "%.2fs, %.2f CPU s; profile in %s\n", r.Wall.Seconds(), r.CPU.Seconds(), b.opt.cpuprofile)
		rep.CPUProfile = b.opt.cpuprofile
	}
	if b.opt.json {
		return nil
	}
	title := "median of %d runs"
	if b.opt.runs == 1 {
		title = "%d run"
	}
	fmt.Fprintf(stdout, "\n%d attempts (%.0f MB of JSON), %d partitions, broker %s, %d cores, landerd --max-file-age %s; "+title+"\n\n",
		b.topic.n, float64(b.topic.bytes)/1e6, b.opt.partitions, rep.Broker, rep.GoMaxProcs, b.opt.maxFileAge, b.opt.runs)
	rows := []Result{rep.Baseline.Median}
	for _, s := range []*Series{rep.Landerd, rep.Iceberg} {
		if s != nil {
			rows = append(rows, s.Median)
		}
	}
	if err := writeTable(stdout, rows); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nthroughput %s/baseline: %.2f\n", lead.Median.Name, rep.ThroughputRatio)
	if rep.IcebergThroughputRatio > 0 {
		fmt.Fprintf(stdout, "iceberg/hive: throughput %.2f, CPU s per 100k %.2f\n", rep.IcebergThroughputRatio, rep.IcebergCPURatio)
	}
	if rep.IcebergSummary != nil {
		return writeIceberg(stdout, rep.IcebergSummary, len(rep.Iceberg.Runs))
	}
	return nil
}

// sweep measures landerd against each backlog size in turn, growing one
// topic between measurements.
func (b *bench) sweep(ctx context.Context, rep *Report, stdout io.Writer) error {
	sizes, err := parseSizes(b.opt.sweep)
	if err != nil {
		return err
	}
	for _, n := range sizes {
		ends, err := b.fill(ctx, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(b.log, "landerd against %d ... ", n)
		r, err := b.runLanderd(ctx, ends, b.opt.formats[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(b.log, "%.2fs, peak RSS %.1f MiB\n", r.Wall.Seconds(), float64(r.PeakRSS)/mib)
		rep.Sweep = append(rep.Sweep, SweepPoint{Backlog: n, Landerd: r})
	}
	if b.opt.json {
		return nil
	}
	fmt.Fprintf(stdout, "\nlanderd peak RSS by backlog (lake.format %s, %d partitions, memory.budget_bytes default, --max-file-age %s)\n\n", b.opt.formats[0], b.opt.partitions, b.opt.maxFileAge)
	return writeSweep(stdout, rep.Sweep)
}

// next returns a fresh name for a run's group and directories.
func (b *bench) next(kind string) string {
	b.seq++
	return fmt.Sprintf("bench-%s-%d", kind, b.seq)
}

func (b *bench) baseline(ctx context.Context, ends []int64) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opt.timeout)
	defer cancel()
	out := newLineWatcher()
	cmd := exec.CommandContext(ctx, b.self, consumeCmd,
		"-brokers", b.topic.b.Addr(), "-topic", b.topic.name, "-group", b.next("baseline"), "-ends", formatEnds(ends))
	cmd.Stdout = out
	u, err := measure(ctx, cmd, out.wait, nil, false)
	if err != nil {
		return Result{}, fmt.Errorf("baseline: %w", err)
	}
	return b.result("baseline", u), nil
}

// runLanderd measures landerd landing the topic into a fresh lake of the
// given lake.format.
func (b *bench) runLanderd(ctx context.Context, ends []int64, format string) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opt.timeout)
	defer cancel()
	name := b.next("landerd-" + format)
	dir := filepath.Join(b.tmp, name)
	lake := filepath.Join(dir, "lake")
	if err := os.MkdirAll(lake, 0o755); err != nil {
		return Result{}, fmt.Errorf("landerd: %w", err)
	}
	metricsAddr, err := freeAddr()
	if err != nil {
		return Result{}, fmt.Errorf("landerd: metrics port: %w", err)
	}
	cfgFile := filepath.Join(dir, "landerd.yaml")
	if err := os.WriteFile(cfgFile, []byte(landerdConfig(b.topic.b.Addr(), b.topic.name, name, lake, metricsAddr, format)), 0o644); err != nil {
		return Result{}, fmt.Errorf("landerd: %w", err)
	}
	cmd := exec.CommandContext(ctx, b.landerd, "run", "--config", cfgFile, "--max-file-age", b.opt.maxFileAge.String())
	cmd.Env = cleanEnv()
	done := func(ctx context.Context) error { return landed(ctx, lake, b.topic.name, ends) }
	var commits Histogram
	var conflicts float64
	var before func(context.Context) error
	if format == formatIceberg {
		// Done when the tables have committed every last flush, which
		// follows its publish; then the commit histogram, before the
		// daemon stops.
		done = func(ctx context.Context) error { return icebergLanded(ctx, lake, b.topic.name, ends) }
		before = func(ctx context.Context) (err error) {
			commits, conflicts, err = scrapeCommits(ctx, metricsAddr)
			return err
		}
	}
	u, err := measure(ctx, cmd, done, before, true)
	if err != nil {
		return Result{}, fmt.Errorf("landerd %s: %w", format, err)
	}
	r := b.result(resultName(format), u)
	if r.LakeBytes, err = dirBytes(lake); err != nil {
		return r, fmt.Errorf("landerd: %w", err)
	}
	if format == formatIceberg {
		r.Iceberg = &IcebergRun{Commits: commits, Conflicts: conflicts}
		if r.Iceberg.Tables, err = icebergMetadata(ctx, lake); err != nil {
			return r, fmt.Errorf("landerd: %w", err)
		}
	}
	if !b.opt.keep {
		if err := os.RemoveAll(dir); err != nil {
			return r, fmt.Errorf("landerd: %w", err)
		}
	}
	return r, nil
}

func (b *bench) profile(ctx context.Context, ends []int64) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opt.timeout)
	defer cancel()
	name := b.next("profile")
	lake := filepath.Join(b.tmp, name, "lake")
	if err := os.MkdirAll(lake, 0o755); err != nil {
		return Result{}, fmt.Errorf("profile: %w", err)
	}
	prof, err := filepath.Abs(b.opt.cpuprofile)
	if err != nil {
		return Result{}, fmt.Errorf("profile: %w", err)
	}
	args := []string{landerCmd,
		"-brokers", b.topic.b.Addr(), "-topic", b.topic.name, "-group", name, "-lake", lake,
		"-max-file-age", b.opt.maxFileAge.String(), "-ends", formatEnds(ends), "-cpuprofile", prof}
	if b.opt.memprofile != "" {
		mem, err := filepath.Abs(b.opt.memprofile)
		if err != nil {
			return Result{}, fmt.Errorf("profile: %w", err)
		}
		args = append(args, "-memprofile", mem)
	}
	out := newLineWatcher()
	cmd := exec.CommandContext(ctx, b.self, args...)
	cmd.Stdout = out
	u, err := measure(ctx, cmd, out.wait, nil, false)
	if err != nil {
		return Result{}, fmt.Errorf("profile: %w", err)
	}
	return b.result("lander-profiled", u), nil
}

func (b *bench) result(name string, u usage) Result {
	return Result{Name: name, Records: b.topic.n, InputBytes: b.topic.bytes, Wall: u.wall, CPU: u.cpu, PeakRSS: u.peakRSS, RusageMaxRSS: u.rusageMaxRSS}
}

// resultName names landerd's results by lake format: "landerd" for the
// Hive layout, as before there was a choice.
func resultName(format string) string {
	if format == formatHive {
		return "landerd"
	}
	return "landerd-" + format
}

// cleanEnv is the harness's environment without landerd's own variables,
// so that the configuration file alone decides the run.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if len(kv) >= 8 && kv[:8] == "LANDERD_" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// workDir makes a temporary directory named after prefix for one run; the
// func removes it, unless keep says to leave it (its path then goes to log).
func workDir(prefix string, keep bool, log io.Writer) (string, func(), error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, fmt.Errorf("temporary directory: %w", err)
	}
	if keep {
		fmt.Fprintf(log, "keeping %s\n", dir)
		return dir, func() {}, nil
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}
