package produce_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/goleak"

	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/produce"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// go-metrics, which sarama uses, starts one process-wide meter
		// ticker that never stops.
		goleak.IgnoreTopFunction("github.com/rcrowley/go-metrics.(*meterArbiter).tick"),
		// After failed produce requests sarama's circuit breaker sleeps 10s
		// in a goroutine nothing can stop.
		goleak.IgnoreAnyFunction("github.com/eapache/go-resiliency/breaker.(*Breaker).timer"),
	)
}

// fixture is one hand-written record: how it is written in the input and
// what must be published for it.
type fixture struct {
	raw     string
	compact string
	key     []byte // nil for a null key
}

var fixtures = []fixture{
	{
		raw:     `{"user_exam_id": "u-1", "keen_id": "k1", "score": 1.0, "tags": ["a", "b"], "nested": {"x": null, "y": true}}`,
		compact: `{"user_exam_id":"u-1","keen_id":"k1","score":1.0,"tags":["a","b"],"nested":{"x":null,"y":true}}`,
		key:     []byte("u-1"),
	},
	{
		raw:     `{ "keen_id" : "k2", "note": "no exam id, \"quoted\", caf\u00e9 and café" }`,
		compact: `{"keen_id":"k2","note":"no exam id, \"quoted\", caf\u00e9 and café"}`,
	},
	{
		raw:     `{"user_exam_id": null, "n": 1e5, "big": 12345678901234567890}`,
		compact: `{"user_exam_id":null,"n":1e5,"big":12345678901234567890}`,
	},
	{
		raw:     `{"n": -0.5, "user_exam_id": 42}`,
		compact: `{"n":-0.5,"user_exam_id":42}`,
		key:     []byte("42"),
	},
	{
		raw:     `{"user_exam_id": "u-5", "text": "spaces  inside  strings stay", "arr": [ ], "obj": { }}`,
		compact: `{"user_exam_id":"u-5","text":"spaces  inside  strings stay","arr":[],"obj":{}}`,
		key:     []byte("u-5"),
	},
	{
		raw:     `{"user_exam_id":"u-1","sequences":{"questions":[{"id":"q","options":[{"checked":false}]}]}}`,
		compact: `{"user_exam_id":"u-1","sequences":{"questions":[{"id":"q","options":[{"checked":false}]}]}}`,
		key:     []byte("u-1"),
	},
}

func rawFixtures() []string {
	out := make([]string, len(fixtures))
	for i, f := range fixtures {
		out[i] = f.raw
	}
	return out
}

func arrayOneLine(recs []string) string { return "[" + strings.Join(recs, ",") + "]" }

func arrayIndented(t testing.TB, recs []string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(arrayOneLine(recs)), "", "    "); err != nil {
		t.Fatal(err)
	}
	return "\n  " + b.String() + "\n\n"
}

func jsonLines(recs []string) string { return strings.Join(recs, "\n") + "\n" }

func jsonLinesCRLFBlanks(recs []string) string {
	return "\r\n   \n" + strings.Join(recs, "\r\n\r\n") // no final newline
}

func gzipped(t testing.TB, s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func writeTemp(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func startBroker(t testing.TB, partitions int32) *fakekafka.Broker {
	t.Helper()
	b, err := fakekafka.Start(fakekafka.Config{Topic: "attempts", Partitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

type consumed struct {
	partition int32
	offset    int64
	key       []byte
	value     []byte
}

// readAll reads every record of the broker's topic with a plain sarama
// consumer, partition by partition, up to the end offsets.
func readAll(t testing.TB, b *fakekafka.Broker) []consumed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	end, err := b.EndOffsets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sarama.NewConfig()
	cfg.Consumer.MaxWaitTime = 20 * time.Millisecond // quick close once caught up
	c, err := sarama.NewConsumer([]string{b.Addr()}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	var out []consumed
	for p := range b.Partitions() {
		if end[p] == 0 {
			continue
		}
		pc, err := c.ConsumePartition(b.Topic(), p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		for done := false; !done; {
			select {
			case m := <-pc.Messages():
				out = append(out, consumed{m.Partition, m.Offset, m.Key, m.Value})
				done = m.Offset == end[p]-1
			case <-ctx.Done():
				t.Fatalf("partition %d: timed out at %d of %d records", p, len(out), end[p])
			}
		}
		if err := pc.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func opts(b *fakekafka.Broker) produce.Options {
	return produce.Options{Brokers: []string{b.Addr()}, Topic: b.Topic()}
}

func TestRunFormats(t *testing.T) {
	recs := rawFixtures()
	tests := []struct {
		name    string
		content string
		format  produce.Format
	}{
		{"array one line", arrayOneLine(recs), produce.FormatArray},
		{"array indented", arrayIndented(t, recs), produce.FormatArray},
		{"json lines", jsonLines(recs), produce.FormatLines},
		{"json lines crlf blanks", jsonLinesCRLFBlanks(recs), produce.FormatLines},
		{"gzip array one line", gzipped(t, arrayOneLine(recs)), produce.FormatArray},
		{"gzip array indented", gzipped(t, arrayIndented(t, recs)), produce.FormatArray},
		{"gzip json lines", gzipped(t, jsonLines(recs)), produce.FormatLines},
		{"gzip json lines crlf blanks", gzipped(t, jsonLinesCRLFBlanks(recs)), produce.FormatLines},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBroker(t, 1)
			// A misleading name: detection goes by content.
			file := writeTemp(t, "input.txt", tt.content)
			var progress bytes.Buffer
			o := opts(b)
			o.Progress = &progress
			sum, err := produce.Run(context.Background(), o, file)
			if err != nil {
				t.Fatal(err)
			}
			var wantBytes int64
			for _, f := range fixtures {
				wantBytes += int64(len(f.compact))
			}
			if sum.Records != int64(len(fixtures)) || sum.Bytes != wantBytes || sum.Format != tt.format || sum.Skipped != 0 {
				t.Fatalf("summary %+v, want %d records, %d bytes, format %v", sum, len(fixtures), wantBytes, tt.format)
			}
			got := readAll(t, b)
			if len(got) != len(fixtures) {
				t.Fatalf("topic holds %d records, want %d", len(got), len(fixtures))
			}
			for i, f := range fixtures {
				g := got[i]
				if g.offset != int64(i) || string(g.value) != f.compact || !bytes.Equal(g.key, f.key) || (g.key == nil) != (f.key == nil) {
					t.Errorf("record %d: offset %d key %q value %s\nwant offset %d key %q value %s", i, g.offset, g.key, g.value, i, f.key, f.compact)
				}
			}
			want := regexp.MustCompile(`^produced 6 records \(0\.0 MB\) to topic attempts in [0-9.]+m?s \([0-9]+ records/s\)\n$`)
			if !want.MatchString(progress.String()) {
				t.Fatalf("progress output %q, want one summary line", progress.String())
			}
		})
	}
}

func TestKeysPickPartitions(t *testing.T) {
	b := startBroker(t, 3)
	sum, err := produce.Stream(context.Background(), opts(b), strings.NewReader(jsonLines(rawFixtures())), -1)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != int64(len(fixtures)) {
		t.Fatalf("produced %d records, want %d", sum.Records, len(fixtures))
	}
	got := readAll(t, b)
	if len(got) != len(fixtures) {
		t.Fatalf("topic holds %d records, want %d", len(got), len(fixtures))
	}
	hash := sarama.NewHashPartitioner(b.Topic())
	partOf := map[string]int32{}
	for _, g := range got {
		if g.key == nil {
			continue
		}
		want, err := hash.Partition(&sarama.ProducerMessage{Key: sarama.ByteEncoder(g.key)}, b.Partitions())
		if err != nil {
			t.Fatal(err)
		}
		if g.partition != want {
			t.Errorf("key %q on partition %d, want %d", g.key, g.partition, want)
		}
		if p, ok := partOf[string(g.key)]; ok && p != g.partition {
			t.Errorf("key %q on partitions %d and %d", g.key, p, g.partition)
		}
		partOf[string(g.key)] = g.partition
	}
	if len(partOf) != 3 {
		t.Fatalf("distinct keys %v, want u-1, 42 and u-5", partOf)
	}
}

func TestCompression(t *testing.T) {
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			b := startBroker(t, 1)
			o := opts(b)
			o.Compression = codec
			if _, err := produce.Stream(context.Background(), o, strings.NewReader(arrayOneLine(rawFixtures())), -1); err != nil {
				t.Fatal(err)
			}
			got := readAll(t, b)
			if len(got) != len(fixtures) {
				t.Fatalf("topic holds %d records, want %d", len(got), len(fixtures))
			}
			for i, f := range fixtures {
				if string(got[i].value) != f.compact {
					t.Errorf("record %d = %s, want %s", i, got[i].value, f.compact)
				}
			}
		})
	}
}

func TestEmptyInput(t *testing.T) {
	for _, in := range []string{"", " \n\t\r\n", "[]", " [ \n ] \n", gzipped(t, ""), gzipped(t, "[]")} {
		b := startBroker(t, 1)
		sum, err := produce.Stream(context.Background(), opts(b), strings.NewReader(in), int64(len(in)))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if sum.Records != 0 || sum.Bytes != 0 {
			t.Fatalf("%q: summary %+v, want nothing published", in, sum)
		}
		if got := readAll(t, b); len(got) != 0 {
			t.Fatalf("%q: topic holds %d records", in, len(got))
		}
	}
}

func TestInvalidInput(t *testing.T) {
	good := fixtures[0].raw
	tests := []struct {
		name        string
		content     string
		skipInvalid bool
		maxRecord   int
		wantLine    int64
		wantOffset  int64
		wantRecords int64 // published before the error
		wantSkipped int64
		wantErr     error
	}{
		{name: "array trailing comma in object", content: `[{"a":1},{"a":2,}]`, wantOffset: 16, wantRecords: 1},
		{name: "array missing comma", content: `[{"a":1} {"a":2}]`, wantOffset: 9, wantRecords: 1},
		{name: "array trailing comma", content: `[1,2,]`, wantOffset: 5, wantRecords: 2},
		{name: "array bad literal", content: "  [1, 2,  tru]", wantOffset: 13, wantRecords: 2},
		{name: "array newline in string", content: "[{\"a\":1},{\"a\":\"x\n\"}]", wantOffset: 16, wantRecords: 1},
		{name: "array truncated", content: `[{"a":1},{"a":`, wantOffset: 14, wantRecords: 1, wantErr: errUnexpectedEOF},
		{name: "array unclosed", content: `[{"a":1},{"a":2}`, wantOffset: 16, wantRecords: 2, wantErr: errUnexpectedEOF},
		{name: "array trailing data", content: `[{"a":1}] x`, wantOffset: 9, wantRecords: 1},
		{name: "gzip array offset is uncompressed", content: gzipped(t, `[{"a":1},{"a":2,}]`), wantOffset: 16, wantRecords: 1},
		{name: "array record too large", content: `[{"a":1}, {"a":"0123456789"}]`, maxRecord: 12, wantOffset: 10, wantRecords: 1, wantErr: produce.ErrRecordTooLarge},
		{name: "lines bad line", content: good + "\n" + good + "\n{\"a\":\n" + good + "\n", wantLine: 3, wantRecords: 2},
		{name: "lines two values on a line", content: good + "\n\n{} {}\n", wantLine: 3, wantRecords: 1},
		{name: "lines not json", content: "{}\nhello\n", wantLine: 2, wantRecords: 1},
		{name: "lines too long", content: "{}\n{\"a\":\"0123456789\"}\n{}\n", maxRecord: 12, wantLine: 2, wantRecords: 1, wantErr: produce.ErrRecordTooLarge},
		{name: "gzip lines bad line", content: gzipped(t, "{}\n{}\n{\n"), wantLine: 3, wantRecords: 2},
		{name: "lines skip invalid", content: "{}\nhello\n{\"a\":\n[]\n", skipInvalid: true, wantRecords: 2, wantSkipped: 2},
		{name: "lines skip too long", content: "{}\n{\"a\":\"0123456789\"}\n{}\n", skipInvalid: true, maxRecord: 12, wantRecords: 2, wantSkipped: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBroker(t, 1)
			o := opts(b)
			o.SkipInvalid = tt.skipInvalid
			o.MaxRecordBytes = tt.maxRecord
			sum, err := produce.Stream(context.Background(), o, strings.NewReader(tt.content), -1)
			wantFail := tt.wantLine > 0 || tt.wantOffset > 0
			if !wantFail {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				var ie *produce.InputError
				if !errors.As(err, &ie) {
					t.Fatalf("error %v, want an InputError", err)
				}
				if ie.Line != tt.wantLine || (tt.wantLine == 0 && ie.Offset != tt.wantOffset) {
					t.Fatalf("error %v at line %d offset %d, want line %d offset %d", err, ie.Line, ie.Offset, tt.wantLine, tt.wantOffset)
				}
				if tt.wantErr == errUnexpectedEOF {
					if !errors.Is(err, errUnexpectedEOF) {
						t.Fatalf("error %v, want unexpected EOF", err)
					}
				} else if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
			}
			if sum.Records != tt.wantRecords || sum.Skipped != tt.wantSkipped {
				t.Fatalf("summary %+v, want %d records, %d skipped", sum, tt.wantRecords, tt.wantSkipped)
			}
			// What was read before the error is delivered, nothing after.
			if got := readAll(t, b); int64(len(got)) != tt.wantRecords {
				t.Fatalf("topic holds %d records, want %d", len(got), tt.wantRecords)
			}
		})
	}
}

func TestOptionsValidated(t *testing.T) {
	tests := []struct {
		name string
		opts produce.Options
		want []string
	}{
		{"nothing", produce.Options{}, []string{"no brokers", "no topic"}},
		{"bad compression", produce.Options{Brokers: []string{"x:1"}, Topic: "t", Compression: "brotli"}, []string{`unknown compression "brotli"`}},
		{"bad version", produce.Options{Brokers: []string{"x:1"}, Topic: "t", Version: "banana"}, []string{"version"}},
		{"zstd too old", produce.Options{Brokers: []string{"x:1"}, Topic: "t", Version: "0.10.2.0", Compression: "zstd"}, []string{"zstd compression requires"}},
		{"negative max", produce.Options{Brokers: []string{"x:1"}, Topic: "t", MaxRecordBytes: -1}, []string{"max record bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := produce.Stream(context.Background(), tt.opts, strings.NewReader("{}"), 2)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestExplicitVersion(t *testing.T) {
	b := startBroker(t, 1)
	o := opts(b)
	o.Version = "1.0.0"
	sum, err := produce.Stream(context.Background(), o, strings.NewReader(jsonLines(rawFixtures())), -1)
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, b)
	if sum.Records != int64(len(fixtures)) || len(got) != len(fixtures) || string(got[5].value) != fixtures[5].compact {
		t.Fatalf("produced %d, topic holds %d records", sum.Records, len(got))
	}
}

func TestCancelStopsReading(t *testing.T) {
	b := startBroker(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := produce.Stream(ctx, opts(b), strings.NewReader(jsonLines(rawFixtures())), -1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestRunMissingFile(t *testing.T) {
	_, err := produce.Run(context.Background(), produce.Options{Brokers: []string{"127.0.0.1:1"}, Topic: "t"}, filepath.Join(t.TempDir(), "nope.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v, want os.ErrNotExist", err)
	}
}

func TestMissingTopicFails(t *testing.T) {
	b := startBroker(t, 1)
	o := opts(b)
	o.Topic = "no-such-topic"
	sum, err := produce.Stream(context.Background(), o, strings.NewReader(jsonLines(rawFixtures())), -1)
	if !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Fatalf("error %v, want unknown topic", err)
	}
	if sum.Records != 0 {
		t.Fatalf("summary %+v, want nothing published", sum)
	}
}
