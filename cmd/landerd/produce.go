package main

import (
	"context"
	"flag"
	"io"
	"strings"

	"github.com/landerd/landerd/internal/produce"
)

// cmdProduce is `landerd produce` (formerly `landerd publish`, an alias kept
// for one release): it produces a file of attempts to a Kafka topic
// (internal/produce).
func cmdProduce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("landerd produce", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.String("brokers", "localhost:9092", "comma-separated Kafka brokers, host:port")
	topic := fs.String("topic", "", "topic to produce to (required)")
	file := fs.String("file", "", "JSON array or JSON lines file, optionally gzip-compressed (required)")
	compression := fs.String("compression", "none", "batch compression: none, gzip, snappy, lz4 or zstd")
	version := fs.String("kafka-version", "2.8.0", "Kafka protocol version")
	skip := fs.Bool("skip-invalid", false, "skip JSON lines that are not valid JSON instead of stopping")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *topic == "":
		return usagef("produce: --topic is required")
	case *file == "":
		return usagef("produce: --file is required")
	}
	_, err := produce.Run(ctx, produce.Options{
		Brokers:     strings.Split(*brokers, ","),
		Topic:       *topic,
		Version:     *version,
		Compression: *compression,
		SkipInvalid: *skip,
		Progress:    stdout,
	}, *file)
	return err
}
