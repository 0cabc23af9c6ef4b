package main

import (
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/config"
)

func defaultOptions(t *testing.T, args ...string) options {
	t.Helper()
	o, err := parseOptions(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestSchedule(t *testing.T) {
	var got []string
	for _, f := range schedule(defaultOptions(t)) {
		s := clock(f.at) + " " + f.kind.String()
		if f.kind == stopDataNode {
			s += " " + string(rune('1'+f.datanode))
		}
		got = append(got, s)
	}
	want := []string{
		"2m00s DataNode stopped 1", "4m00s DataNode stopped 2", "6m00s DataNode stopped 3",
		"7m00s broker stopped (SIGTERM)",
		"8m00s DataNode stopped 1", "10m00s DataNode stopped 2", "12m00s DataNode stopped 3",
		"13m00s broker killed (SIGKILL)",
		"14m00s DataNode stopped 1", "16m00s DataNode stopped 2", "18m00s DataNode stopped 3",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the default schedule:\n got %q\nwant %q", got, want)
	}
	// Every fault ends before the run does, however short.
	for _, d := range []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute, 61 * time.Minute} {
		o := defaultOptions(t, "-duration", d.String(), "-warmup", "0s")
		var brokers int
		for _, f := range schedule(o) {
			down := o.datanodeDown
			if f.kind != stopDataNode {
				down = o.brokerDown
				brokers++
			}
			if f.at <= 0 || f.at+down >= d {
				t.Errorf("-duration %s: %s at %s does not end within the run", d, f.kind, clock(f.at))
			}
		}
		if d >= 5*time.Minute && brokers != 2 {
			t.Errorf("-duration %s: %d broker restarts, want 2", d, brokers)
		}
	}
}

func TestTrend(t *testing.T) {
	minutes := func(n int) []time.Duration {
		xs := make([]time.Duration, n)
		for i := range xs {
			xs[i] = time.Duration(i) * time.Minute
		}
		return xs
	}
	xs := minutes(21)
	// 60 an hour after a warm-up, swinging by ±15 every other sample, as
	// the goroutines do when every other sample falls in a DataNode's
	// outage.
	ys := make([]float64, len(xs))
	for i := range ys {
		ys[i] = 100 + float64(i) + []float64{15, -15}[i%2]
		if i < 3 {
			ys[i] = 500
		}
	}
	if got, n := trend(xs, ys, 3*time.Minute, 2); n != 17 || math.Abs(got-60) > 1e-9 {
		t.Errorf("slope = %.2f over %d points, want 60 over 17", got, n)
	}
	// Without the means the swings tilt the fit.
	if got, _ := trend(xs, ys, 3*time.Minute, 1); math.Abs(got-60) < 10 {
		t.Errorf("one-sample slope = %.2f: the swings should tilt it", got)
	}
	ys[10] = -1 // unread: the two windows holding it are left out
	if got, n := trend(xs, ys, 3*time.Minute, 2); n != 15 || math.Abs(got-60) > 1e-9 {
		t.Errorf("with a sample missing: slope = %.2f over %d points, want 60 over 15", got, n)
	}
	if got, n := trend(xs[:5], ys[:5], 3*time.Minute, 2); !math.IsNaN(got) || n != 1 {
		t.Errorf("two samples: slope = %v over %d, want NaN over 1", got, n)
	}

	// The goroutines and RSS (MiB) of the first 20-minute run: flat
	// goroutines; RSS rising to a plateau by about 10 minutes.
	gor := []float64{53, 53, 53, 21, 53, 53, 53, 21, 50, 21, 51, 21, 50, 20, 50, 20, 50, 20, 52, 20, 52}
	rss := []float64{41.6, 59.0, 59.9, 60.1, 104.1, 90.9, 96.8, 97.5, 109.8, 111.9, 119.2, 119.2, 119.5, 119.5, 122.1, 122.4, 122.6, 122.6, 125.4, 125.4, 119.3}
	if got, _ := trend(xs, gor, 10*time.Minute, 2); math.Abs(got) > 10 {
		t.Errorf("goroutines of the first run: slope %.1f an hour, want about 0", got)
	}
	if got, _ := trend(xs, rss, 10*time.Minute, 2); got < 20 || got > 50 {
		t.Errorf("RSS of the first run: slope %.1f MiB an hour, want about 36", got)
	}
}

func TestParseGauge(t *testing.T) {
	expo := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines_other 3
go_goroutines 57
go_threads 9
`
	if n, err := parseGauge(strings.NewReader(expo), "go_goroutines"); err != nil || n != 57 {
		t.Errorf("parseGauge = %d, %v; want 57", n, err)
	}
	if _, err := parseGauge(strings.NewReader("go_threads 9\n"), "go_goroutines"); err == nil {
		t.Error("parseGauge found a metric that is not there")
	}
}

func TestParseRSS(t *testing.T) {
	status := "Name:\tlanderd\nVmHWM:\t  90000 kB\nVmRSS:\t   81234 kB\nThreads:\t9\n"
	if n, err := parseRSS([]byte(status)); err != nil || n != 81234<<10 {
		t.Errorf("parseRSS = %d, %v; want %d", n, err, 81234<<10)
	}
	if _, err := parseRSS([]byte("Name:\tzombie\nState:\tZ\n")); err == nil {
		t.Error("parseRSS read a VmRSS from a status without one")
	}
}

func TestSummarizeLog(t *testing.T) {
	log := `{"level":"info","ts":"t1","msg":"partition assigned"}
{"level":"warn","ts":"t2","msg":"flush failed","error":"e1"}
{"level":"error","ts":"t3","msg":"commit failed","error":"c1"}
{"level":"warn","ts":"t4","msg":"flush failed","error":"e2"}
panic: something
`
	s, err := summarizeLog(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if s.lines != 5 || s.byLevel["info"] != 1 || s.byLevel["warn"] != 2 || s.byLevel["error"] != 1 || s.byLevel["text"] != 1 {
		t.Errorf("counts: %d lines, by level %v", s.lines, s.byLevel)
	}
	want := []logGroup{
		{level: "text", msg: "panic: something", count: 1},
		{level: "error", msg: "commit failed", count: 1, first: "t3", last: "t3", firstError: "c1", lastError: "c1"},
		{level: "warn", msg: "flush failed", count: 2, first: "t2", last: "t4", firstError: "e1", lastError: "e2"},
	}
	if !reflect.DeepEqual(s.problems, want) {
		t.Errorf("problems:\n got %+v\nwant %+v", s.problems, want)
	}
}

// TestDaemonConfig: the daemon's file loads, and differs from the
// production defaults only where the soak says.
func TestDaemonConfig(t *testing.T) {
	brokers := []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}
	text := daemonConfig(brokers, topicName, groupName, "hdfs://127.0.0.1:9/lake", hdfsUser, "127.0.0.1:4", 10*time.Second)
	got, err := config.Parse([]byte(text), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	want := config.Default()
	want.Kafka.Brokers = brokers
	want.Kafka.Topic = topicName
	want.Kafka.Group = groupName
	want.Lake.URL = "hdfs://127.0.0.1:9/lake"
	want.Lake.Roll.MaxFileAge = 10 * time.Second
	want.HDFS.User = hdfsUser
	want.Metrics.Addr = "127.0.0.1:4"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the soak's config differs from the defaults elsewhere:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseOptionsRejects(t *testing.T) {
	for _, args := range [][]string{
		{"-duration", "0s"},
		{"-warmup", "30m"},
		{"-datanode-down", "3m"},
		{"-rate", "0"},
		{"-partitions", "0"},
		{"extra"},
	} {
		if _, err := parseOptions(args, io.Discard); err == nil {
			t.Errorf("parseOptions(%q) accepted", args)
		}
	}
}
