package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/lander"
)

// landerCmd is the hidden subcommand that lands the topic with
// internal/lander inside a child of the harness, under the CPU profiler.
const landerCmd = "__lander"

// runLander is the profiling child: the same engine `landerd run` drives,
// set up as landerd run sets it up (the lake opened by lake.Open, the soft
// memory limit set by lander.SetMemoryLimit), with the same configuration,
// a JSON info logger (to nowhere) like the daemon's, and a CPU profile
// covering start to fully landed.
func runLander(ctx context.Context, args []string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet(landerCmd, flag.ContinueOnError)
	brokers := fs.String("brokers", "", "brokers")
	topic := fs.String("topic", "", "topic")
	group := fs.String("group", "", "consumer group")
	lakeDir := fs.String("lake", "", "lake directory")
	maxAge := fs.Duration("max-file-age", time.Second, "lake.roll.max_file_age")
	endsFlag := fs.String("ends", "", "end offsets by partition, comma-separated")
	profile := fs.String("cpuprofile", "", "CPU profile to write")
	memProfile := fs.String("memprofile", "", "heap profile to write, taken at the largest live heap seen")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ends, err := parseEnds(*endsFlag)
	if err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Kafka.Brokers = strings.Split(*brokers, ",")
	cfg.Kafka.Topic = *topic
	cfg.Kafka.Group = *group
	cfg.Lake.URL = *lakeDir
	cfg.Lake.Roll.MaxFileAge = *maxAge
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
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
	lander.SetMemoryLimit(cfg)
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(ec), zapcore.AddSync(io.Discard), zapcore.InfoLevel))

	f, err := os.Create(*profile)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("cpu profile: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- lander.New(cfg, fsys, log).Run(runCtx) }()
	heapCtx, stopHeap := context.WithCancel(ctx)
	heap := make(chan []byte, 1)
	go func() { heap <- peakHeapProfile(heapCtx) }()
	waitErr := landed(ctx, *lakeDir, *topic, ends)
	pprof.StopCPUProfile()
	stopHeap()
	if prof := <-heap; *memProfile != "" && prof != nil {
		if err := os.WriteFile(*memProfile, prof, 0o644); err != nil {
			waitErr = errors.Join(waitErr, fmt.Errorf("heap profile: %w", err))
		}
	}
	if waitErr == nil {
		fmt.Fprintln(stdout, doneLine)
	}
	cancel()
	runErr := <-done
	if err := f.Close(); err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if waitErr != nil {
		return waitErr
	}
	return runErr
}

// heapEvery is how often peakHeapProfile looks at the live heap.
const heapEvery = 50 * time.Millisecond

// peakHeapProfile watches the live heap until ctx ends and returns the
// heap profile taken when it was largest (within 5%).
func peakHeapProfile(ctx context.Context) []byte {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var best uint64
	var prof []byte
	tick := time.NewTicker(heapEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return prof
		case <-tick.C:
		}
		metrics.Read(sample)
		if live := sample[0].Value.Uint64(); live > best+best/20 {
			var buf bytes.Buffer
			if err := pprof.Lookup("heap").WriteTo(&buf, 0); err == nil {
				best, prof = live, buf.Bytes()
			}
		}
	}
}
