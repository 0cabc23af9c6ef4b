package lander

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"go.uber.org/zap/zaptest"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// TestSASLSCRAM lands from a broker that requires SCRAM-SHA-512, and checks
// that a wrong password lands nothing.
func TestSASLSCRAM(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-512", "lander", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.SASL(scram.Auth{User: "lander", Pass: "s3cret"}.AsSha512Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	gen := attemptgen.New(attemptgen.Config{Seed: 12})
	for i := 0; i < 50; i++ {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: topic, Value: gen.Next().Value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()

	for _, tc := range []struct {
		password string
		want     int
	}{{"wrong", 0}, {"s3cret", 50}} {
		lake, err := sink.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		cfg := config.Default()
		cfg.Kafka.Brokers = c.ListenAddrs()
		cfg.Kafka.Topic = topic
		cfg.Kafka.SASL = config.SASL{Mechanism: config.SASLSCRAMSHA512, Username: "lander", Password: config.Secret(tc.password)}
		cfg.Lake.Roll.MaxFileAge = 200 * time.Millisecond
		runUntilLanded(t, cfg, lake, tc.want)
		got, _ := landed(t, lake, flatten.TableAttempts, "")
		if len(got) != tc.want {
			t.Errorf("password %q: %d attempts landed, want %d", tc.password, len(got), tc.want)
		}
	}
}

// runUntilLanded runs a lander until partition 0 of the topic has landed
// want records, or, when want is 0, for 4s: far longer than landing a few
// records takes, so a lander that should land nothing has had the time to.
func runUntilLanded(t *testing.T, cfg config.Config, lake *sink.LocalFS, want int) {
	t.Helper()
	window := 4 * time.Second
	if want > 0 {
		window = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- New(cfg, lake, zaptest.NewLogger(t)).Run(ctx) }()
	if want > 0 {
		for {
			next, err := sink.Landed(lake, topic, 0)
			if err != nil {
				cancel()
				<-done
				t.Fatal(err)
			}
			if next >= int64(want) {
				break
			}
			select {
			case err := <-done:
				t.Fatalf("the lander stopped before landing %d records: %v", want, err)
			case <-time.After(20 * time.Millisecond):
			}
		}
		cancel()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
