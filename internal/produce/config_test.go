package produce

import (
	"testing"

	"bytes"
	"io"
	"os"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

func TestProducerConfig(t *testing.T) {
	tests := []struct {
		name            string
		opts            Options
		idempotent      bool
		maxOpenRequests int
		codec           sarama.CompressionCodec
	}{
		{"default version is idempotent", Options{}, true, 1, sarama.CompressionNone},
		{"0.11 is idempotent", Options{Version: "0.11.0.0", Compression: "gzip"}, true, 1, sarama.CompressionGZIP},
		{"0.10 is not", Options{Version: "0.10.2.0", Compression: "snappy"}, false, 5, sarama.CompressionSnappy},
		{"zstd", Options{Version: "2.1.0", Compression: "zstd"}, true, 1, sarama.CompressionZSTD},
		{"lz4", Options{Compression: "lz4"}, true, 1, sarama.CompressionLZ4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.opts.producerConfig()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Producer.Idempotent != tt.idempotent || cfg.Net.MaxOpenRequests != tt.maxOpenRequests {
				t.Errorf("idempotent %v with %d open requests, want %v with %d", cfg.Producer.Idempotent, cfg.Net.MaxOpenRequests, tt.idempotent, tt.maxOpenRequests)
			}
			if cfg.Producer.RequiredAcks != sarama.WaitForAll {
				t.Errorf("required acks %v, want WaitForAll", cfg.Producer.RequiredAcks)
			}
			if cfg.Producer.Compression != tt.codec {
				t.Errorf("compression %v, want %v", cfg.Producer.Compression, tt.codec)
			}
			if cfg.Producer.MaxMessageBytes < DefaultMaxRecordBytes {
				t.Errorf("max message bytes %d below the record limit %d", cfg.Producer.MaxMessageBytes, DefaultMaxRecordBytes)
			}
		})
	}
}

func TestBarLine(t *testing.T) {
	tests := []struct {
		name                 string
		records, bytes, read int64
		size                 int64
		elapsedSeconds       float64
		want                 string
	}{
		{"unknown size", 1500, 4_500_000, 100, -1, 2, "1500 records  4.5 MB  750 records/s"},
		{"half", 10, 2_000_000, 50, 100, 1, "[===============               ]  50% 10 records  2.0 MB  10 records/s"},
		{"done", 3280, 9_315_053, 9_315_053, 9_315_053, 4, "[==============================] 100% 3280 records  9.3 MB  820 records/s"},
		{"read past size", 1, 1, 20, 10, 0, "[==============================] 100% 1 records  0.0 MB  0 records/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := barLine(tt.records, tt.bytes, tt.read, tt.size, secs(tt.elapsedSeconds))
			if got != tt.want {
				t.Errorf("barLine = %q\n          want %q", got, tt.want)
			}
		})
	}
}

func TestSummaryLine(t *testing.T) {
	s := Summary{Records: 3280, Bytes: 9_300_000, Duration: secs(2)}
	want := "produced 3280 records (9.3 MB) to topic attempts in 2s (1640 records/s)"
	if got := s.line("attempts"); got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
	s.Skipped = 2
	if got := s.String(); got != "produced 3280 records (9.3 MB) in 2s (1640 records/s), skipped 2 invalid lines" {
		t.Errorf("String = %q", got)
	}
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func TestBarRedrawsAndClears(t *testing.T) {
	var st stats
	st.records.Store(3)
	st.bytes.Store(2_000_000)
	var buf bytes.Buffer
	stop := startBar(&buf, &st, 100, time.Now())
	stop()
	// Whether or not a tick came first, the bar ends with a cleared line.
	out := buf.String()
	if !strings.HasSuffix(out, "\r\x1b[K") || strings.Contains(out, "\n") {
		t.Fatalf("bar output %q, want redraws ending with a cleared line", out)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, w := range []io.Writer{nil, &bytes.Buffer{}, f, (*os.File)(nil)} {
		if isTerminal(w) {
			t.Errorf("isTerminal(%T) = true", w)
		}
	}
}
