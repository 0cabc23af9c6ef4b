package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/lander"
	"github.com/landerd/landerd/internal/upkeep"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// runFlags are the flags that override the configuration file.
type runFlags struct {
	config, brokers, topic, group, lake string
	maxFileAge                          time.Duration
	metricsAddr                         optionalString
}

// optionalString is a string flag that remembers whether it was given, so
// that an empty value can override the configuration.
type optionalString struct {
	value string
	set   bool
}

func (o *optionalString) String() string { return o.value }

func (o *optionalString) Set(v string) error {
	o.value, o.set = v, true
	return nil
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "YAML configuration file (configs/landerd.yaml documents every option); defaults when empty")
	fs.StringVar(&f.brokers, "brokers", "", "comma-separated Kafka brokers, host:port (overrides kafka.brokers)")
	fs.StringVar(&f.topic, "topic", "", "Kafka topic (overrides kafka.topic and kafka.topics)")
	fs.StringVar(&f.group, "group", "", "consumer group (overrides kafka.group)")
	fs.StringVar(&f.lake, "lake", "", "lake root: a path, file:///path or hdfs://namenode:port/path (overrides lake.url)")
	fs.DurationVar(&f.maxFileAge, "max-file-age", 0, "publish buffered records at the latest after this long (overrides lake.roll.max_file_age)")
	fs.Var(&f.metricsAddr, "metrics-addr", "address serving /metrics, /healthz and /readyz, e.g. :9464; empty disables (overrides metrics.addr)")
}

// load reads the configuration, applies the environment and the flags, and
// validates the result, reporting every problem at once.
func (f *runFlags) load() (config.Config, error) {
	var cfg config.Config
	var err error
	if f.config != "" {
		cfg, err = config.Load(f.config, os.LookupEnv)
	} else {
		cfg, err = config.Parse(nil, os.LookupEnv)
	}
	if err != nil {
		return cfg, usageError{err}
	}
	if f.brokers != "" {
		cfg.Kafka.Brokers = strings.Split(f.brokers, ",")
	}
	if f.topic != "" {
		cfg.Kafka.Topic, cfg.Kafka.Topics = f.topic, nil
	}
	if f.group != "" {
		cfg.Kafka.Group = f.group
	}
	if f.lake != "" {
		cfg.Lake.URL = f.lake
	}
	if f.maxFileAge != 0 {
		cfg.Lake.Roll.MaxFileAge = f.maxFileAge
	}
	if f.metricsAddr.set {
		cfg.Metrics.Addr = f.metricsAddr.value
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	return cfg, nil
}

func cmdRun(ctx context.Context, args []string, _ io.Writer, stderr io.Writer) error {
	fs := flag.NewFlagSet("landerd run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return usageError{err}
	}
	defer func() { _ = log.Sync() }()
	fsys, err := lake.Open(cfg, lake.WithWrap(wrapLake))
	if err != nil {
		return err
	}
	limit := lander.SetMemoryLimit(cfg)
	if n, err := lander.ReleaseStartupPages(); err != nil {
		log.Debug("start-up pages kept", zap.Error(err))
	} else {
		log.Debug("start-up pages released", zap.Int64("mapped_bytes", n))
	}
	log.Info("starting", zap.String("version", version), zap.Int64("memory_limit_bytes", limit), zap.Stringer("config", cfg))
	err = runLander(ctx, cfg, fsys, log, nil)
	if cerr := fsys.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close lake: %w", cerr)
	}
	return err
}

// runLander runs the lander and, unless metrics.addr is empty, the HTTP
// server of /metrics, /healthz and /readyz, until ctx ends or either
// fails; it makes sure the process does not outlive the shutdown deadline
// by much. The server outlives the lander's final flush, so readiness is
// seen to drop and the last metrics can be scraped. listening, when not
// nil, is told the server's address once it is bound.
func runLander(ctx context.Context, cfg config.Config, fsys sink.FS, log *zap.Logger, listening func(addr string)) error {
	reg := metrics.NewRegistry(version)
	tables, closeTables, err := icebergTables(ctx, cfg, fsys, reg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeTables(); err != nil {
			log.Warn("close iceberg catalog", zap.Error(err))
		}
	}()
	opts := []lander.Option{lander.WithMetrics(metrics.NewLander(reg))}
	if tables != nil {
		opts = append(opts, lander.WithTables(tables))
	}
	l := lander.New(cfg, fsys, log, opts...)
	srvCtx, stopSrv := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSrv()
	// srvDone reports the metrics server's end; it stays nil, and so is
	// never ready in the select below, when metrics are disabled.
	var srvDone chan error
	if cfg.Metrics.Addr != "" {
		srv := metrics.NewServer(cfg.Metrics.Addr, reg, l.CheckReady, log.With(zap.String("component", "metrics")))
		addr, err := srv.Listen()
		if err != nil {
			return err
		}
		if listening != nil {
			listening(addr.String())
		}
		srvDone = make(chan error, 1)
		go func() { srvDone <- srv.Run(srvCtx) }()
		defer func() {
			stopSrv()
			if err := <-srvDone; err != nil {
				log.Warn("metrics server", zap.Error(err))
			}
		}()
	}

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	done := make(chan error, 1)
	go func() { done <- l.Run(runCtx) }()
	if tables != nil {
		up := upkeep.New(tables, fsys, cfg.Lake.Iceberg.Upkeep, metrics.NewUpkeep(reg), log, l.LeadsUpkeep)
		upDone := make(chan struct{})
		go func() {
			defer close(upDone)
			up.Run(runCtx)
		}()
		// The tables are closed (deferred above) after the upkeep ends.
		defer func() {
			stopRun()
			<-upDone
		}()
	}
	var srvErr error
	select {
	case err := <-done:
		return err
	case srvErr = <-srvDone:
		srvDone <- nil // for the deferred wait
		if srvErr == nil {
			srvErr = errors.New("metrics server stopped")
		}
		log.Error("metrics server failed; stopping", zap.Error(srvErr))
		stopRun()
	case <-ctx.Done():
	}
	log.Info("shutting down", zap.Duration("deadline", cfg.Shutdown.Deadline))
	grace := time.NewTimer(cfg.Shutdown.Deadline + 5*time.Second)
	defer grace.Stop()
	select {
	case err := <-done:
		if srvErr != nil {
			return srvErr
		}
		return err
	case <-grace.C:
		return fmt.Errorf("shutdown took longer than %s; unpublished records will be read again", cfg.Shutdown.Deadline)
	}
}

// newLogger builds the zap logger: JSON for production, console for people.
func newLogger(c config.Log, w io.Writer) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(c.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	var enc zapcore.Encoder
	if c.Format == "console" {
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.TimeEncoderOfLayout(time.TimeOnly)
		enc = zapcore.NewConsoleEncoder(ec)
	} else {
		ec := zap.NewProductionEncoderConfig()
		ec.EncodeTime = zapcore.RFC3339NanoTimeEncoder
		enc = zapcore.NewJSONEncoder(ec)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), level)), nil
}
