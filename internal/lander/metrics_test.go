package lander

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap/zaptest"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// scraper reads a running lander's /metrics, /readyz over HTTP.
type scraper struct {
	base   string
	client *http.Client
}

func (s scraper) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := s.client.Get(s.base + path)
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

// scrape returns the exposition, keyed by family name.
func (s scraper) scrape(t *testing.T) scrapeResult {
	t.Helper()
	code, body := s.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

type scrapeResult map[string]*dto.MetricFamily

// sum adds the values of a family's series whose labels include want.
func (r scrapeResult) sum(name string, want map[string]string) float64 {
	var total float64
	f := r[name]
	if f == nil {
		return 0
	}
	for _, m := range f.GetMetric() {
		match := 0
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match != len(want) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

// series counts a family's series.
func (r scrapeResult) series(name string) int {
	if f := r[name]; f != nil {
		return len(f.GetMetric())
	}
	return 0
}

// runWithMetrics starts a lander with metrics and the HTTP server on a
// free port, and returns the scraper and a function that stops the lander;
// the server keeps answering until the test ends.
func (f *fixture) runWithMetrics(t *testing.T) (scraper, func()) {
	t.Helper()
	reg := metrics.NewRegistry("test")
	m := metrics.NewLander(reg)
	l := New(f.cfg, f.lake, zaptest.NewLogger(t), WithMetrics(m), WithStorageProbe(100*time.Millisecond))
	srv := metrics.NewServer("127.0.0.1:0", reg, l.CheckReady, zaptest.NewLogger(t))
	addr, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srvCtx, stopSrv := context.WithCancel(context.Background())
	var lw, sw sync.WaitGroup
	lw.Go(func() {
		if err := l.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	sw.Go(func() {
		if err := srv.Run(srvCtx); err != nil {
			t.Errorf("metrics server: %v", err)
		}
	})
	s := scraper{base: "http://" + addr.String(), client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}
	stop := func() { cancel(); lw.Wait() }
	t.Cleanup(func() {
		stop()
		stopSrv()
		sw.Wait()
	})
	return s, stop
}

// waitFor polls cond until it holds, failing after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMetricsFollowTheLanding scrapes a running lander's /metrics: lag
// rises while records wait for the age deadline and returns to zero once
// they land; the counters equal what the lake holds and what was sent.
func TestMetricsFollowTheLanding(t *testing.T) {
	f := newFixture(t, 3)
	f.cfg.Lake.Roll.MaxFileRecords = 1_000_000
	f.cfg.Lake.Roll.MaxFileAge = 1500 * time.Millisecond // records wait: landing is slower than producing
	gen := attemptgen.New(attemptgen.Config{Seed: 21, BadRate: 0.05})
	s, stop := f.runWithMetrics(t)

	waitFor(t, 20*time.Second, "ready", func() bool { code, _ := s.get(t, "/readyz"); return code == http.StatusOK })
	if r := s.scrape(t); r.sum("landerd_group_assigned_partitions", nil) != 3 || r.sum("landerd_group_rebalances_total", nil) < 1 {
		t.Errorf("assigned %v partitions after %v rebalances; want 3 after at least 1",
			r.sum("landerd_group_assigned_partitions", nil), r.sum("landerd_group_rebalances_total", nil))
	}

	// Two rounds of records; a third as many under -short.
	for round, n := range []int{size(900, 300), size(600, 200)} {
		f.produce(t, gen, n)
		var maxLag, maxAge float64
		waitFor(t, 20*time.Second, "lag rises", func() bool {
			r := s.scrape(t)
			maxLag = max(maxLag, r.sum("landerd_consumer_lag_records", nil))
			maxAge = max(maxAge, r.sum("landerd_consumer_lag_seconds", nil))
			return maxLag > 0 && maxAge > 0
		})
		if maxLag > float64(n) {
			t.Errorf("round %d: lag %v records with only %d unlanded", round, maxLag, n)
		}
		f.waitLanded(t, 90*time.Second)
		waitFor(t, 10*time.Second, "lag back to zero", func() bool {
			r := s.scrape(t)
			return r.series("landerd_consumer_lag_records") == 3 &&
				r.sum("landerd_consumer_lag_records", nil) == 0 && r.sum("landerd_consumer_lag_seconds", nil) == 0
		})
	}

	r := s.scrape(t)
	var good, bad float64
	byReason := map[flatten.Reason]float64{}
	for _, want := range f.want {
		for _, reason := range want {
			if reason == "" {
				good++
			} else {
				bad++
				byReason[reason]++
			}
		}
	}
	att, _ := landed(t, f.lake, flatten.TableAttempts, "")
	que, _ := landed(t, f.lake, flatten.TableQuestions, "")
	qua, _ := landed(t, f.lake, flatten.TableQuarantine, "")
	rowsOf := func(c map[[2]int64]int) (n float64) {
		for _, k := range c {
			n += float64(k)
		}
		return n
	}
	cases := []struct {
		name      string
		got, want float64
	}{
		{"records consumed", r.sum("landerd_consumer_records_total", nil), good + bad},
		{"attempts rows landed", r.sum("landerd_lake_landed_rows_total", map[string]string{"table": flatten.TableAttempts}), good},
		{"attempts rows in the lake", rowsOf(att), good},
		{"questions rows landed", r.sum("landerd_lake_landed_rows_total", map[string]string{"table": flatten.TableQuestions}), rowsOf(que)},
		{"quarantine rows landed", r.sum("landerd_lake_landed_rows_total", map[string]string{"table": flatten.TableQuarantine}), bad},
		{"quarantine rows in the lake", rowsOf(qua), bad},
		{"quarantined records", r.sum("landerd_quarantine_records_total", nil), bad},
		{"buffered bytes once landed", r.sum("landerd_buffer_bytes", nil), 0},
		{"open files once landed", r.sum("landerd_buffer_open_files", nil), 0},
		{"storage errors", r.sum("landerd_storage_errors_total", nil), 0},
		{"commit failures", r.sum("landerd_consumer_commit_failures_total", nil), 0},
		{"one commit per flush", r.sum("landerd_consumer_commits_total", nil), r.sum("landerd_flush_duration_seconds", nil)},
		{"file size observations", r.sum("landerd_lake_file_size_bytes", nil), r.sum("landerd_lake_published_files_total", nil)},
	}
	for reason, n := range byReason {
		cases = append(cases, struct {
			name      string
			got, want float64
		}{"quarantined as " + string(reason), r.sum("landerd_quarantine_records_total", map[string]string{"reason": string(reason)}), n})
	}
	for _, table := range flatten.Tables() {
		files, err := sink.ListDataFiles(f.lake, table.Name)
		if err != nil {
			t.Fatal(err)
		}
		var size float64
		for _, df := range files {
			size += float64(df.Size)
		}
		label := map[string]string{"table": table.Name}
		cases = append(cases, struct {
			name      string
			got, want float64
		}{table.Name + " files published", r.sum("landerd_lake_published_files_total", label), float64(len(files))},
			struct {
				name      string
				got, want float64
			}{table.Name + " bytes published", r.sum("landerd_lake_published_bytes_total", label), size})
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if bad == 0 || r.sum("landerd_flush_duration_seconds", nil) < 6 {
		t.Errorf("%v bad records, %v flushes: the test sends bad records and lands two rounds on 3 partitions",
			bad, r.sum("landerd_flush_duration_seconds", nil))
	}
	checkDashboard(t, "../../deploy/grafana/landerd.json", r)

	stop()
	r = s.scrape(t)
	for name, fam := range r {
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "partition" {
					t.Errorf("%s{partition=%q} still exported after the partitions were released", name, l.GetValue())
				}
			}
		}
	}
	if code, _ := s.get(t, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d after shutdown, want 503", code)
	}
}

// TestReadinessDropsOnShutdown: /readyz turns 503 as soon as shutdown
// begins, while /healthz and /metrics keep answering.
func TestReadinessDropsOnShutdown(t *testing.T) {
	f := newFixture(t, 1)
	reg := metrics.NewRegistry("test")
	l := New(f.cfg, f.lake, zaptest.NewLogger(t), WithMetrics(metrics.NewLander(reg)))
	if err := l.CheckReady(); err == nil {
		t.Fatal("ready before Run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := l.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitFor(t, 20*time.Second, "ready", l.Ready)
	cancel()
	waitFor(t, 5*time.Second, "not ready once shutdown began", func() bool {
		err := l.CheckReady()
		return err != nil && strings.Contains(err.Error(), "shutting down")
	})
	wg.Wait()
}

// TestReadinessNeedsTheLake: a lake whose root is gone makes the lander
// unready until it is back.
func TestReadinessNeedsTheLake(t *testing.T) {
	f := newFixture(t, 1)
	root := t.TempDir() + "/lake"
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	lake, err := sink.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	f.lake = lake
	reg := metrics.NewRegistry("test")
	l := New(f.cfg, f.lake, zaptest.NewLogger(t), WithMetrics(metrics.NewLander(reg)), WithStorageProbe(50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := l.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()
	waitFor(t, 20*time.Second, "ready", l.Ready)
	if err := os.Rename(root, root+".away"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "unready with the lake unreadable", func() bool {
		err := l.CheckReady()
		return err != nil && strings.Contains(err.Error(), "lake unreachable")
	})
	if err := os.Rename(root+".away", root); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "ready again", l.Ready)
}

// promqlNoise is what an expression holds besides metric names: strings,
// label matchers, grouping clauses, range selectors, Grafana variables,
// numbers.
var promqlNoise = regexp.MustCompile(`"[^"]*"|\{[^}]*\}|\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)|\[[^\]]*\]|\$\{?\w+\}?|\b\d+(\.\d+)?(e[+-]?\d+)?\b`)

var promqlIdent = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?`)

var promqlKeywords = map[string]bool{"and": true, "or": true, "unless": true, "offset": true, "bool": true, "inf": true, "nan": true}

// metricNames extracts the metric names a PromQL expression selects.
func metricNames(expr string) []string {
	var names []string
	for _, id := range promqlIdent.FindAllString(promqlNoise.ReplaceAllString(expr, " "), -1) {
		if strings.HasSuffix(id, "(") || promqlKeywords[strings.ToLower(id)] {
			continue // a function or aggregation
		}
		names = append(names, id)
	}
	return names
}

func TestMetricNames(t *testing.T) {
	cases := []struct{ expr, want string }{
		{`sum by (partition) (landerd_consumer_lag_records{topic=~"$topic"})`, "landerd_consumer_lag_records"},
		{`histogram_quantile(0.99, sum by (le) (rate(landerd_flush_duration_seconds_bucket{topic="$topic"}[$__rate_interval])))`, "landerd_flush_duration_seconds_bucket"},
		{`rate(a_total[5m]) / ignoring(reason) rate(b_total[5m]) > 0.5 or on(topic) c`, "a_total b_total c"},
		{`process_resident_memory_bytes{job="landerd"}`, "process_resident_memory_bytes"},
	}
	for _, c := range cases {
		if got := strings.Join(metricNames(c.expr), " "); got != c.want {
			t.Errorf("metricNames(%q) = %q, want %q", c.expr, got, c.want)
		}
	}
}

// checkDashboard asserts that every query of the Grafana dashboard names
// only metrics the running lander exports.
func checkDashboard(t *testing.T, path string, exported scrapeResult) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string      `json:"title"`
		UID    string      `json:"uid"`
		Panels []dashPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if dash.Title == "" || dash.UID == "" {
		t.Errorf("%s: no title or uid", path)
	}
	known := map[string]bool{}
	for name, fam := range exported {
		known[name] = true
		if fam.GetType() == dto.MetricType_HISTOGRAM {
			known[name+"_bucket"], known[name+"_sum"], known[name+"_count"] = true, true, true
		}
	}
	queries := 0
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			walk(p.Panels)
			for _, tg := range p.Targets {
				queries++
				names := metricNames(tg.Expr)
				if len(names) == 0 {
					t.Errorf("panel %q: query %q names no metric", p.Title, tg.Expr)
				}
				for _, n := range names {
					if !known[n] {
						t.Errorf("panel %q: query %q uses %s, which landerd does not export", p.Title, tg.Expr, n)
					}
				}
			}
		}
	}
	walk(dash.Panels)
	if queries < 6 {
		t.Errorf("%s: %d queries; the dashboard shows lag, throughput, landed vs quarantined, flush latency, file sizes and memory", path, queries)
	}
}

type dashPanel struct {
	Title   string      `json:"title"`
	Panels  []dashPanel `json:"panels"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// failingTables are tables kept in the lake's own folders whose commits
// fail while down is set.
type failingTables struct{ down *atomic.Bool }

func (failingTables) DataDir(table, hive string) string { return path.Join(table, hive) }

func (failingTables) FileSchema(table string) (*arrow.Schema, error) {
	for _, t := range tables {
		if t.Name == table {
			return t.Schema, nil
		}
	}
	return nil, fmt.Errorf("no table %s", table)
}

func (f failingTables) Commit(context.Context, *sink.State) error {
	if f.down.Load() {
		return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return nil
}

// TestReadinessNamesFailingTables: while commits to the tables fail, the
// lander is not ready and says that the catalog is unreachable, rather than
// only that it is not a member of the group; once they succeed it is
// ready again.
func TestReadinessNamesFailingTables(t *testing.T) {
	f := newFixture(t, 1)
	f.cfg.Lake.Format = config.FormatIceberg
	var down atomic.Bool
	l := New(f.cfg, f.lake, zaptest.NewLogger(t), WithTables(failingTables{&down}))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := l.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()
	waitFor(t, 20*time.Second, "ready", l.Ready)
	down.Store(true)
	f.produce(t, attemptgen.New(attemptgen.Config{Seed: 3}), 50)
	waitFor(t, 20*time.Second, "unready, naming the catalog", func() bool {
		err := l.CheckReady()
		return err != nil && strings.Contains(err.Error(), "iceberg catalog unreachable: ") && strings.Contains(err.Error(), "connection refused")
	})
	down.Store(false)
	waitFor(t, 30*time.Second, "ready again", l.Ready)
}
