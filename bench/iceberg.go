package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/hadoop"
	"github.com/apache/iceberg-go/table"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/sink"
)

// The lake formats the harness measures (lake.format).
const (
	formatHive    = "hive"
	formatIceberg = "iceberg"
)

// icebergNamespace is lake.iceberg.namespace's default, which the
// harness's config keeps.
const icebergNamespace = "landerd"

// The metrics of landerd's Iceberg commits: every attempt's duration, and
// the attempts that found the table changed under them.
const (
	commitMetric   = "landerd_iceberg_commit_duration_seconds"
	conflictMetric = "landerd_iceberg_commit_conflicts_total"
)

// IcebergRun is what one iceberg run left in its tables and reported of
// its commits.
type IcebergRun struct {
	// Commits is the histogram of every commit attempt, all tables.
	Commits Histogram `json:"commits"`
	// Conflicts is the conflicts counter, all tables.
	Conflicts float64 `json:"conflicts"`
	// Tables is each table's metadata, by name.
	Tables map[string]TableMetadata `json:"tables"`
}

// TableMetadata counts what a table's metadata folder holds.
type TableMetadata struct {
	// Snapshots is the number of snapshots in the current metadata.
	Snapshots int `json:"snapshots"`
	// MetadataFiles is the number of metadata.json files kept (the table
	// keeps write.metadata.previous-versions-max of them besides the
	// current one); MetadataBytes is their total size and
	// CurrentMetadataBytes the current one's.
	MetadataFiles        int   `json:"metadata_files"`
	MetadataBytes        int64 `json:"metadata_bytes"`
	CurrentMetadataBytes int64 `json:"current_metadata_bytes"`
	// ManifestLists and Manifests count the Avro files (snap-*.avro and
	// the others); AvroBytes is their total size and
	// CurrentManifestListBytes the current snapshot's list's.
	ManifestLists            int   `json:"manifest_lists"`
	Manifests                int   `json:"manifests"`
	AvroBytes                int64 `json:"avro_bytes"`
	CurrentManifestListBytes int64 `json:"current_manifest_list_bytes"`
}

// Histogram is a Prometheus histogram: cumulative counts by upper bound.
type Histogram struct {
	Count  uint64    `json:"count"`
	Sum    float64   `json:"sum_seconds"`
	Bounds []float64 `json:"bounds"`
	Counts []uint64  `json:"cumulative_counts"`
}

// add merges o into h; both must have the same bounds, or h none yet.
func (h *Histogram) add(o Histogram) error {
	if h.Bounds == nil {
		h.Bounds, h.Counts = slices.Clone(o.Bounds), make([]uint64, len(o.Bounds))
	}
	if !slices.Equal(h.Bounds, o.Bounds) {
		return fmt.Errorf("histogram bounds %v and %v differ", h.Bounds, o.Bounds)
	}
	h.Count += o.Count
	h.Sum += o.Sum
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
	return nil
}

// Mean is the mean observation, 0 for none.
func (h Histogram) Mean() float64 {
	if h.Count == 0 {
		return 0
	}
	return h.Sum / float64(h.Count)
}

// Quantile estimates the q-quantile as PromQL's histogram_quantile does:
// linear within the bucket it falls in, the first bucket starting at 0;
// one past the last finite bound is that bound. NaN for no observations.
func (h Histogram) Quantile(q float64) float64 {
	if h.Count == 0 {
		return math.NaN()
	}
	rank := q * float64(h.Count)
	lower, below := 0.0, uint64(0)
	for i, c := range h.Counts {
		if float64(c) >= rank {
			if c == below {
				return h.Bounds[i]
			}
			return lower + (h.Bounds[i]-lower)*(rank-float64(below))/float64(c-below)
		}
		lower, below = h.Bounds[i], c
	}
	return lower
}

// scrapeCommits reads the commit histogram and the conflicts, each summed
// over the tables, from landerd's metrics server at addr.
func scrapeCommits(ctx context.Context, addr string) (Histogram, float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return Histogram{}, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Histogram{}, 0, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Histogram{}, 0, fmt.Errorf("scrape metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return Histogram{}, 0, fmt.Errorf("scrape metrics: %w", err)
	}
	mf, ok := mfs[commitMetric]
	if !ok || mf.GetType() != dto.MetricType_HISTOGRAM {
		return Histogram{}, 0, fmt.Errorf("scrape metrics: no histogram %s", commitMetric)
	}
	var sum Histogram
	for _, m := range mf.GetMetric() {
		hm := m.GetHistogram()
		h := Histogram{Count: hm.GetSampleCount(), Sum: hm.GetSampleSum()}
		for _, b := range hm.GetBucket() {
			if math.IsInf(b.GetUpperBound(), 1) {
				continue
			}
			h.Bounds = append(h.Bounds, b.GetUpperBound())
			h.Counts = append(h.Counts, b.GetCumulativeCount())
		}
		if err := sum.add(h); err != nil {
			return Histogram{}, 0, fmt.Errorf("scrape metrics: %w", err)
		}
	}
	var conflicts float64
	for _, m := range mfs[conflictMetric].GetMetric() {
		conflicts += m.GetCounter().GetValue()
	}
	return sum, conflicts, nil
}

// openTables opens the hadoop catalog of the iceberg lake at lake.
func openTables(lake string) (*hadoop.Catalog, error) {
	root, err := filepath.Abs(lake)
	if err != nil {
		return nil, err
	}
	loc := icetable.Location{Root: filepath.ToSlash(root), Namespace: icebergNamespace}
	cat, err := hadoop.NewCatalog("landerd", loc.URI(), iceberg.Properties{})
	if err != nil {
		return nil, fmt.Errorf("open iceberg catalog of %s: %w", lake, err)
	}
	return cat, nil
}

// icebergLanded waits until the lake shows every partition up to its end
// offset and every table that got files of a partition's last flush has
// committed that flush: what an Iceberg reader sees.
func icebergLanded(ctx context.Context, lake, topic string, ends []int64) error {
	if err := landed(ctx, lake, topic, ends); err != nil {
		return err
	}
	fsys, err := sink.NewLocal(lake)
	if err != nil {
		return fmt.Errorf("open lake: %w", err)
	}
	cat, err := openTables(lake)
	if err != nil {
		return err
	}
	defer cat.Close()
	type want struct {
		table     string
		partition int32
		next      int64
	}
	var wants []want
	for p, end := range ends {
		if end == 0 {
			continue
		}
		st, err := sink.ReadState(fsys, topic, int32(p))
		if err != nil {
			return err
		}
		tables := map[string]bool{}
		for _, f := range st.Files {
			tables[f.Table] = true
		}
		for t := range tables {
			wants = append(wants, want{t, int32(p), st.Next()})
		}
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for len(wants) > 0 {
		w := wants[0]
		tbl, err := cat.LoadTable(ctx, table.Identifier{icebergNamespace, w.table})
		if err != nil && !errors.Is(err, catalog.ErrNoSuchTable) && !errors.Is(err, catalog.ErrNoSuchNamespace) {
			return fmt.Errorf("iceberg table %s: %w", w.table, err)
		}
		if err == nil {
			off, err := icetable.CommittedOffsets(tbl)
			if err != nil {
				return err
			}
			if off.Next(topic, w.partition) >= w.next {
				wants = wants[1:]
				continue
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("partition %d not committed to iceberg table %s: %w", w.partition, w.table, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// icebergMetadata counts the metadata of every table of the iceberg lake
// at lake.
func icebergMetadata(ctx context.Context, lake string) (map[string]TableMetadata, error) {
	cat, err := openTables(lake)
	if err != nil {
		return nil, err
	}
	defer cat.Close()
	out := map[string]TableMetadata{}
	for _, name := range icetable.TableNames() {
		tbl, err := cat.LoadTable(ctx, table.Identifier{icebergNamespace, name})
		if errors.Is(err, catalog.ErrNoSuchTable) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("iceberg table %s: %w", name, err)
		}
		var tm TableMetadata
		tm.Snapshots = len(tbl.Metadata().Snapshots())
		current := strings.TrimPrefix(tbl.MetadataLocation(), "file://")
		list := ""
		if s := tbl.CurrentSnapshot(); s != nil {
			list = strings.TrimPrefix(s.ManifestList, "file://")
		}
		dir := filepath.Join(lake, icebergNamespace, name, "metadata")
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			switch n := d.Name(); {
			case strings.HasSuffix(n, ".metadata.json"):
				tm.MetadataFiles++
				tm.MetadataBytes += info.Size()
				if p == current {
					tm.CurrentMetadataBytes = info.Size()
				}
			case strings.HasSuffix(n, ".avro") && strings.HasPrefix(n, "snap-"):
				tm.ManifestLists++
				tm.AvroBytes += info.Size()
				if p == list {
					tm.CurrentManifestListBytes = info.Size()
				}
			case strings.HasSuffix(n, ".avro"):
				tm.Manifests++
				tm.AvroBytes += info.Size()
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("iceberg table %s: %w", name, err)
		}
		out[name] = tm
	}
	return out, nil
}

// icebergSummary is what the report says of the iceberg runs: their
// commits together, and each table's metadata after the last run.
type icebergSummary struct {
	Commits   Histogram                `json:"commits"`
	Conflicts float64                  `json:"conflicts"`
	Tables    map[string]TableMetadata `json:"tables_last_run"`
}

func summarizeIceberg(runs []Result) (*icebergSummary, error) {
	var s icebergSummary
	for _, r := range runs {
		if r.Iceberg == nil {
			continue
		}
		if err := s.Commits.add(r.Iceberg.Commits); err != nil {
			return nil, err
		}
		s.Conflicts += r.Iceberg.Conflicts
		s.Tables = r.Iceberg.Tables
	}
	if s.Tables == nil {
		return nil, nil
	}
	return &s, nil
}

// writeIceberg prints the iceberg runs' commit latency and each table's
// metadata after the last run.
func writeIceberg(w io.Writer, s *icebergSummary, runs int) error {
	h := s.Commits
	fmt.Fprintf(w, "\niceberg commit attempts (%s, all tables, %d runs): %d, mean %.1f ms, p50 %.1f ms, p99 %.1f ms (interpolated within the buckets); conflicts %.0f\n",
		commitMetric, runs, h.Count, 1e3*h.Mean(), 1e3*h.Quantile(0.5), 1e3*h.Quantile(0.99), s.Conflicts)
	fmt.Fprintf(w, "iceberg metadata after the last run:\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tsnapshots\tmetadata.json\tKiB\tcurrent KiB\tmanifest lists\tmanifests\tavro KiB\tcurrent list KiB\t")
	for _, name := range icetable.TableNames() {
		tm, ok := s.Tables[name]
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%d\t%d\t%.1f\t%.1f\t\n", name, tm.Snapshots, tm.MetadataFiles,
			float64(tm.MetadataBytes)/1024, float64(tm.CurrentMetadataBytes)/1024, tm.ManifestLists, tm.Manifests,
			float64(tm.AvroBytes)/1024, float64(tm.CurrentManifestListBytes)/1024)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write iceberg table: %w", err)
	}
	return nil
}
