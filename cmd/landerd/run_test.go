package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// TestRunWithoutMetrics: with metrics.addr empty the lander runs and lands
// until it is stopped, rather than taking the absent server for a failed one.
func TestRunWithoutMetrics(t *testing.T) {
	b, err := fakekafka.Start(fakekafka.Config{Topic: "t", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	gen := attemptgen.New(attemptgen.Config{Seed: 3})
	var recs []fakekafka.Record
	for i := 0; i < 20; i++ {
		recs = append(recs, fakekafka.Record{Value: gen.Next().Value})
	}
	if err := b.Produce(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	lake, err := sink.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Kafka.Brokers, cfg.Kafka.Topic = []string{b.Addr()}, "t"
	cfg.Lake.Roll.MaxFileAge = 200 * time.Millisecond
	cfg.Metrics.Addr = ""
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runLander(ctx, cfg, lake, zaptest.NewLogger(t), nil) }()
	deadline := time.After(30 * time.Second)
	for {
		next, err := sink.Landed(lake, "t", 0)
		if err != nil {
			t.Fatal(err)
		}
		if next == 20 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("runLander returned before it was stopped: %v", err)
		case <-deadline:
			t.Fatal("nothing landed within 30s")
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("runLander: %v", err)
	}
}

// TestRunLakeConfigError: a lake the configuration names wrongly, here a
// tenant's group the local system lacks, exits 2 before any record is
// read, naming the group, and lands nothing.
func TestRunLakeConfigError(t *testing.T) {
	dir := t.TempDir()
	lakeDir := filepath.Join(dir, "lake")
	cfg := fmt.Sprintf(`kafka:
  brokers: ["127.0.0.1:1"]
  topic: t
lake:
  url: %q
tenancy:
  source: header
  header: tenant
  tenants:
    - name: acme
      group: landerd-test-no-such-group
`, lakeDir)
	path := filepath.Join(dir, "landerd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "run", "--config", path, "--metrics-addr", "")
	if code != 2 || !strings.Contains(errOut, `tenancy.tenants acme: group "landerd-test-no-such-group"`) {
		t.Errorf("run with a missing tenant group: exit %d, stderr:\n%s\nwant exit 2 naming the group", code, errOut)
	}
	if entries, err := os.ReadDir(lakeDir); err != nil || len(entries) != 0 {
		t.Errorf("the lake after a refused start: %v, %v; want it empty", entries, err)
	}
}

// TestRunRefusesChangedPartitionSpec: Iceberg tables landed under
// ingest_date, then a start under event_date: landerd exits 1 before
// reading a record, naming the table and both partition specs, and leaves
// the table's spec as it was.
func TestRunRefusesChangedPartitionSpec(t *testing.T) {
	dir := t.TempDir()
	lakeDir := filepath.Join(dir, "lake")
	write := func(by string) string {
		t.Helper()
		cfg := fmt.Sprintf(`kafka:
  brokers: ["127.0.0.1:1"]
  topic: t
lake:
  url: %q
  partition_by: %s
  format: iceberg
  iceberg:
    catalog:
      type: hadoop
`, lakeDir, by)
		path := filepath.Join(dir, by+".yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if err := os.MkdirAll(lakeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(write("ingest_date"), nil)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := icetable.ConfigOf(cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	tables := icetable.New(conf, zap.NewNop(), metrics.NewIceberg(prometheus.NewRegistry(), nil))
	if err := tables.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tables.Close(); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "run", "--config", write("event_date"), "--metrics-addr", "")
	for _, want := range []string{"landerd.attempts", "[ingest_date=day(landed_at)]", "[event_date=day(started_at)]"} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("run under event_date on ingest_date tables: exit %d, stderr:\n%s\nwant exit 1 saying %q", code, errOut, want)
		}
	}
	// The tables are as they were: under ingest_date they check out.
	if err := tables.Check(context.Background()); err != nil {
		t.Errorf("Check under ingest_date after the refused start: %v", err)
	}
}
