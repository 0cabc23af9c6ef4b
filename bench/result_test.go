package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	rs := []Result{
		{Name: "landerd", Records: 10, Wall: 3 * time.Second, CPU: 9 * time.Second, PeakRSS: 100, LakeBytes: 7},
		{Name: "landerd", Records: 10, Wall: 1 * time.Second, CPU: 5 * time.Second, PeakRSS: 300, LakeBytes: 7},
		{Name: "landerd", Records: 10, Wall: 2 * time.Second, CPU: 7 * time.Second, PeakRSS: 200, LakeBytes: 7},
		{Name: "landerd", Records: 10, Wall: 4 * time.Second, CPU: 1 * time.Second, PeakRSS: 400, LakeBytes: 7},
	}
	tests := []struct {
		name string
		in   []Result
		want Result
	}{
		{"one", rs[:1], rs[0]},
		{"odd count takes the middle of each field", rs[:3], Result{Name: "landerd", Records: 10, Wall: 2 * time.Second, CPU: 7 * time.Second, PeakRSS: 200, LakeBytes: 7}},
		{"even count takes the lower middle", rs, Result{Name: "landerd", Records: 10, Wall: 2 * time.Second, CPU: 5 * time.Second, PeakRSS: 200, LakeBytes: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestResultRates(t *testing.T) {
	r := Result{Records: 300_000, InputBytes: 810_000_000, Wall: 3 * time.Second, CPU: 4500 * time.Millisecond}
	if got := r.RecordsPerSec(); got != 100_000 {
		t.Errorf("RecordsPerSec = %v, want 100000", got)
	}
	if got := r.MBPerSec(); got != 270 {
		t.Errorf("MBPerSec = %v, want 270", got)
	}
	if got := r.CPUPer100k(); got != 1.5 {
		t.Errorf("CPUPer100k = %v, want 1.5", got)
	}
	var zero Result
	if zero.RecordsPerSec() != 0 || zero.MBPerSec() != 0 || zero.CPUPer100k() != 0 {
		t.Errorf("zero result has non-zero rates")
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	err := writeTable(&buf, []Result{
		{Name: "baseline", Records: 200_000, InputBytes: 540_000_000, Wall: 2 * time.Second, CPU: time.Second, PeakRSS: 50 * mib},
		{Name: "landerd", Records: 200_000, InputBytes: 540_000_000, Wall: 4 * time.Second, CPU: 6 * time.Second, PeakRSS: 200 * mib, LakeBytes: 64 * mib},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), buf.String())
	}
	want := [][]string{
		{"records", "wall", "s", "records/s", "MB/s", "CPU", "s", "CPU", "s/100k", "peak", "RSS", "MiB", "lake", "MiB"},
		{"baseline", "200000", "2.00", "100000", "270.0", "1.00", "0.50", "50.0", "-"},
		{"landerd", "200000", "4.00", "50000", "135.0", "6.00", "3.00", "200.0", "64.0"},
	}
	for i, line := range lines {
		if got := strings.Fields(line); !slices.Equal(got, want[i]) {
			t.Errorf("line %d = %q, want %q", i, got, want[i])
		}
	}
}

func TestParseSizes(t *testing.T) {
	tests := []struct {
		in      string
		want    []int64
		wantErr bool
	}{
		{in: "100000,300000,600000", want: []int64{100_000, 300_000, 600_000}},
		{in: "600000, 100000,100000", want: []int64{100_000, 600_000}},
		{in: "1_000", want: []int64{1000}},
		{in: "", wantErr: true},
		{in: "0", wantErr: true},
		{in: "-5", wantErr: true},
		{in: "10,x", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSizes(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("parseSizes(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestEndsRoundTrip(t *testing.T) {
	for _, ends := range [][]int64{{0}, {74525, 75092, 0, 75448}} {
		got, err := parseEnds(formatEnds(ends))
		if err != nil || !slices.Equal(got, ends) {
			t.Errorf("parseEnds(formatEnds(%v)) = %v, %v", ends, got, err)
		}
	}
	for _, bad := range []string{"", "1,,2", "-1", "a"} {
		if got, err := parseEnds(bad); err == nil {
			t.Errorf("parseEnds(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseHWM(t *testing.T) {
	tests := []struct {
		name   string
		status string
		want   int64
		ok     bool
	}{
		{"live process", "Name:\tlanderd\nVmPeak:\t  900 kB\nVmHWM:\t  204800 kB\nVmRSS:\t 1000 kB\n", 204800 * 1024, true},
		{"zombie has no VmHWM", "Name:\tlanderd\nState:\tZ (zombie)\n", 0, false},
		{"unexpected unit", "VmHWM:\t 12 MB\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseHWM([]byte(tt.status))
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseHWM = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLineWatcher(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		seen   bool
	}{
		{"whole line", []string{"starting\ndone\n"}, true},
		{"split over writes", []string{"do", "ne", "\n"}, true},
		{"unterminated", []string{"done"}, false},
		{"prefix only", []string{"done soon\n", "undone\n"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newLineWatcher()
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // wait must not block: it reports what has been seen
			select {
			case <-w.seen:
				if !tt.seen {
					t.Error("done line seen, want not")
				}
			default:
				if tt.seen {
					t.Error("done line not seen")
				}
				if err := w.wait(ctx); err == nil {
					t.Error("wait on a cancelled context without the line returned nil")
				}
			}
		})
	}
}

func TestTailKeepsTheEnd(t *testing.T) {
	tl := &tail{max: 8}
	for _, s := range []string{"abc", "defgh", "ijklmnop", "q"} {
		if _, err := tl.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got := tl.String(); got != "jklmnopq" {
		t.Errorf("tail = %q, want %q", got, "jklmnopq")
	}
}
