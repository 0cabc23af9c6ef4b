package prometheus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/landerd/landerd/test/kit/servertest"
)

// Options say how to run a Prometheus server.
type Options struct {
	// Binary is the prometheus executable; empty means "prometheus" on PATH.
	Binary string
	// Dir holds the server's configuration, its TSDB and its log. It must
	// exist; the caller removes it.
	Dir string
	// Targets are the host:port addresses scraped at /metrics, as job
	// "landerd".
	Targets []string
	// ScrapeInterval is how often the targets are scraped (and the scrape
	// timeout); zero means 1s.
	ScrapeInterval time.Duration
	// StartTimeout bounds the wait for the server to report ready; zero
	// means 60s.
	StartTimeout time.Duration
}

// Server is a running Prometheus process, listening on a free loopback
// port. Close stops it.
type Server struct {
	cmd     *exec.Cmd
	base    string
	logPath string
	client  *http.Client
	done    chan struct{} // closed when the process has exited
	waitErr error         // the process's exit; set before done closes
}

// ErrNotInstalled reports that no prometheus binary was found.
var ErrNotInstalled = errors.New("prometheus is not installed (run scripts/prometheus/install.sh)")

// Start writes a configuration scraping opts.Targets, starts prometheus
// with it and waits until the server answers /-/ready.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin := opts.Binary
	if bin == "" {
		bin = "prometheus"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("start prometheus: %w: %w", ErrNotInstalled, err)
	}
	interval := opts.ScrapeInterval
	if interval == 0 {
		interval = time.Second
	}
	startTimeout := opts.StartTimeout
	if startTimeout == 0 {
		startTimeout = 60 * time.Second
	}
	cfgPath := filepath.Join(opts.Dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, config(opts.Targets, interval), 0o644); err != nil {
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	addr, err := servertest.FreeAddr()
	if err != nil {
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	logPath := filepath.Join(opts.Dir, "prometheus.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	cmd := exec.Command(path,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(opts.Dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=info",
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	s := &Server{
		cmd:     cmd,
		base:    "http://" + addr,
		logPath: logPath,
		client:  &http.Client{Timeout: 10 * time.Second},
		done:    make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		err := cmd.Wait()
		if cerr := logFile.Close(); cerr != nil && err == nil {
			err = cerr
		}
		s.waitErr = err
	}()
	if err := s.waitReady(ctx, startTimeout); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("start prometheus: %w\n%s", err, s.LogTail(20))
	}
	return s, nil
}

// config renders a prometheus.yml scraping targets as job "landerd".
func config(targets []string, interval time.Duration) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n",
		model(interval), model(interval), model(interval))
	b.WriteString("scrape_configs:\n  - job_name: landerd\n    static_configs:\n      - targets:\n")
	for _, t := range targets {
		fmt.Fprintf(&b, "          - %q\n", t)
	}
	return b.Bytes()
}

// model formats d as a Prometheus duration (whole milliseconds).
func model(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// waitReady polls /-/ready until it answers 200, the process exits, ctx
// ends or limit passes.
func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := s.client.Get(s.base + "/-/ready")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("prometheus exited before it was ready: %v", s.waitErr)
		case <-deadline.C:
			return fmt.Errorf("prometheus not ready within %s", limit)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// URL is the server's base URL, http://127.0.0.1:port.
func (s *Server) URL() string { return s.base }

// Pid is the server process's id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	return servertest.LogTail(s.logPath, n)
}

// Close stops the server with SIGTERM, or SIGKILL after 10s, and waits
// for it to exit.
func (s *Server) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		<-s.done
		return nil
	}
	kill := time.NewTimer(10 * time.Second)
	defer kill.Stop()
	select {
	case <-s.done:
		return nil
	case <-kill.C:
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("stop prometheus: killed after 10s")
	}
}

// Sample is one series of an instant query's answer.
type Sample struct {
	// Metric holds the series' labels.
	Metric map[string]string
	// Value is the sample's value.
	Value float64
}

// Finite reports whether the value is a number: not NaN, not infinite.
func (s Sample) Finite() bool {
	return !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0)
}

// apiResponse is the envelope of Prometheus's HTTP API.
type apiResponse struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
}

// get calls an API path and returns its data.
func (s *Server) get(ctx context.Context, path string, params url.Values) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path+"?"+params.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s: %s", path, r.ErrorType, r.Error)
	}
	return r.Data, nil
}

// Query evaluates expr at the current time through /api/v1/query and
// returns its series; a scalar answer is one sample without labels.
func (s *Server) Query(ctx context.Context, expr string) ([]Sample, error) {
	data, err := s.get(ctx, "/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	var d struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("query %s: decode: %w", expr, err)
	}
	switch d.ResultType {
	case "vector":
		var series []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(d.Result, &series); err != nil {
			return nil, fmt.Errorf("query %s: decode: %w", expr, err)
		}
		out := make([]Sample, 0, len(series))
		for _, sr := range series {
			v, err := sampleValue(sr.Value)
			if err != nil {
				return nil, fmt.Errorf("query %s: %w", expr, err)
			}
			out = append(out, Sample{Metric: sr.Metric, Value: v})
		}
		return out, nil
	case "scalar":
		var pair [2]any
		if err := json.Unmarshal(d.Result, &pair); err != nil {
			return nil, fmt.Errorf("query %s: decode: %w", expr, err)
		}
		v, err := sampleValue(pair)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", expr, err)
		}
		return []Sample{{Value: v}}, nil
	default:
		return nil, fmt.Errorf("query %s: result type %q, want vector or scalar", expr, d.ResultType)
	}
}

// sampleValue decodes the [time, "value"] pair of the API.
func sampleValue(pair [2]any) (float64, error) {
	s, ok := pair[1].(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", pair[1])
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("sample value: %w", err)
	}
	return v, nil
}

// LabelValues lists the values of label among the series matching match,
// as Grafana's label_values(match, label) does.
func (s *Server) LabelValues(ctx context.Context, label, match string) ([]string, error) {
	data, err := s.get(ctx, "/api/v1/label/"+url.PathEscape(label)+"/values", url.Values{"match[]": {match}})
	if err != nil {
		return nil, fmt.Errorf("label values %s of %s: %w", label, match, err)
	}
	var vals []string
	if err := json.Unmarshal(data, &vals); err != nil {
		return nil, fmt.Errorf("label values %s of %s: decode: %w", label, match, err)
	}
	return vals, nil
}
