package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/internal/report"
)

// TestRunIcebergOnHDFS lands into Iceberg tables of the hadoop catalog on
// the test cluster through runLander, as `landerd run` does, and waits
// until `landerd report --config` (the catalog read through a read-only
// lake) accounts for every record produced.
func TestRunIcebergOnHDFS(t *testing.T) {
	const count = 400
	ctx := context.Background()
	b, err := fakekafka.Start(fakekafka.Config{Topic: demoTopic, Partitions: 2, MinSessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var buf bytes.Buffer
	if err := attemptgen.WriteLines(&buf, attemptgen.Config{Seed: 42, BadRate: 0.05}, count); err != nil {
		t.Fatal(err)
	}
	if err := produceLines(ctx, b, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	c := fakehdfs.Start(t, fakehdfs.Config{})
	file := icebergHDFSConfig(t, b.Addr(), c.Addr(), "landerd-iceberg-hdfs-test")
	var f runFlags
	f.config = file
	cfg, err := f.load()
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := lake.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := fsys.Close(); err != nil {
			t.Errorf("close lake: %v", err)
		}
	}()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runLander(runCtx, cfg, fsys, zap.NewNop(), nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		code, out, errOut := runCmd(t, "report", "--json", "--config", file)
		var rep report.Report
		if code == 0 {
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("decode report --json: %v\n%s", err, out)
			}
			if rep.Raw.Attempts+rep.QuarantinedRows == count {
				t.Logf("report: %d attempts, %d quarantined", rep.Raw.Attempts, rep.QuarantinedRows)
				return
			}
			if rep.Raw.Attempts+rep.QuarantinedRows > count {
				t.Fatalf("report: %d attempts and %d quarantined of %d records", rep.Raw.Attempts, rep.QuarantinedRows, count)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the report never accounted for all %d records: exit %d, %d attempts, %d quarantined\n%s", count, code, rep.Raw.Attempts, rep.QuarantinedRows, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// icebergHDFSConfig writes the configuration of a daemon that lands the
// demo topic from the broker at brokers, as consumer group group, into
// hadoop-catalog Iceberg tables on the HDFS cluster at namenode, and
// returns its path.
func icebergHDFSConfig(t *testing.T, brokers, namenode, group string) string {
	t.Helper()
	yaml := fmt.Sprintf(`kafka:
  brokers: [%q]
  topic: %s
  group: %s
  session_timeout: 3s
  heartbeat_interval: 300ms
  rebalance_timeout: 5s
lake:
  url: hdfs://%s/lake
  format: iceberg
  iceberg:
    catalog:
      type: hadoop
  roll:
    max_file_age: 200ms
hdfs:
  user: lander
  call_timeout: 5s
metrics:
  addr: ""
`, brokers, demoTopic, group, namenode)
	file := filepath.Join(t.TempDir(), "landerd.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
