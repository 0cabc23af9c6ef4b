package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the soak and returns the exit code: 0 when every check passed,
// 1 when one failed or the run could not be carried out, 2 for bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opt, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 2
	}
	ok, err := soak(ctx, opt, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 1
	}
	if !ok {
		fmt.Fprintln(stdout, "\nsoak: FAILED")
		return 1
	}
	fmt.Fprintln(stdout, "\nsoak: passed")
	return 0
}

// options are the harness's flags.
type options struct {
	duration      time.Duration
	rate          int
	partitions    int
	maxFileAge    time.Duration
	datanodeEvery time.Duration
	datanodeDown  time.Duration
	brokerDown    time.Duration
	sampleEvery   time.Duration
	warmup        time.Duration
	drainTimeout  time.Duration
	seed          int64
	landerd       string
	keep          bool
	tolerance     tolerance
}

// tolerance is the largest growth per hour each sampled figure may show.
type tolerance struct {
	goroutines float64 // goroutines per hour
	rssMiB     float64 // MiB per hour
	fds        float64 // open file descriptors per hour
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", 20*time.Minute, "how long the producer writes and the faults run, from the daemon's start")
	fs.IntVar(&o.rate, "rate", 50, "attempts produced per second (about 2.7 KB each)")
	fs.IntVar(&o.partitions, "partitions", 4, "partitions of the topic")
	fs.DurationVar(&o.maxFileAge, "max-file-age", 10*time.Second, "the daemon's lake.roll.max_file_age, the one setting changed from the production defaults")
	fs.DurationVar(&o.datanodeEvery, "datanode-every", 2*time.Minute, "stop a DataNode this often, the three in turn")
	fs.DurationVar(&o.datanodeDown, "datanode-down", 45*time.Second, "how long a stopped DataNode stays down")
	fs.DurationVar(&o.brokerDown, "broker-down", 20*time.Second, "how long a stopped broker stays down (two restarts per run)")
	fs.DurationVar(&o.sampleEvery, "sample-every", time.Minute, "sample the daemon's goroutines, RSS and open files this often")
	fs.DurationVar(&o.warmup, "warmup", 0, "samples before this are left out of the slopes; 0 means half of -duration")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 5*time.Minute, "how long the lake may take to hold everything once the producer stops")
	fs.Int64Var(&o.seed, "seed", 1, "attempt generator seed")
	fs.StringVar(&o.landerd, "landerd", "", "landerd binary to soak; empty builds ./cmd/landerd of the current module")
	fs.BoolVar(&o.keep, "keep", false, "keep the run's directory (logs, configuration, the clusters' data) even when every check passes")
	fs.Float64Var(&o.tolerance.goroutines, "max-goroutines-slope", 30, "largest growth of go_goroutines accepted, per hour")
	fs.Float64Var(&o.tolerance.rssMiB, "max-rss-slope", 100, "largest growth of the resident set accepted, MiB per hour")
	fs.Float64Var(&o.tolerance.fds, "max-fds-slope", 30, "largest growth of open file descriptors accepted, per hour")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"duration", o.duration}, {"max-file-age", o.maxFileAge}, {"datanode-every", o.datanodeEvery},
		{"datanode-down", o.datanodeDown}, {"broker-down", o.brokerDown}, {"sample-every", o.sampleEvery},
		{"drain-timeout", o.drainTimeout}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("-%s must be positive", d.name))
		}
	}
	if o.warmup == 0 {
		o.warmup = o.duration / 2
	}
	if o.warmup < 0 || o.warmup >= o.duration {
		errs = append(errs, errors.New("-warmup must be at least 0 and shorter than -duration"))
	}
	if o.datanodeDown >= o.datanodeEvery {
		errs = append(errs, errors.New("-datanode-down must be shorter than -datanode-every"))
	}
	if o.rate < 1 || o.rate > 10_000 {
		errs = append(errs, errors.New("-rate must be between 1 and 10000"))
	}
	if o.partitions < 1 || o.partitions > 64 {
		errs = append(errs, errors.New("-partitions must be between 1 and 64"))
	}
	return o, errors.Join(errs...)
}

// window is how many consecutive samples span one period of the fault
// schedule; the slopes are fitted to their means (see trend).
func (o options) window() int {
	return max(1, int(math.Round(float64(o.datanodeEvery)/float64(o.sampleEvery))))
}
