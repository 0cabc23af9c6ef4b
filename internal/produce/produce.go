package produce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
)

// DefaultMaxRecordBytes is the largest record value produced when
// Options.MaxRecordBytes is zero; it matches Kafka's default
// message.max.bytes.
const DefaultMaxRecordBytes = 1_000_000

// Options configure a produce run.
type Options struct {
	// Brokers are the bootstrap brokers, host:port. Required.
	Brokers []string
	// Topic receives the records. Required; it must exist unless the
	// cluster creates topics on demand.
	Topic string
	// Version is the Kafka protocol version to speak, e.g. "2.8.0". Empty
	// means sarama's default. From 0.11 on the producer is idempotent.
	Version string
	// Compression is the batch codec: "" or "none", "gzip", "snappy",
	// "lz4" or "zstd" (zstd needs version 2.1 or later).
	Compression string
	// SkipInvalid skips JSON lines that are not valid JSON instead of
	// stopping at the first; Summary.Skipped counts them. A syntax error
	// in array input always stops the run.
	SkipInvalid bool
	// MaxRecordBytes bounds the size of one record, both as produced and
	// as a line of JSON-lines input; 0 means DefaultMaxRecordBytes. A larger
	// record is invalid input.
	MaxRecordBytes int
	// ClientID names the client to the brokers; empty means
	// "landerd-produce".
	ClientID string
	// Progress, when not nil, receives a one-line summary at the end, and a
	// progress bar redrawn about ten times a second when it is a terminal.
	Progress io.Writer
}

// Summary describes what a run produced. Records and Bytes count only
// records the brokers acknowledged; Bytes is the sum of their values.
type Summary struct {
	Records  int64
	Bytes    int64
	Skipped  int64 // invalid JSON lines skipped under Options.SkipInvalid
	Format   Format
	Duration time.Duration
}

// String is the one-line summary written to Options.Progress.
func (s Summary) String() string { return s.line("") }

func (s Summary) line(topic string) string {
	rate := 0.0
	if s.Duration > 0 {
		rate = float64(s.Records) / s.Duration.Seconds()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "produced %d records (%.1f MB)", s.Records, float64(s.Bytes)/1e6)
	if topic != "" {
		fmt.Fprintf(&b, " to topic %s", topic)
	}
	fmt.Fprintf(&b, " in %s (%.0f records/s)", s.Duration.Round(time.Millisecond), rate)
	if s.Skipped > 0 {
		fmt.Fprintf(&b, ", skipped %d invalid lines", s.Skipped)
	}
	return b.String()
}

func (o Options) validate() error {
	var errs []error
	if len(o.Brokers) == 0 {
		errs = append(errs, errors.New("no brokers given"))
	}
	for _, b := range o.Brokers {
		if b == "" {
			errs = append(errs, errors.New("empty broker address"))
		}
	}
	if o.Topic == "" {
		errs = append(errs, errors.New("no topic given"))
	}
	if o.MaxRecordBytes < 0 {
		errs = append(errs, fmt.Errorf("max record bytes %d: must not be negative", o.MaxRecordBytes))
	}
	if _, err := o.producerConfig(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (o Options) maxRecord() int {
	if o.MaxRecordBytes == 0 {
		return DefaultMaxRecordBytes
	}
	return o.MaxRecordBytes
}

// producerConfig builds the sarama configuration: every record acknowledged
// by all in-sync replicas, idempotent where the version allows, and batches
// large enough for throughput.
func (o Options) producerConfig() (*sarama.Config, error) {
	cfg := sarama.NewConfig()
	cfg.ClientID = "landerd-produce"
	if o.ClientID != "" {
		cfg.ClientID = o.ClientID
	}
	if o.Version != "" {
		v, err := sarama.ParseKafkaVersion(o.Version)
		if err != nil {
			return nil, fmt.Errorf("version: %w", err)
		}
		cfg.Version = v
	}
	codec, err := parseCompression(o.Compression)
	if err != nil {
		return nil, err
	}
	cfg.Producer.Compression = codec
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Return.Errors = true
	if cfg.Version.IsAtLeast(sarama.V0_11_0_0) {
		cfg.Producer.Idempotent = true
		cfg.Net.MaxOpenRequests = 1
	}
	// A record plus its framing must fit in one message.
	cfg.Producer.MaxMessageBytes = max(cfg.Producer.MaxMessageBytes, o.maxRecord()+1024)
	cfg.Producer.Flush.Bytes = 1 << 20
	cfg.Producer.Flush.Frequency = 5 * time.Millisecond
	cfg.ChannelBufferSize = 1024
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("producer config: %w", err)
	}
	return cfg, nil
}

func parseCompression(name string) (sarama.CompressionCodec, error) {
	switch name {
	case "", "none":
		return sarama.CompressionNone, nil
	case "gzip":
		return sarama.CompressionGZIP, nil
	case "snappy":
		return sarama.CompressionSnappy, nil
	case "lz4":
		return sarama.CompressionLZ4, nil
	case "zstd":
		return sarama.CompressionZSTD, nil
	default:
		return sarama.CompressionNone, fmt.Errorf("unknown compression %q (want none, gzip, snappy, lz4 or zstd)", name)
	}
}

// Run produces the records of the named file ("-" for standard input); see
// Stream.
func Run(ctx context.Context, opts Options, file string) (sum Summary, err error) {
	if file == "-" {
		return Stream(ctx, opts, os.Stdin, -1)
	}
	f, err := os.Open(file)
	if err != nil {
		return Summary{}, fmt.Errorf("produce: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("produce: close %s: %w", file, cerr)
		}
	}()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return Stream(ctx, opts, f, size)
}

// Stream produces the records read from r, one message per record, and
// returns once every message sent is acknowledged or has failed. size is the
// number of bytes r holds, used only for the progress bar; pass -1 when
// unknown. On an error the returned Summary still counts what was
// acknowledged. Cancelling ctx stops reading; records already handed to the
// producer are still delivered before Stream returns.
func Stream(ctx context.Context, opts Options, r io.Reader, size int64) (Summary, error) {
	start := time.Now()
	if err := opts.validate(); err != nil {
		return Summary{}, fmt.Errorf("produce: %w", err)
	}
	cfg, err := opts.producerConfig()
	if err != nil {
		return Summary{}, fmt.Errorf("produce: %w", err)
	}

	var st stats
	src, err := openSource(&countingReader{r: r, n: &st.read}, opts.maxRecord(), opts.SkipInvalid)
	if err != nil {
		return Summary{}, fmt.Errorf("produce: %w", err)
	}

	producer, err := sarama.NewAsyncProducer(opts.Brokers, cfg)
	if err != nil {
		return Summary{}, fmt.Errorf("produce: connect: %w", err)
	}

	var wg sync.WaitGroup
	failed := make(chan struct{}) // closed on the first delivery failure
	var deliveryErr error
	wg.Go(func() { deliveryErr = collect(producer, &st, failed) })

	stopBar := func() {}
	if isTerminal(opts.Progress) {
		stopBar = startBar(opts.Progress, &st, size, start)
	}

	readErr := feed(ctx, producer, src, opts.Topic, failed)
	producer.AsyncClose() // flushes what was handed over
	wg.Wait()
	stopBar()

	sum := Summary{
		Records:  st.records.Load(),
		Bytes:    st.bytes.Load(),
		Format:   src.format(),
		Duration: time.Since(start),
	}
	if ls, ok := src.(*linesSource); ok {
		sum.Skipped = ls.skipped
	}
	if opts.Progress != nil {
		// A failed write of the summary does not change what was produced.
		_, _ = fmt.Fprintln(opts.Progress, sum.line(opts.Topic))
	}
	if err := errors.Join(readErr, deliveryErr); err != nil {
		return sum, fmt.Errorf("produce to %s: %w", opts.Topic, err)
	}
	return sum, nil
}

// feed hands every record of src to the producer until the input ends, ctx is
// done, or a delivery fails.
func feed(ctx context.Context, p sarama.AsyncProducer, src source, topic string, failed <-chan struct{}) error {
	for {
		m, err := src.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		pm := &sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(m.value)}
		if m.key != nil {
			pm.Key = sarama.ByteEncoder(m.key)
		}
		select {
		case p.Input() <- pm:
		case <-failed:
			return nil // collect reports the failure
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// collect counts acknowledgements and failures until the producer has shut
// down, closing failed at the first failure. It returns the first failure.
func collect(p sarama.AsyncProducer, st *stats, failed chan<- struct{}) error {
	var first error
	var nFailed int64
	successes, errs := p.Successes(), p.Errors()
	for successes != nil || errs != nil {
		select {
		case m, ok := <-successes:
			if !ok {
				successes = nil
				continue
			}
			st.records.Add(1)
			st.bytes.Add(int64(m.Value.Length()))
		case e, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			nFailed++
			if first == nil {
				first = e.Err
				close(failed)
			}
		}
	}
	if first != nil {
		return fmt.Errorf("%d records not delivered, first: %w", nFailed, first)
	}
	return nil
}

// stats are the counters shared by the reader, the collector and the bar.
type stats struct {
	read    atomic.Int64 // input bytes read, as stored (compressed or not)
	records atomic.Int64 // records acknowledged
	bytes   atomic.Int64 // value bytes acknowledged
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
