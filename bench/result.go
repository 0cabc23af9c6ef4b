package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is one measured child process: a baseline consumer or landerd.
type Result struct {
	// Name is "baseline" or "landerd".
	Name string `json:"name"`
	// Records and InputBytes are what the topic held: records and the bytes
	// of their JSON values.
	Records    int64 `json:"records"`
	InputBytes int64 `json:"input_bytes"`
	// Wall is from starting the child to the whole topic being consumed
	// (baseline) or landed and published (landerd).
	Wall time.Duration `json:"wall_ns"`
	// CPU is the child's user plus system time.
	CPU time.Duration `json:"cpu_ns"`
	// PeakRSS is the child's maximum resident set size, in bytes: the
	// VmHWM of its own address space, sampled every few milliseconds.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// RusageMaxRSS is the child's ru_maxrss in bytes, which on Linux also
	// counts the harness's RSS at the moment the child was started; for
	// reference only.
	RusageMaxRSS int64 `json:"rusage_maxrss_bytes"`
	// LakeBytes is what landerd left in the lake (data and state files);
	// zero for the baseline.
	LakeBytes int64 `json:"lake_bytes,omitempty"`
	// Iceberg is what a run with lake.format iceberg committed; nil
	// otherwise, and in medians.
	Iceberg *IcebergRun `json:"iceberg,omitempty"`
}

// RecordsPerSec is the end-to-end throughput in records.
func (r Result) RecordsPerSec() float64 { return perSec(float64(r.Records), r.Wall) }

// MBPerSec is the end-to-end throughput in MB (10^6 bytes) of JSON input.
func (r Result) MBPerSec() float64 { return perSec(float64(r.InputBytes)/1e6, r.Wall) }

// CPUPer100k is the CPU seconds spent per 100,000 records.
func (r Result) CPUPer100k() float64 {
	if r.Records == 0 {
		return 0
	}
	return r.CPU.Seconds() * 100_000 / float64(r.Records)
}

func perSec(v float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return v / d.Seconds()
}

// median returns the result whose every field is the median of that field
// over rs (the lower middle for an even count). rs must not be empty and
// must all have the same Name.
func median(rs []Result) Result {
	pick := func(f func(Result) int64) int64 {
		v := make([]int64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[(len(v)-1)/2]
	}
	return Result{
		Name:         rs[0].Name,
		Records:      pick(func(r Result) int64 { return r.Records }),
		InputBytes:   pick(func(r Result) int64 { return r.InputBytes }),
		Wall:         time.Duration(pick(func(r Result) int64 { return int64(r.Wall) })),
		CPU:          time.Duration(pick(func(r Result) int64 { return int64(r.CPU) })),
		PeakRSS:      pick(func(r Result) int64 { return r.PeakRSS }),
		RusageMaxRSS: pick(func(r Result) int64 { return r.RusageMaxRSS }),
		LakeBytes:    pick(func(r Result) int64 { return r.LakeBytes }),
	}
}

const mib = 1 << 20

// writeTable prints results as an aligned table, one row each.
func writeTable(w io.Writer, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\trecords\twall s\trecords/s\tMB/s\tCPU s\tCPU s/100k\tpeak RSS MiB\tlake MiB\t")
	for _, r := range rs {
		lake := "-"
		if r.LakeBytes > 0 {
			lake = fmt.Sprintf("%.1f", float64(r.LakeBytes)/mib)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%.1f\t%.2f\t%.2f\t%.1f\t%s\t\n",
			r.Name, r.Records, r.Wall.Seconds(), r.RecordsPerSec(), r.MBPerSec(),
			r.CPU.Seconds(), r.CPUPer100k(), float64(r.PeakRSS)/mib, lake)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// SweepPoint is landerd's measurement against one backlog size.
type SweepPoint struct {
	Backlog int64  `json:"backlog"`
	Landerd Result `json:"landerd"`
}

// writeSweep prints the RSS sweep as a table.
func writeSweep(w io.Writer, pts []SweepPoint) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backlog\ttopic MB\twall s\trecords/s\tCPU s\tpeak RSS MiB\t")
	for _, p := range pts {
		r := p.Landerd
		fmt.Fprintf(tw, "%d\t%.0f\t%.2f\t%.0f\t%.2f\t%.1f\t\n",
			p.Backlog, float64(r.InputBytes)/1e6, r.Wall.Seconds(), r.RecordsPerSec(), r.CPU.Seconds(), float64(r.PeakRSS)/mib)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write sweep: %w", err)
	}
	return nil
}

// parseSizes parses a comma-separated list of positive record counts into
// ascending order, without duplicates.
func parseSizes(s string) ([]int64, error) {
	var out []int64
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(f, "_", ""), 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("backlog %q: want a positive integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no backlog sizes in %q", s)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// formatEnds renders end offsets, indexed by partition, for a child's
// command line; parseEnds reads them back.
func formatEnds(ends []int64) string {
	parts := make([]string, len(ends))
	for i, e := range ends {
		parts[i] = strconv.FormatInt(e, 10)
	}
	return strings.Join(parts, ",")
}

func parseEnds(s string) ([]int64, error) {
	var ends []int64
	for f := range strings.SplitSeq(s, ",") {
		e, err := strconv.ParseInt(f, 10, 64)
		if err != nil || e < 0 {
			return nil, fmt.Errorf("end offset %q: want a non-negative integer", f)
		}
		ends = append(ends, e)
	}
	return ends, nil
}
