package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/internal/lake"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// hdfsConfig returns a configuration whose lake is root on the test
// cluster c.
func hdfsConfig(c *fakehdfs.Cluster, root string) config.Config {
	cfg := config.Default()
	cfg.Lake.URL = "hdfs://" + c.Addr() + root
	cfg.HDFS.User = "lander"
	cfg.HDFS.CallTimeout = 5 * time.Second
	return cfg
}

// outageEnv sets how long the NameNode stays down in TestRunLandsOnHDFS
// (a Go duration; 2s by default), e.g. 30s for a long outage.
const outageEnv = "LANDERD_TEST_HDFS_OUTAGE"

// TestRunLandsOnHDFS lands generated attempts through the whole pipeline
// into a lake on the test cluster, with storage faults injected, and
// checks that every Kafka record landed exactly once.
func TestRunLandsOnHDFS(t *testing.T) {
	outage := 2 * time.Second
	if v := os.Getenv(outageEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s: %v", outageEnv, err)
		}
		outage = d
	}
	tests := []struct {
		name string
		// inject runs when the lander starts; it may fail calls or take a
		// node down, and returns when the fault is over.
		inject func(c *fakehdfs.Cluster)
		// faults: the fault takes effect.
		faults bool
	}{
		{"NoFault", func(*fakehdfs.Cluster) {}, false},
		{"DataNodeFailsMidFile", func(c *fakehdfs.Cluster) { c.FailDataNodeAfter(2000) }, true},
		{"RenameAndCompleteFail", func(c *fakehdfs.Cluster) {
			c.FailCalls("rename2", 1)
			c.FailCalls("complete", 1)
			c.DelayCompletes(2)
		}, true},
		{"NameNodeDown", func(c *fakehdfs.Cluster) {
			c.SetNameNodeDown(true)
			time.Sleep(outage)
			c.SetNameNodeDown(false)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if n := landOnHDFS(t, tt.inject, outage); (n > 0) != tt.faults {
				t.Errorf("%d injected faults took effect; want some: %v", n, tt.faults)
			}
		})
	}
}

// landOnHDFS publishes generated attempts to a broker, runs the lander
// into a lake on a test cluster while inject runs, waits until every
// offset is published (for at most a minute after the outage) and checks
// the lake holds each record once. It returns how many injected faults
// took effect.
func landOnHDFS(t *testing.T, inject func(c *fakehdfs.Cluster), outage time.Duration) int {
	count := size(600, 300) // each fault still fires on the smaller topic
	ctx := context.Background()
	b, err := fakekafka.Start(fakekafka.Config{Topic: demoTopic, Partitions: 2, MinSessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var buf bytes.Buffer
	gen := attemptgen.Config{Seed: 42, BadRate: 0.05}
	if err := attemptgen.WriteLines(&buf, gen, count); err != nil {
		t.Fatal(err)
	}
	if err := produceLines(ctx, b, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	ends, err := b.EndOffsets(ctx)
	if err != nil {
		t.Fatal(err)
	}

	c := fakehdfs.Start(t, fakehdfs.Config{BlockSize: 64 << 10})
	cfg := hdfsConfig(c, "/lake")
	cfg.HDFS.CallTimeout = time.Second
	cfg.Kafka.Brokers = []string{b.Addr()}
	cfg.Kafka.Topic = demoTopic
	cfg.Kafka.Group = "landerd-hdfs-test"
	// A partition that fails on a storage fault makes the lander rejoin
	// the group: short group timeouts keep each rejoin short.
	cfg.Kafka.SessionTimeout = 3 * time.Second
	cfg.Kafka.HeartbeatInterval = 300 * time.Millisecond
	cfg.Kafka.RebalanceTimeout = 5 * time.Second
	cfg.Lake.Roll.MaxFileAge = 200 * time.Millisecond
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Metrics.Addr = "127.0.0.1:0" // after validation, which rejects port 0
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
	inject(c)
	waitCtx, stopWait := context.WithTimeout(ctx, time.Minute+outage)
	defer stopWait()
	waitErr := waitLanded(waitCtx, fsys, demoTopic, ends)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if waitErr != nil {
		t.Fatalf("wait for the lake: %v", waitErr)
	}
	landed := landedOffsets(t, fsys)
	for p, end := range ends {
		got := landed[p]
		if int64(len(got)) != end {
			t.Errorf("partition %d: %d rows landed, want %d", p, len(got), end)
		}
		slices.Sort(got)
		for i, off := range got {
			if off != int64(i) {
				t.Errorf("partition %d: offset %d landed at sorted position %d: lost or duplicated records", p, off, i)
				break
			}
		}
	}
	return c.Injected()
}

// landedOffsets returns the Kafka offsets of the rows of the attempts and
// quarantine tables in fsys, by partition.
func landedOffsets(t *testing.T, fsys sink.ReadFS) map[int32][]int64 {
	t.Helper()
	offsets := make(map[int32][]int64)
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		files, err := sink.ListDataFiles(fsys, table)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		for _, f := range files {
			tbl, err := sink.ReadTable(context.Background(), fsys, f.Path, nil)
			if err != nil {
				t.Fatal(err)
			}
			pi, oi := tbl.Schema().FieldIndices("kafka_partition"), tbl.Schema().FieldIndices("kafka_offset")
			if len(pi) != 1 || len(oi) != 1 {
				tbl.Release()
				t.Fatalf("%s: no kafka_partition and kafka_offset columns", f.Path)
			}
			parts, offs := tbl.Column(pi[0]).Data().Chunks(), tbl.Column(oi[0]).Data().Chunks()
			for k := range parts {
				pa, pok := parts[k].(*array.Int32)
				oa, ook := offs[k].(*array.Int64)
				if !pok || !ook || pa.Len() != oa.Len() {
					tbl.Release()
					t.Fatalf("%s: unexpected kafka_partition or kafka_offset chunks", f.Path)
				}
				for r := range pa.Len() {
					offsets[pa.Value(r)] = append(offsets[pa.Value(r)], oa.Value(r))
				}
			}
			tbl.Release()
		}
	}
	return offsets
}
