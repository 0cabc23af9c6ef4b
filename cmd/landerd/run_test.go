package main

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
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
