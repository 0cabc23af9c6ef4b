package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/IBM/sarama"

	"github.com/landerd/landerd/internal/config"
)

// consumeCmd is the hidden subcommand that runs the baseline consumer in a
// child process.
const consumeCmd = "__consume"

// baselineSaramaConfig is sarama's configuration as landerd builds it from
// the default kafka section (internal/lander/sarama.go): same protocol
// version, fetch sizes, channel buffer, assignor, initial offset and group
// timings, no TLS or SASL.
func baselineSaramaConfig() (*sarama.Config, error) {
	k := config.Default().Kafka
	c := sarama.NewConfig()
	v, err := sarama.ParseKafkaVersion(k.Version)
	if err != nil {
		return nil, fmt.Errorf("kafka version: %w", err)
	}
	c.Version = v
	c.ClientID = "landerd-bench-baseline"
	c.Net.DialTimeout = k.DialTimeout
	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Group.Session.Timeout = k.SessionTimeout
	c.Consumer.Group.Heartbeat.Interval = k.HeartbeatInterval
	c.Consumer.Group.Rebalance.Timeout = k.RebalanceTimeout
	c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
	c.Consumer.Fetch.Default = int32(k.FetchMaxBytes)
	c.Consumer.Fetch.Max = 0
	c.ChannelBufferSize = k.ChannelBufferSize
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("kafka client config: %w", err)
	}
	return c, nil
}

// runConsume is the baseline child: it joins a fresh group, reads every
// partition up to its end offset, discards the records, prints doneLine
// and leaves the group.
func runConsume(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(consumeCmd, flag.ContinueOnError)
	brokers := fs.String("brokers", "", "brokers")
	topic := fs.String("topic", "", "topic")
	group := fs.String("group", "", "consumer group")
	endsFlag := fs.String("ends", "", "end offsets by partition, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ends, err := parseEnds(*endsFlag)
	if err != nil {
		return err
	}
	scfg, err := baselineSaramaConfig()
	if err != nil {
		return err
	}
	cg, err := sarama.NewConsumerGroup(strings.Split(*brokers, ","), *group, scfg)
	if err != nil {
		return fmt.Errorf("consumer group: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := &discard{ends: ends, finished: cancel}
	for _, e := range ends {
		if e == 0 {
			h.left.Add(-1)
		}
	}
	h.left.Add(int64(len(ends)))
	errDone := make(chan struct{})
	go func() {
		defer close(errDone)
		for range cg.Errors() {
			// Errors are retried by sarama; the parent's timeout bounds a
			// consumer that never finishes.
		}
	}()
	var runErr error
	for ctx.Err() == nil && h.left.Load() > 0 {
		if err := cg.Consume(ctx, []string{*topic}, h); err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
			runErr = fmt.Errorf("consume: %w", err)
			break
		}
	}
	if runErr == nil && h.left.Load() == 0 {
		fmt.Fprintln(stdout, doneLine)
	}
	if err := cg.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("close consumer group: %w", err)
	}
	<-errDone
	if runErr == nil && h.left.Load() > 0 {
		runErr = fmt.Errorf("stopped with %d partitions unread: %w", h.left.Load(), ctx.Err())
	}
	return runErr
}

// discard is a sarama.ConsumerGroupHandler that drops every message and
// calls finished once every partition has reached its end offset.
type discard struct {
	ends     []int64
	left     atomic.Int64
	finished func()
}

func (*discard) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (*discard) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (d *discard) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	end := d.ends[claim.Partition()]
	for msg := range claim.Messages() {
		if msg.Offset+1 == end {
			if d.left.Add(-1) == 0 {
				d.finished()
			}
		}
		if sess.Context().Err() != nil {
			break
		}
	}
	return nil
}
