package produce_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/produce"
	"github.com/landerd/landerd/test/kit/realdata"
)

// expectedRecords computes what `jq -c '.[]'` prints for an array file: each
// element in compact form, with the key it must be published under.
func expectedRecords(t testing.TB, path string) (values []string, keys [][]byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(f))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		t.Fatalf("first token %v, %v; want '['", tok, err)
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			t.Fatal(err)
		}
		values = append(values, b.String())
		var id struct {
			UserExamID *string `json:"user_exam_id"`
		}
		if err := json.Unmarshal(raw, &id); err != nil {
			t.Fatal(err)
		}
		if id.UserExamID == nil {
			keys = append(keys, nil)
		} else {
			keys = append(keys, []byte(*id.UserExamID))
		}
	}
	return values, keys
}

// TestRealData publishes the real array file and checks every message
// against the compact form of its element; then checks the compact form
// against an independent reference: the sample JSONL file holds some
// elements exactly as `jq -c` prints them, and publishing that file must send
// each of its lines unchanged.
func TestRealData(t *testing.T) {
	path := realdata.Path(t, realdata.ArrayFile)
	values, keys := expectedRecords(t, path)
	if len(values) != realdata.Attempts {
		t.Fatalf("expected %d records from the file, decoded %d", realdata.Attempts, len(values))
	}

	t.Run("array file", func(t *testing.T) {
		var wantBytes int64
		for _, v := range values {
			wantBytes += int64(len(v))
		}
		b := startBroker(t, 1)
		sum, err := produce.Run(context.Background(), opts(b), path)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Records != realdata.Attempts || sum.Bytes != wantBytes || sum.Format != produce.FormatArray {
			t.Fatalf("summary %+v, want %d records of %d bytes", sum, realdata.Attempts, wantBytes)
		}
		got := readAll(t, b)
		if len(got) != realdata.Attempts {
			t.Fatalf("topic holds %d records, want %d", len(got), realdata.Attempts)
		}
		for i, g := range got {
			if g.offset != int64(i) || string(g.value) != values[i] || !bytes.Equal(g.key, keys[i]) {
				t.Fatalf("record %d (offset %d, key %q) differs from element %d of the file (key %q)", i, g.offset, g.key, i, keys[i])
			}
		}
	})

	t.Run("sample lines", func(t *testing.T) {
		samplePath := realdata.Path(t, realdata.SampleFile)
		data, err := os.ReadFile(samplePath)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
		indices := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 79, 3278, 3279}
		if len(lines) != len(indices) {
			t.Fatalf("sample has %d lines, want %d", len(lines), len(indices))
		}
		for i, idx := range indices {
			if string(lines[i]) != values[idx] {
				t.Fatalf("sample line %d differs from the compact form of array element %d", i+1, idx)
			}
		}

		b := startBroker(t, 1)
		sum, err := produce.Run(context.Background(), opts(b), samplePath)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Format != produce.FormatLines || sum.Records != int64(len(lines)) {
			t.Fatalf("summary %+v, want %d records from json lines", sum, len(lines))
		}
		got := readAll(t, b)
		if len(got) != len(lines) {
			t.Fatalf("topic holds %d records, want %d", len(got), len(lines))
		}
		for i, g := range got {
			if !bytes.Equal(g.value, lines[i]) || !bytes.Equal(g.key, keys[indices[i]]) {
				t.Fatalf("record %d (key %q) differs from sample line %d", i, g.key, i+1)
			}
		}
	})
}

// BenchmarkRunRealFile produces the whole real array file per iteration to a
// fresh broker and reports records/s.
func BenchmarkRunRealFile(b *testing.B) {
	path := realdata.Path(b, realdata.ArrayFile)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	benchmarkProduce(b, func(o produce.Options) (produce.Summary, error) {
		return produce.Run(context.Background(), o, path)
	})
}

// BenchmarkRunRealFileGzip is BenchmarkRunRealFile with the file gzipped.
func BenchmarkRunRealFileGzip(b *testing.B) {
	path := realdata.Path(b, realdata.ArrayFile)
	gz := filepath.Join(b.TempDir(), "attempts.json.gz")
	gzipFile(b, path, gz)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size()) // uncompressed bytes, comparable with the plain run
	b.ReportAllocs()
	benchmarkProduce(b, func(o produce.Options) (produce.Summary, error) {
		return produce.Run(context.Background(), o, gz)
	})
}

func gzipFile(tb testing.TB, src, dst string) {
	tb.Helper()
	in, err := os.Open(src)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		tb.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

// benchmarkProduce runs a produce once per iteration against a fresh broker, so
// the broker's memory stays bounded, and reports records/s.
func benchmarkProduce(b *testing.B, run func(produce.Options) (produce.Summary, error)) {
	var records int64
	var elapsed float64
	for b.Loop() {
		b.StopTimer()
		br, err := fakekafka.Start(fakekafka.Config{Topic: "attempts", Partitions: 3})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := run(opts(br))
		b.StopTimer()
		br.Close()
		if err != nil {
			b.Fatal(err)
		}
		records += sum.Records
		elapsed += sum.Duration.Seconds()
		b.StartTimer()
	}
	b.ReportMetric(float64(records)/elapsed, "records/s")
}
