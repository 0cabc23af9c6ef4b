package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// sample is one look at the daemon. A figure that could not be read is -1
// and is left out of the slopes.
type sample struct {
	at         time.Duration // from the daemon's start
	goroutines int64         // go_goroutines on /metrics
	rss        int64         // VmRSS, bytes
	fds        int64         // entries of /proc/PID/fd
	produced   int64         // records acknowledged by Kafka so far
	landed     int64         // records the lake shows landed so far
	faults     int           // faults carried out so far
}

// sampler reads the daemon's figures.
type sampler struct {
	pid     int
	metrics string // http://host:port/metrics
	client  *http.Client
}

func newSampler(pid int, metricsAddr string) *sampler {
	return &sampler{pid: pid, metrics: "http://" + metricsAddr + "/metrics", client: &http.Client{Timeout: 10 * time.Second}}
}

// take reads the three figures of the daemon; each one it cannot read is
// -1, and the errors say why.
func (s *sampler) take(ctx context.Context) (goroutines, rss, fds int64, err error) {
	var errs []error
	goroutines, err = s.goroutines(ctx)
	if err != nil {
		goroutines = -1
		errs = append(errs, err)
	}
	rss, err = readRSS(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		rss = -1
		errs = append(errs, err)
	}
	fds, err = countFDs(fmt.Sprintf("/proc/%d/fd", s.pid))
	if err != nil {
		fds = -1
		errs = append(errs, err)
	}
	return goroutines, rss, fds, errors.Join(errs...)
}

// goroutines scrapes go_goroutines from the daemon's /metrics.
func (s *sampler) goroutines(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.metrics, nil)
	if err != nil {
		return 0, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("scrape %s: %s", s.metrics, resp.Status)
	}
	return parseGauge(resp.Body, "go_goroutines")
}

// parseGauge returns the value of the unlabelled metric name in a
// Prometheus text exposition.
func parseGauge(r io.Reader, name string) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return int64(v), nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in the exposition", name)
}

// readRSS returns the VmRSS of a /proc/PID/status file, in bytes.
func readRSS(name string) (int64, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	return parseRSS(b)
}

func parseRSS(status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("VmRSS line %q", bytes.TrimSpace(line))
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS: %w", err)
		}
		return n << 10, nil
	}
	return 0, errors.New("no VmRSS (the process is gone)")
}

// countFDs counts the entries of a /proc/PID/fd directory.
func countFDs(dir string) (int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	return int64(len(entries)), nil
}

// writeHeader and writeRow print the table of samples.
func writeHeader(w io.Writer) {
	fmt.Fprintf(w, "%8s %11s %8s %5s %9s %9s %7s\n", "elapsed", "goroutines", "rss_mib", "fds", "produced", "landed", "faults")
}

func writeRow(w io.Writer, label string, s sample) {
	if label == "" {
		label = clock(s.at)
	}
	fmt.Fprintf(w, "%8s %11s %8s %5s %9d %9s %7d\n", label,
		orDash(s.goroutines), mibOrDash(s.rss), orDash(s.fds), s.produced, orDash(s.landed), s.faults)
}

// orDash formats a figure, or "-" for one that could not be read.
func orDash(v int64) string {
	if v < 0 {
		return "-"
	}
	return strconv.FormatInt(v, 10)
}

// mibOrDash formats bytes as MiB, or "-" for a figure that could not be
// read.
func mibOrDash(v int64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(v)/(1<<20))
}

// trend returns the least-squares slope per hour of the figures ys
// sampled at xs (offsets from the start), over the samples at or after
// from, and how many points it was fitted to. The fault schedule makes
// the figures swing with its period (a sample taken while a DataNode is
// down sees the daemon backing off, with half its goroutines), and one
// sample a minute against a fault every two minutes would tilt the fit by
// where the swings fall: so the slope is fitted to the means of window
// consecutive samples, window spanning one period. A window with a figure
// that could not be read (negative) is left out. With fewer than three
// points it returns NaN.
func trend(xs []time.Duration, ys []float64, from time.Duration, window int) (float64, int) {
	window = max(window, 1)
	var mx, my []float64
	for i := range xs {
		if xs[i] < from || i+window > len(xs) {
			continue
		}
		var sx, sy float64
		known := true
		for j := i; j < i+window; j++ {
			known = known && ys[j] >= 0
			sx += xs[j].Hours()
			sy += ys[j]
		}
		if known {
			mx = append(mx, sx/float64(window))
			my = append(my, sy/float64(window))
		}
	}
	return leastSquares(mx, my), len(mx)
}

// leastSquares returns the slope of the least-squares line through the
// points (xs[i], ys[i]), or NaN for fewer than three points or xs all
// equal.
func leastSquares(xs, ys []float64) float64 {
	n := float64(len(xs))
	if n < 3 {
		return math.NaN()
	}
	var sx, sy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
	}
	mx, my := sx/n, sy/n
	var num, den float64
	for i := range xs {
		dx := xs[i] - mx
		num += dx * (ys[i] - my)
		den += dx * dx
	}
	if den == 0 {
		return math.NaN()
	}
	return num / den
}
