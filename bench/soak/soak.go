package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/system/kafkacluster"
	"github.com/landerd/landerd/test/system/minidfs"
)

// What the run creates.
const (
	topicName = "soak-attempts"
	groupName = "landerd-soak"
	hdfsUser  = "lander" // the daemon's HDFS user, owner of the lake
	lakePath  = "/lake"
	brokers   = 3
	datanodes = 3
	// blockSize is the cluster's dfs.blocksize: small, as in the
	// end-to-end tests, so that a data file spans several blocks and a
	// DataNode stopped while landing meets files in the middle.
	blockSize = 256 << 10
)

// Bounds on the steps around the run.
const (
	topicTimeout = 2 * time.Minute
	readyTimeout = 2 * time.Minute
	flushTimeout = 2 * time.Minute
	// stopTimeout bounds the daemon's exit after SIGTERM: its
	// shutdown.deadline (30s by default) and some.
	stopTimeout = 90 * time.Second
	// slack bounds starting the clusters, the checks and the stops on top
	// of the run and its drain.
	slack = 20 * time.Minute
)

// soak carries out the run and prints its report; ok is false when a check
// failed, err says why the run could not be carried out.
func soak(parent context.Context, o options, stdout, stderr io.Writer) (ok bool, err error) {
	ctx, cancel := context.WithTimeout(parent, o.duration+o.drainTimeout+slack)
	defer cancel()
	dir, err := os.MkdirTemp("", "landerd-soak-")
	if err != nil {
		return false, err
	}
	fmt.Fprintf(stderr, "soak: run directory %s\n", dir)
	defer func() {
		if o.keep || !ok || err != nil {
			fmt.Fprintf(stderr, "soak: kept %s\n", dir)
			return
		}
		if rerr := os.RemoveAll(dir); rerr != nil {
			fmt.Fprintf(stderr, "soak: %v\n", rerr)
		}
	}()
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "soak: "+format+"\n", args...) }

	bin := o.landerd
	if bin == "" {
		logf("building ./cmd/landerd")
		if bin, err = repo.BuildLanderd(dir); err != nil {
			return false, err
		}
	}

	begin := time.Now()
	kc, err := kafkacluster.New(kafkacluster.Config{Brokers: brokers, Dir: filepath.Join(dir, "kafka")})
	if err != nil {
		return false, fmt.Errorf("start Apache Kafka: %w", err)
	}
	defer func() {
		if cerr := kc.Close(); cerr != nil {
			logf("stop Apache Kafka: %v", cerr)
		}
	}()
	logf("Apache Kafka %s: %d brokers at %s, up in %s", kc.Version(), brokers, strings.Join(kc.Addrs(), ","), time.Since(begin).Round(100*time.Millisecond))
	topicCtx, topicCancel := context.WithTimeout(ctx, topicTimeout)
	err = kc.CreateTopic(topicCtx, kafkacluster.TopicConfig{Name: topicName, Partitions: int32(o.partitions)})
	topicCancel()
	if err != nil {
		return false, fmt.Errorf("Apache Kafka: %w", err)
	}

	begin = time.Now()
	dfs, err := minidfs.New(minidfs.Config{
		DataNodes: datanodes,
		BlockSize: blockSize,
		Conf: map[string]string{
			"dfs.replication":                         "2",
			"dfs.namenode.avoid.write.stale.datanode": "true",
		},
		Dir:     filepath.Join(dir, "hdfs"),
		LogPath: filepath.Join(dir, "hdfs.log"),
	})
	if err != nil {
		return false, fmt.Errorf("start Apache HDFS (MiniDFSCluster): %w", err)
	}
	defer func() {
		if cerr := dfs.Close(); cerr != nil {
			logf("stop Apache HDFS: %v", cerr)
		}
	}()
	logf("Apache HDFS (MiniDFSCluster, %d DataNodes) at %s, up in %s", datanodes, dfs.URL(), time.Since(begin).Round(100*time.Millisecond))
	if err := dfs.Mkdir(lakePath, hdfsUser, hdfsUser, 0o755); err != nil {
		return false, fmt.Errorf("Apache HDFS: %w", err)
	}
	lakeURL := dfs.URL() + lakePath
	lake, err := sink.NewHDFS(lakeURL, sink.HDFSOptions{User: hdfsUser, CallTimeout: 10 * time.Second})
	if err != nil {
		return false, err
	}
	defer func() {
		if cerr := lake.Close(); cerr != nil {
			logf("close %s: %v", lake, cerr)
		}
	}()

	metricsAddr, err := freeAddr()
	if err != nil {
		return false, fmt.Errorf("metrics port: %w", err)
	}
	cfgPath := filepath.Join(dir, "landerd.yaml")
	cfg := daemonConfig(kc.Addrs(), topicName, groupName, lakeURL, hdfsUser, metricsAddr, o.maxFileAge)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return false, err
	}
	d, err := startDaemon(bin, cfgPath, filepath.Join(dir, "landerd.log"))
	if err != nil {
		return false, err
	}
	defer d.kill() // after a clean stop it has exited already
	start := time.Now()
	if err := d.waitReady(metricsAddr, readyTimeout); err != nil {
		return false, fmt.Errorf("%w (log: %s)", err, d.logPath)
	}
	logf("landerd pid %d ready in %s; metrics at http://%s/metrics; log %s", d.pid(), time.Since(start).Round(100*time.Millisecond), metricsAddr, d.logPath)

	prod, err := newProducer(kc, topicName, int32(o.partitions), o.rate, o.seed)
	if err != nil {
		return false, err
	}
	defer prod.close()
	steady, endSteady := context.WithCancel(ctx)
	f := &faulter{kafka: kc, dfs: dfs, topic: topicName, group: groupName, opt: o, start: start, log: stderr}
	faults := schedule(o)
	faultErr := make(chan error, 1)
	var wg sync.WaitGroup
	defer func() { // before the producer closes and the clusters stop
		endSteady()
		wg.Wait()
	}()
	wg.Go(func() { prod.run(steady, ctx) })
	wg.Go(func() { faultErr <- f.run(steady, faults) })
	logf("producing %d attempts a second for %s; %d faults scheduled", o.rate, o.duration, len(faults))

	// The run: a sample every sampleEvery, until the duration is up.
	smp := newSampler(d.pid(), metricsAddr)
	take := func(at time.Duration) sample {
		s := sample{at: at, produced: prod.acked.Load(), faults: len(f.done())}
		var serr error
		s.goroutines, s.rss, s.fds, serr = smp.take(ctx)
		if serr != nil {
			logf("sample at %s: %v", clock(at), serr)
		}
		if s.landed, serr = landedTotal(lake, topicName, int32(o.partitions)); serr != nil {
			s.landed = -1
			logf("sample at %s: landed: %v", clock(at), serr)
		}
		return s
	}
	// wait waits until t, watching the daemon, the faults and ctx.
	faultsCh, faultsDone := faultErr, false
	wait := func(t time.Time) error {
		timer := time.NewTimer(time.Until(t))
		defer timer.Stop()
		for {
			select {
			case <-timer.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			case <-d.exited:
				return fmt.Errorf("landerd exited during the run (%v); log %s", d.waitErr, d.logPath)
			case ferr := <-faultsCh:
				faultsCh, faultsDone = nil, true
				if ferr != nil {
					return ferr
				}
			}
		}
	}
	var samples []sample
	fmt.Fprintln(stdout)
	writeHeader(stdout)
	var runErr error
	for i := 0; ; i++ {
		at := min(time.Duration(i)*o.sampleEvery, o.duration)
		if runErr = wait(start.Add(at)); runErr != nil {
			break
		}
		s := take(at)
		samples = append(samples, s)
		writeRow(stdout, "", s)
		if at == o.duration {
			break
		}
	}
	endSteady()
	if !faultsDone {
		if ferr := <-faultErr; runErr == nil {
			runErr = ferr
		}
	}
	wg.Wait()
	if runErr != nil {
		return false, runErr
	}

	// The end: everything produced must land; then the daemon stops.
	if err := prod.flush(flushTimeout); err != nil {
		return false, err
	}
	stopped := time.Now()
	endsCtx, endsCancel := context.WithTimeout(ctx, time.Minute)
	ends, err := kc.EndOffsets(endsCtx, topicName)
	endsCancel()
	if err != nil {
		return false, err
	}
	drain, err := waitLanded(ctx, lake, ends, o.drainTimeout, d)
	if err != nil {
		return false, err
	}
	final := take(time.Since(start))
	writeRow(stdout, "drained", final)
	code, shutdown, err := d.stop(stopTimeout)
	if err != nil {
		return false, err
	}

	logFile, err := os.Open(d.logPath)
	if err != nil {
		return false, err
	}
	logs, err := summarizeLog(logFile)
	_ = logFile.Close() // read only
	if err != nil {
		return false, fmt.Errorf("read %s: %w", d.logPath, err)
	}
	checkCtx, checkCancel := context.WithTimeout(ctx, 10*time.Minute)
	// Records whose produce was not acknowledged may be in either table;
	// a read is tried again for a while, since after a DataNode restart
	// the NameNode may still send the reader to a replica it has not yet
	// learnt is gone.
	sum, problems, err := lakecheck.Check(checkCtx, lake, lakecheck.Want{
		Topic: topicName, Ends: ends, Reasons: prod.knownWants(), ReadTries: 6,
	})
	checkCancel()
	if err != nil {
		return false, fmt.Errorf("check the lake: %w", err)
	}

	r := report{
		opt: o, kafkaVersion: kc.Version(), samples: samples, final: final, events: f.done(),
		ends: ends, acked: prod.acked.Load(), failed: prod.failed.Load(), produceErr: prod.err(),
		drain: drain, since: time.Since(stopped), exitCode: code, shutdown: shutdown,
		lake: sum, problems: problems, logs: logs, logPath: d.logPath,
	}
	return r.write(stdout), nil
}

// waitLanded waits up to limit until the lake shows every partition landed
// up to its end offset, and returns how long that took. A read of a
// partition's state can race the daemon replacing it, so a failed read is
// tried again at the next poll.
func waitLanded(ctx context.Context, lake sink.ReadFS, ends map[int32]int64, limit time.Duration, d *daemon) (time.Duration, error) {
	begin := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last error
	for {
		done := true
		for p, end := range ends {
			next, err := sink.Landed(lake, topicName, p)
			if err != nil {
				last, done = err, false
				break
			}
			if next < end {
				last, done = fmt.Errorf("partition %d landed up to %d of %d", p, next, end), false
				break
			}
		}
		if done {
			return time.Since(begin), nil
		}
		if time.Since(begin) > limit {
			return 0, fmt.Errorf("the lake does not hold every record %s after the producer stopped: %w", limit, last)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-d.exited:
			return 0, fmt.Errorf("landerd exited (%v) before everything landed: %w", d.waitErr, last)
		case <-tick.C:
		}
	}
}

// report is what the run found.
type report struct {
	opt          options
	kafkaVersion string
	samples      []sample // during the run
	final        sample   // once everything landed
	events       []event
	ends         map[int32]int64
	acked        int64
	failed       int64
	produceErr   error
	drain        time.Duration // from the producer's stop to everything landed
	since        time.Duration // from the producer's stop to the daemon's exit
	exitCode     int
	shutdown     time.Duration
	lake         lakecheck.Summary
	problems     []string
	logs         logSummary
	logPath      string
}

// figure is one sampled figure of the daemon and its tolerance.
type figure struct {
	name      string
	get       func(sample) int64
	scale     float64 // to the unit shown
	tolerance float64 // per hour, in the unit shown
	unit      string
}

// write prints the report and returns whether every check passed.
func (r report) write(w io.Writer) bool {
	ok := true
	var total int64
	for _, end := range r.ends {
		total += end
	}
	fmt.Fprintf(w, "\nrun: %s; %d attempts produced at %d a second over %d partitions (%d acknowledged, %d failed)\n",
		r.opt.duration, total, r.opt.rate, len(r.ends), r.acked, r.failed)
	if r.produceErr != nil {
		fmt.Fprintf(w, "     first failed produce: %v\n", r.produceErr)
	}
	fmt.Fprintf(w, "systems: Apache Kafka %s, %d brokers, the topic replicated %d times; Apache HDFS MiniDFSCluster, %d DataNodes, 2 replicas, %d KiB blocks\n",
		r.kafkaVersion, brokers, brokers, datanodes, blockSize>>10)
	fmt.Fprintf(w, "faults: %d DataNode stops, %d broker restarts\n",
		count(r.events, stopDataNode), count(r.events, termBroker, killBroker))
	for _, e := range r.events {
		fmt.Fprintf(w, "  %s\n", e)
	}
	fmt.Fprintf(w, "drain: every record landed %s after the producer stopped\n", r.drain.Round(100*time.Millisecond))
	fmt.Fprintf(w, "daemon: exit code %d, %s after SIGTERM\n", r.exitCode, r.shutdown.Round(10*time.Millisecond))
	if r.exitCode != 0 {
		ok = false
	}
	if len(r.problems) == 0 {
		fmt.Fprintf(w, "lake: %s: every (partition, offset) of %d exactly once, in its table; no temporary file left\n", r.lake, total)
	} else {
		ok = false
		fmt.Fprintf(w, "lake: %s: NOT exactly once (%d problems):\n", r.lake, len(r.problems))
		for _, p := range r.problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}

	warm := r.samples[len(r.samples)-1]
	for _, s := range r.samples {
		if s.at >= r.opt.warmup {
			warm = s
			break
		}
	}
	last := r.samples[len(r.samples)-1]
	figures := []figure{
		{"goroutines", func(s sample) int64 { return s.goroutines }, 1, r.opt.tolerance.goroutines, ""},
		{"RSS", func(s sample) int64 { return s.rss }, 1.0 / (1 << 20), r.opt.tolerance.rssMiB, " MiB"},
		{"open FDs", func(s sample) int64 { return s.fds }, 1, r.opt.tolerance.fds, ""},
	}
	fmt.Fprintf(w, "\n%-11s %11s %11s %11s %16s %12s\n", "", "at "+clock(warm.at), "at "+clock(last.at), "drained", "slope per hour", "tolerance")
	xs := make([]time.Duration, len(r.samples))
	for i, s := range r.samples {
		xs[i] = s.at
	}
	for _, fg := range figures {
		ys := make([]float64, len(r.samples))
		for i, s := range r.samples {
			ys[i] = float64(fg.get(s))
			if ys[i] >= 0 {
				ys[i] *= fg.scale
			}
		}
		slope, n := trend(xs, ys, r.opt.warmup, r.opt.window())
		verdict := "ok"
		switch {
		case math.IsNaN(slope):
			verdict = fmt.Sprintf("not judged: %d points after the warm-up, 3 needed", n)
		case slope > fg.tolerance:
			verdict = "GROWS"
			ok = false
		}
		show := func(s sample) string {
			v := fg.get(s)
			if v < 0 {
				return "-"
			}
			return fmt.Sprintf("%.0f", float64(v)*fg.scale)
		}
		fmt.Fprintf(w, "%-11s %11s %11s %11s %+16.1f %12s  %s\n", fg.name+fg.unit, show(warm), show(last), show(r.final),
			slope, fmt.Sprintf("%.0f", fg.tolerance), verdict)
	}

	fmt.Fprintf(w, "\ndaemon log (%s): %d lines;", r.logPath, r.logs.lines)
	for _, level := range []string{"debug", "info", "warn", "error", "dpanic", "panic", "fatal", "text"} {
		if n := r.logs.byLevel[level]; n > 0 {
			fmt.Fprintf(w, " %s %d", level, n)
		}
	}
	fmt.Fprintln(w)
	for _, g := range r.logs.problems {
		fmt.Fprintf(w, "  %-5s %4d× %q (%s .. %s)\n", g.level, g.count, g.msg, g.first, g.last)
		if g.firstError != "" {
			fmt.Fprintf(w, "        first: %s\n", oneLine(g.firstError))
		}
		if g.lastError != "" && g.lastError != g.firstError {
			fmt.Fprintf(w, "        last:  %s\n", oneLine(g.lastError))
		}
	}
	return ok
}

// oneLine shows an error of several lines (errors.Join) on one.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " | ") }
