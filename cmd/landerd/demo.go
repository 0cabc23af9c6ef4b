package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/produce"
	"github.com/landerd/landerd/internal/report"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

const demoTopic = "assessment-attempts"

// cmdDemo runs the whole pipeline with nothing installed: an in-process
// Kafka-compatible broker, a topic filled with generated attempts (or a
// file), and the lander landing it until every record is in the lake.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("landerd demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "publish this JSON array / JSON lines file instead of generated attempts")
	lakeDir := fs.String("lake", "lake", "local directory, or lake URL (hdfs://namenode:8020/path, file:///path), to land the lake in")
	useHDFS := fs.Bool("hdfs", false, "land into an in-process HDFS cluster (NameNode and DataNode on loopback, spoken to through the real HDFS client) instead of a local directory")
	count := fs.Int("count", 10000, "generated attempts to publish (without --file)")
	bad := fs.Float64("bad-rate", 0.01, "share of generated records that are malformed (without --file)")
	partitions := fs.Int("partitions", 4, "partitions of the demo topic")
	verbose := fs.Bool("v", false, "show the lander's log")
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:0", "address serving /metrics, /healthz and /readyz while the demo runs (port 0 picks a free one; empty disables)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *partitions < 1 || *count < 0 {
		return usagef("demo: --partitions must be at least 1 and --count not negative")
	}

	b, err := fakekafka.Start(fakekafka.Config{Topic: demoTopic, Partitions: int32(*partitions)})
	if err != nil {
		return fmt.Errorf("start broker: %w", err)
	}
	defer b.Close()
	fmt.Fprintf(stdout, "landerd demo: Kafka-compatible broker on %s, topic %q with %d partitions\n", b.Addr(), demoTopic, *partitions)

	popts := produce.Options{Brokers: []string{b.Addr()}, Topic: demoTopic, Progress: stdout}
	if *file != "" {
		if _, err := produce.Run(ctx, popts, *file); err != nil {
			return err
		}
	} else {
		var buf bytes.Buffer
		gen := attemptgen.Config{Seed: time.Now().UnixNano(), BadRate: *bad, DuplicateRate: 0.01}
		if err := attemptgen.WriteLines(&buf, gen, *count); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "publishing %d generated attempts (%.0f%% malformed on purpose)\n", *count, *bad*100)
		popts.SkipInvalid = true // malformed lines are sent anyway below
		if err := produceLines(ctx, b, buf.Bytes()); err != nil {
			return err
		}
	}
	ends, err := b.EndOffsets(ctx)
	if err != nil {
		return err
	}

	cfg := config.Default()
	cfg.Kafka.Brokers = []string{b.Addr()}
	cfg.Kafka.Topic = demoTopic
	cfg.Kafka.Group = "landerd-demo"
	cfg.Lake.URL = *lakeDir
	cfg.Lake.Roll.MaxFileAge = time.Second
	cfg.Log.Format = "console"
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg.Metrics.Addr = *metricsAddr // after validation, which rejects port 0
	root, local := cfg.Lake.URL, false
	if *useHDFS {
		cluster, err := fakehdfs.New(fakehdfs.Config{})
		if err != nil {
			return fmt.Errorf("start hdfs: %w", err)
		}
		defer cluster.Close()
		cfg.Lake.URL = "hdfs://" + cluster.Addr() + "/lake"
		root = cfg.Lake.URL
		fmt.Fprintf(stdout, "HDFS NameNode on %s (in process; it stops with the demo)\n", cluster.Addr())
	} else if !strings.Contains(*lakeDir, "://") {
		// A directory, shown by its absolute path. A lake URL opens as
		// in landerd run (HDFS user from HADOOP_USER_NAME or the OS user).
		local = true
		if root, err = filepath.Abs(*lakeDir); err != nil {
			return err
		}
	}
	fsys, err := lake.Open(cfg, lake.WithWrap(wrapLake))
	if err != nil {
		return err
	}
	defer func() { _ = fsys.Close() }()
	logOut := io.Discard
	if *verbose {
		logOut = stderr
	}
	log, err := newLogger(cfg.Log, logOut)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "landing into %s ...\n", root)
	start := time.Now()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	listening := func(addr string) {
		fmt.Fprintf(stdout, "metrics on http://%s/metrics (also /healthz, /readyz)\n", addr)
	}
	go func() { done <- runLander(runCtx, cfg, fsys, log, listening) }()
	waitErr := waitLanded(ctx, fsys, demoTopic, ends)
	cancel()
	if err := <-done; err != nil {
		return err
	}
	if waitErr != nil {
		return waitErr
	}
	_ = log.Sync()
	if err := printLake(stdout, fsys, root, time.Since(start), local); err != nil {
		return err
	}
	if local {
		fmt.Fprintf(stdout, "\n(landerd report --lake %s prints this again; --json for machines)\n", root)
	}
	return printReport(ctx, stdout, fsys, report.DefaultOptions(), false)
}

// produceLines sends each line as one record, keyed by nothing: the broker
// spreads them over the partitions. Malformed lines are sent too.
func produceLines(ctx context.Context, b *fakekafka.Broker, data []byte) error {
	var recs []fakekafka.Record
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		recs = append(recs, fakekafka.Record{Value: line})
	}
	return b.Produce(ctx, recs)
}

// waitLanded polls the lake until every partition's published offsets
// reach the topic's end.
func waitLanded(ctx context.Context, fsys sink.ReadFS, topic string, ends map[int32]int64) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		done := true
		for p, end := range ends {
			if end == 0 {
				continue
			}
			next, err := sink.Landed(fsys, topic, p)
			if err != nil || next < end {
				done = false
				break
			}
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted before everything landed")
		case <-tick.C:
		}
	}
}

// printLake summarises what landed and how to query it.
func printLake(w io.Writer, fsys sink.ReadFS, root string, took time.Duration, local bool) error {
	fmt.Fprintf(w, "\nlanded in %s:\n", took.Round(time.Millisecond))
	for _, t := range flatten.Tables() {
		files, err := sink.ListDataFiles(fsys, t.Name)
		if err != nil {
			return err
		}
		var size int64
		for _, f := range files {
			size += f.Size
		}
		fmt.Fprintf(w, "  %-12s %4d files  %9d bytes   %s\n", t.Name, len(files), size, root+"/"+t.Name)
	}
	if !local {
		return nil
	}
	fmt.Fprintf(w, `
query it, for example with DuckDB:
  SELECT exam_name, count(*) AS attempts, avg(score) AS avg_score
  FROM read_parquet('%s/attempts/*/*.parquet', hive_partitioning = true)
  GROUP BY exam_name ORDER BY attempts DESC LIMIT 5;
`, root)
	return nil
}
