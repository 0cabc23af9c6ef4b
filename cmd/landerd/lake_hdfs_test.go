package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/broker"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/hdfstest"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// hdfsConfig returns a configuration whose lake is root on the test
// cluster c.
func hdfsConfig(c *hdfstest.Cluster, root string) config.Config {
	cfg := config.Default()
	cfg.Lake.URL = "hdfs://" + c.Addr() + root
	cfg.HDFS.User = "lander"
	cfg.HDFS.CallTimeout = 5 * time.Second
	return cfg
}

func TestOpenLakeHDFS(t *testing.T) {
	c := hdfstest.Start(t, hdfstest.Config{})
	lake, err := openLake(hdfsConfig(c, "/data/lake"))
	if err != nil {
		t.Fatalf("open lake: %v", err)
	}
	defer func() {
		if err := closeLake(lake); err != nil {
			t.Errorf("close lake: %v", err)
		}
	}()
	if got, want := lake.String(), "hdfs://"+c.Addr()+"/data/lake"; got != want {
		t.Errorf("lake = %s, want %s", got, want)
	}
	f, err := lake.Create("x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("landed")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// The file is where the URL says, owned by the configured user.
	other, err := sink.NewHDFS("hdfs://"+c.Addr()+"/data", sink.HDFSOptions{User: "someone"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	fi, err := other.Stat("lake/x")
	if err != nil || fi.Size() != int64(len("landed")) {
		t.Fatalf("stat lake/x from the parent: %v, %v", fi, err)
	}
	if owner := fi.Sys(); owner == nil {
		t.Errorf("stat lake/x: no HDFS status")
	}
}

func TestOpenLakeHDFSErrors(t *testing.T) {
	c := hdfstest.Start(t, hdfstest.Config{})
	tests := []struct {
		name string
		edit func(cfg *config.Config)
		want string
	}{
		{"KerberosMissingKeytab", func(cfg *config.Config) {
			cfg.HDFS.User = ""
			cfg.HDFS.Kerberos = config.Kerberos{
				Enabled: true, Principal: "landerd/host@EXAMPLE.COM", Keytab: "/no/such.keytab",
				Krb5Conf: "/no/krb5.conf", ServicePrincipalName: "nn/_HOST",
			}
		}, "kerberos keytab /no/such.keytab"},
		{"KerberosBadPrincipal", func(cfg *config.Config) {
			cfg.HDFS.Kerberos = config.Kerberos{Enabled: true, Principal: "landerd", Keytab: "k", Krb5Conf: "c"}
		}, "want name[/instance]@REALM"},
		{"NoNameNode", func(cfg *config.Config) {
			cfg.Lake.URL = "hdfs://127.0.0.1:1/lake"
		}, "open lake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := hdfsConfig(c, "/lake")
			tt.edit(&cfg)
			lake, err := openLake(cfg)
			if err == nil {
				_ = closeLake(lake)
				t.Fatal("open lake succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestRunLandsOnHDFS lands generated attempts through the whole pipeline
// into a lake on the test cluster and counts them back.
func TestRunLandsOnHDFS(t *testing.T) {
	const count = 1500
	ctx := context.Background()
	b, err := broker.Start(broker.Config{Topic: demoTopic, Partitions: 2})
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

	c := hdfstest.Start(t, hdfstest.Config{})
	cfg := hdfsConfig(c, "/lake")
	cfg.Kafka.Brokers = []string{b.Addr()}
	cfg.Kafka.Topic = demoTopic
	cfg.Kafka.Group = "landerd-hdfs-test"
	cfg.Lake.Roll.MaxFileAge = 200 * time.Millisecond
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Metrics.Addr = "127.0.0.1:0" // after validation, which rejects port 0
	lake, err := openLake(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runLander(runCtx, cfg, lake, zap.NewNop(), nil) }()
	waitCtx, stopWait := context.WithTimeout(ctx, time.Minute)
	defer stopWait()
	waitErr := waitLanded(waitCtx, lake, demoTopic, ends)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if waitErr != nil {
		t.Fatalf("wait for the lake: %v", waitErr)
	}
	attempts, quarantined := countFS(t, lake)
	if attempts+quarantined != count || quarantined == 0 {
		t.Errorf("landed %d attempts and %d quarantined, want %d in all, some quarantined", attempts, quarantined, count)
	}
	if err := closeLake(lake); err != nil {
		t.Errorf("close lake: %v", err)
	}
}

// countFS counts the rows of the attempts and quarantine tables in lake.
func countFS(t *testing.T, lake sink.FS) (attempts, quarantined int64) {
	t.Helper()
	count := func(table string) int64 {
		files, err := sink.ListDataFiles(lake, table)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		var n int64
		for _, f := range files {
			tbl, err := sink.ReadTable(context.Background(), lake, f.Path, nil)
			if err != nil {
				t.Fatal(err)
			}
			n += tbl.NumRows()
			tbl.Release()
		}
		return n
	}
	return count(flatten.TableAttempts), count(flatten.TableQuarantine)
}

var _ io.Closer = (*sink.HDFS)(nil)
