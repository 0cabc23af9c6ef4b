package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"go.uber.org/zap"
)

// exercised returns a registry whose lander metrics all have a series.
func exercised(t *testing.T) (*prometheus.Registry, *Lander, *Partition) {
	t.Helper()
	reg := NewRegistry("test")
	m := NewLander(reg)
	m.Topic("t")
	m.Rebalanced("t", 2)
	p := m.Partition("t", 3)
	p.Consumed(100)
	p.Lag(5)
	p.Pending(time.Now().Add(-time.Minute))
	p.Buffered(1<<20, 3)
	m.FilePublished("t", "pearson", "attempts", 10, 4096)
	m.Flushed("t", "age", 250*time.Millisecond)
	m.Quarantined("t", "pearson", "invalid_json", 2, 30)
	m.Quarantined("t", "_unassigned", "tenant_unknown", 1, 12)
	m.Committed("t")
	m.CommitFailed("t")
	m.StorageError(OpRename)
	return reg, m, p
}

func TestLint(t *testing.T) {
	reg, _, _ := exercised(t)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(fams).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	for _, f := range fams {
		name := f.GetName()
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		if !strings.HasPrefix(name, "landerd_") {
			t.Errorf("%s: not in the landerd namespace", name)
		}
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				switch l.GetName() {
				case "topic", "partition", "tenant", "table", "reason", "op":
				case "version", "goversion":
					if name != "landerd_build_info" {
						t.Errorf("%s: label %s", name, l.GetName())
					}
				default:
					t.Errorf("%s: label %s is not one of the allowed few", name, l.GetName())
				}
			}
		}
	}
}

func TestValues(t *testing.T) {
	reg, m, p := exercised(t)
	p.Consumed(50)
	m.FilePublished("t", "pearson", "attempts", 5, 1000)
	m.FilePublished("t", "", "attempts", 7, 100)
	p.Lag(-1)
	cases := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"consumed records", m.consumedRecords.WithLabelValues("t", "3"), 2},
		{"consumed bytes", m.consumedBytes.WithLabelValues("t", "3"), 150},
		{"lag clamps at zero", m.lagRecords.WithLabelValues("t", "3"), 0},
		{"landed rows", m.landedRows.WithLabelValues("t", "pearson", "attempts"), 15},
		{"landed rows without tenancy", m.landedRows.WithLabelValues("t", "", "attempts"), 7},
		{"published files", m.publishedFiles.WithLabelValues("t", "pearson", "attempts"), 2},
		{"published bytes", m.publishedBytes.WithLabelValues("t", "pearson", "attempts"), 5096},
		{"quarantined", m.quarantinedRecords.WithLabelValues("t", "pearson", "invalid_json"), 2},
		{"quarantined unassigned", m.quarantinedRecords.WithLabelValues("t", "_unassigned", "tenant_unknown"), 1},
		{"quarantined bytes", m.quarantinedBytes.WithLabelValues("t", "_unassigned", "tenant_unknown"), 12},
		{"storage errors", m.storageErrors.WithLabelValues(OpRename), 1},
		{"untouched op at zero", m.storageErrors.WithLabelValues(OpCreate), 0},
		{"assigned", m.assigned.WithLabelValues("t"), 2},
		{"open files", m.openFiles.WithLabelValues("t", "3"), 3},
	}
	for _, c := range cases {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "landerd_lake_file_size_bytes"); n != 1 {
		t.Errorf("%d file size series, want 1", n)
	}
}

func TestLagSeconds(t *testing.T) {
	_, m, p := exercised(t)
	now := time.Unix(1_000_000, 0)
	m.lagSeconds.now = func() time.Time { return now }
	cases := []struct {
		name    string
		pending time.Time
		want    float64
	}{
		{"nothing pending", time.Time{}, 0},
		{"oldest 90s ago", now.Add(-90 * time.Second), 90},
		{"timestamp in the future", now.Add(time.Hour), 0},
	}
	for _, c := range cases {
		p.Pending(c.pending)
		if got := testutil.ToFloat64(m.lagSeconds); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRemoveDeletesPartitionSeries(t *testing.T) {
	reg, m, p := exercised(t)
	other := m.Partition("t", 4)
	other.Lag(7)
	p.Remove()
	perPartition := []string{
		"landerd_consumer_records_total", "landerd_consumer_bytes_total", "landerd_consumer_lag_records",
		"landerd_consumer_lag_seconds", "landerd_buffer_bytes", "landerd_buffer_open_files",
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "partition" {
					if l.GetValue() == "3" {
						t.Errorf("%s still has partition 3", f.GetName())
					}
					seen[f.GetName()]++
				}
			}
		}
	}
	for _, name := range perPartition {
		if seen[name] != 1 {
			t.Errorf("%s: %d partition series, want 1 (partition 4)", name, seen[name])
		}
	}
}

func TestServer(t *testing.T) {
	reg, _, _ := exercised(t)
	var mu sync.Mutex
	readyErr := errors.New("not joined")
	s := NewServer("127.0.0.1:0", reg, func() error { mu.Lock(); defer mu.Unlock(); return readyErr }, zap.NewNop())
	addr, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	cases := []struct {
		name, path string
		ready      error
		code       int
		body       string
	}{
		{"alive", "/healthz", nil, 200, "ok"},
		{"alive while not ready", "/healthz", errors.New("x"), 200, "ok"},
		{"not ready", "/readyz", errors.New("not joined"), 503, "not joined"},
		{"ready", "/readyz", nil, 200, "ready"},
		{"metrics", "/metrics", nil, 200, `landerd_consumer_lag_records{partition="3",topic="t"} 5`},
		{"build info", "/metrics", nil, 200, `landerd_build_info{goversion="`},
		{"unknown path", "/nope", nil, 404, ""},
	}
	for _, c := range cases {
		mu.Lock()
		readyErr = c.ready
		mu.Unlock()
		code, body := get(c.path)
		if code != c.code || !strings.Contains(body, c.body) {
			t.Errorf("%s: GET %s = %d %q; want %d containing %q", c.name, c.path, code, body, c.code, c.body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := http.Get("http://" + addr.String() + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}
