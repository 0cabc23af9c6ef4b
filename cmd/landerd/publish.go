package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"

	"github.com/landerd/landerd/internal/publish"
)

func cmdPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("landerd publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.String("brokers", "localhost:9092", "comma-separated Kafka brokers, host:port")
	topic := fs.String("topic", "", "topic to publish to (required)")
	file := fs.String("file", "", "JSON array or JSON lines file, optionally gzip-compressed (required)")
	compression := fs.String("compression", "none", "batch compression: none, gzip, snappy, lz4 or zstd")
	version := fs.String("kafka-version", "2.8.0", "Kafka protocol version")
	skip := fs.Bool("skip-invalid", false, "skip JSON lines that are not valid JSON instead of stopping")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return usagef("publish: unexpected arguments %q", fs.Args())
	case *topic == "":
		return usagef("publish: --topic is required")
	case *file == "":
		return usagef("publish: --file is required")
	}
	_, err := publish.Run(ctx, publish.Options{
		Brokers:     strings.Split(*brokers, ","),
		Topic:       *topic,
		Version:     *version,
		Compression: *compression,
		SkipInvalid: *skip,
		Progress:    stdout,
	}, *file)
	return err
}
