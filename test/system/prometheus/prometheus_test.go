package prometheus

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/servertest"
)

// scrapeInterval is Prometheus's scrape interval in the test. Grafana's
// $__rate_interval is four scrape intervals, so at the production 15s a
// rate would need a minute of samples before it shows anything; at 1s the
// windows fill within seconds and the test stays short, while every query
// is still the dashboard's own.
const scrapeInterval = time.Second

// grafanaVariables are the values Grafana would give the dashboard's
// variables for a 5-minute view with a data source whose scrape interval
// (timeInterval) is scrape, and topic selected.
func grafanaVariables(scrape time.Duration, topic string) map[string]string {
	interval := scrape // 5m over ~1000 px is 300ms, raised to the scrape interval
	rateInterval := max(interval+scrape, 4*scrape)
	return map[string]string{
		"topic":           topic,
		"__interval":      model(interval),
		"__interval_ms":   fmt.Sprint(interval.Milliseconds()),
		"__rate_interval": model(rateInterval),
	}
}

// TestDashboardAgainstPrometheus runs landerd against the embedded broker,
// feeds it generated attempts with bad ones among them, lets a real
// Prometheus scrape it, and evaluates every query of the Grafana dashboard
// there: each must return at least one series with a finite value, for the
// topic selected alone and for "All". Then it stops producing and checks
// that Prometheus's totals match what was produced, by table and by
// quarantine reason.
func TestDashboardAgainstPrometheus(t *testing.T) {
	begin := time.Now()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	dash, err := LoadDashboard(filepath.Join(root, "deploy", "grafana", "landerd.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("prometheus"); err != nil {
		t.Fatalf("Prometheus: no prometheus binary on PATH (%v); scripts/prometheus/install.sh installs Debian's package (make deps)", err)
	}

	dir := t.TempDir()
	bin, err := repo.BuildLanderd(dir)
	if err != nil {
		t.Fatal(err)
	}

	const topic = "assessment-attempts"
	br, err := fakekafka.Start(fakekafka.Config{Topic: topic, Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()

	metricsAddr, err := servertest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	d := startLanderd(t, bin, dir, "run",
		"--brokers", br.Addr(), "--topic", topic, "--group", "promcheck",
		"--lake", filepath.Join(dir, "lake"), "--max-file-age", "1s",
		"--metrics-addr", metricsAddr)
	defer d.stop(t)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	promDir := filepath.Join(dir, "prometheus")
	if err := os.Mkdir(promDir, 0o755); err != nil {
		t.Fatal(err)
	}
	promStart := time.Now()
	prom, err := Start(ctx, Options{Dir: promDir, Targets: []string{metricsAddr}, ScrapeInterval: scrapeInterval})
	if err != nil {
		t.Fatalf("Prometheus: %v", err)
	}
	t.Logf("prometheus ready at %s after %s", prom.URL(), time.Since(promStart).Round(time.Millisecond))
	defer func() {
		if rss := servertest.PeakRSS(prom.Pid()); rss > 0 {
			t.Logf("prometheus peak RSS: %d MiB", rss>>20)
		}
		if err := prom.Close(); err != nil {
			t.Errorf("Prometheus: %v", err)
		}
		if t.Failed() {
			t.Logf("prometheus log:\n%s", prom.LogTail(30))
		}
	}()

	p := startProducer(ctx, br)
	stopped := false
	defer func() {
		if !stopped {
			_, _ = p.stop()
		}
	}()

	// The dashboard's queries, while records flow: rates need flushes in
	// their window.
	var failures []string
	deadline := time.Now().Add(90 * time.Second)
	for {
		failures = checkDashboard(ctx, t, prom, dash, topic)
		if len(failures) == 0 || time.Now().After(deadline) {
			break
		}
		if err := d.exited(); err != nil {
			t.Fatalf("landerd exited: %v\n%s", err, d.tail())
		}
		time.Sleep(2 * time.Second)
	}
	for _, f := range failures {
		t.Error(f)
	}
	if len(failures) == 0 {
		t.Logf("all %d dashboard queries returned finite data after %s", len(dash.Queries), time.Since(promStart).Round(time.Second))
	}

	// What Prometheus saw must add up to what was produced.
	produced, err := p.stop()
	stopped = true
	if err != nil {
		t.Fatal(err)
	}
	checkTotals(ctx, t, prom, produced)
	t.Logf("test took %s", time.Since(begin).Round(time.Millisecond))
}

// checkDashboard evaluates the dashboard's variable and every query, and
// returns a message per query without finite data.
func checkDashboard(ctx context.Context, t *testing.T, prom *Server, dash Dashboard, topic string) []string {
	t.Helper()
	var failures []string
	selections := map[string]string{"the topic": regexp.QuoteMeta(topic)}
	for _, v := range dash.Variables {
		if v.Type != "query" {
			continue
		}
		if v.Name != "topic" {
			failures = append(failures, fmt.Sprintf("variable $%s: the check knows only $topic", v.Name))
			continue
		}
		m := regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`).FindStringSubmatch(strings.TrimSpace(v.Query))
		if m == nil {
			failures = append(failures, fmt.Sprintf("variable $topic: query %q is not label_values(metric, label)", v.Query))
			continue
		}
		vals, err := prom.LabelValues(ctx, m[2], m[1])
		if err != nil {
			failures = append(failures, fmt.Sprintf("variable $topic: %v", err))
		} else if !slices.Contains(vals, topic) {
			failures = append(failures, fmt.Sprintf("variable $topic: %s lists %q, want %q among them", v.Query, vals, topic))
		}
		if v.IncludeAll {
			selections["All"] = v.AllValue
		}
	}
	names := make([]string, 0, len(selections))
	for n := range selections {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, sel := range names {
		vals := grafanaVariables(scrapeInterval, selections[sel])
		for _, q := range dash.Queries {
			expr, err := Expand(q.Expr, vals)
			if err != nil {
				failures = append(failures, fmt.Sprintf("%s: %v", q, err))
				continue
			}
			samples, err := prom.Query(ctx, expr)
			if err != nil {
				failures = append(failures, fmt.Sprintf("%s ($topic = %s): %v", q, sel, err))
				continue
			}
			finite := 0
			for _, s := range samples {
				if s.Finite() {
					finite++
				}
			}
			if finite == 0 {
				failures = append(failures, fmt.Sprintf("%s ($topic = %s): %s returned %d series, none with a finite value: %v",
					q, sel, expr, len(samples), samples))
			}
		}
	}
	return failures
}

// checkTotals waits until Prometheus's latest scrape shows every produced
// record landed, then compares the totals by table and reason.
func checkTotals(ctx context.Context, t *testing.T, prom *Server, want produced) {
	t.Helper()
	records := want.good + want.bad()
	queries := []struct {
		expr string
		want float64
	}{
		{`sum(landerd_consumer_records_total)`, float64(records)},
		{`sum(landerd_lake_landed_rows_total{table="attempts"})`, float64(want.good)},
		{`sum(landerd_lake_landed_rows_total{table="_quarantine"})`, float64(want.bad())},
		{`sum(landerd_quarantine_records_total)`, float64(want.bad())},
		{`max by (partition) (landerd_consumer_lag_records) == 0 or max by (partition) (landerd_consumer_lag_records)`, 0},
	}
	for reason, n := range want.byReason {
		queries = append(queries, struct {
			expr string
			want float64
		}{fmt.Sprintf(`sum(landerd_quarantine_records_total{reason=%q})`, string(reason)), float64(n)})
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var wrong []string
		for _, q := range queries {
			samples, err := prom.Query(ctx, q.expr)
			switch {
			case err != nil:
				wrong = append(wrong, err.Error())
			case len(samples) == 0:
				wrong = append(wrong, fmt.Sprintf("%s: no series, want %g", q.expr, q.want))
			default:
				for _, s := range samples {
					if s.Value != q.want {
						wrong = append(wrong, fmt.Sprintf("%s: %v = %g, want %g", q.expr, s.Metric, s.Value, q.want))
					}
				}
			}
		}
		if len(wrong) == 0 {
			t.Logf("prometheus totals match: %d records, %d attempts, %d quarantined in %d reasons",
				records, want.good, want.bad(), len(want.byReason))
			return
		}
		if time.Now().After(deadline) {
			for _, w := range wrong {
				t.Error(w)
			}
			return
		}
		time.Sleep(time.Second)
	}
}

// produced counts what the producer sent.
type produced struct {
	good     int
	byReason map[flatten.Reason]int
}

func (p produced) bad() int {
	n := 0
	for _, c := range p.byReason {
		n += c
	}
	return n
}

// producer sends generated attempts, a quarter of them bad, in small
// batches until stopped, so that flushes keep happening while the
// dashboard's rates are evaluated.
type producer struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	counts produced
	err    error
}

func startProducer(ctx context.Context, br *fakekafka.Broker) *producer {
	ctx, cancel := context.WithCancel(ctx)
	p := &producer{cancel: cancel, done: make(chan struct{}), counts: produced{byReason: map[flatten.Reason]int{}}}
	gen := attemptgen.New(attemptgen.Config{Seed: 7, BadRate: 0.25, DuplicateRate: 0.02})
	go func() {
		defer close(p.done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			batch := make([]fakekafka.Record, 30)
			good, bad := 0, map[flatten.Reason]int{}
			for i := range batch {
				r := gen.Next()
				batch[i] = fakekafka.Record{Key: r.Key, Value: r.Value}
				if r.Want == "" {
					good++
				} else {
					bad[r.Want]++
				}
			}
			// A batch cut short by stop may be partly acknowledged; produce
			// it without the producer's context so the counts stay exact.
			pctx, pcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			err := br.Produce(pctx, batch)
			pcancel()
			p.mu.Lock()
			if err != nil {
				p.err = err
				p.mu.Unlock()
				return
			}
			p.counts.good += good
			for r, n := range bad {
				p.counts.byReason[r] += n
			}
			p.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// stop ends the producer, waits for it and returns what it sent, or the
// error that stopped it early.
func (p *producer) stop() (produced, error) {
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts, p.err
}

// landerd is a landerd process whose stderr goes to a file.
type landerd struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

func startLanderd(t *testing.T, bin, dir string, args ...string) *landerd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LANDERD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	logPath := filepath.Join(dir, "landerd.log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = f
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		t.Fatalf("start landerd: %v", err)
	}
	d := &landerd{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		err := cmd.Wait()
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
		d.waitErr = err
	}()
	return d
}

// exited returns the process's exit when it has ended, else nil.
func (d *landerd) exited() error {
	select {
	case <-d.done:
		if d.waitErr == nil {
			return errors.New("exit status 0")
		}
		return d.waitErr
	default:
		return nil
	}
}

// stop sends SIGTERM and waits; landerd flushes and exits within its
// shutdown deadline (30s by default), else it is killed.
func (d *landerd) stop(t *testing.T) {
	t.Helper()
	select {
	case <-d.done:
	default:
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
			if d.waitErr != nil {
				t.Errorf("landerd: %v", d.waitErr)
			}
		case <-time.After(40 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.done
			t.Errorf("landerd did not stop within 40s of SIGTERM")
		}
	}
	if t.Failed() {
		t.Logf("landerd log:\n%s", d.tail())
	}
}

// tail returns the last lines of landerd's log.
func (d *landerd) tail() string {
	f, err := os.Open(d.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 30 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
