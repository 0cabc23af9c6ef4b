package lander

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// Lander consumes the configured topic as a member of the consumer group
// and lands it in the lake.
type Lander struct {
	cfg config.Config
	fs  sink.FS
	log *zap.Logger
	set *settings

	mu    sync.Mutex
	ready bool
}

// New returns a Lander for a validated configuration, landing into fsys.
// It starts nothing; call Run.
func New(cfg config.Config, fsys sink.FS, log *zap.Logger) *Lander {
	l := &Lander{cfg: cfg, fs: fsys, log: log.With(zap.String("component", "lander")), set: newSettings(cfg)}
	badLog := l.log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, time.Second, 5, 0)
	}))
	l.set.quarantined = func(topic string, partition int32, offset int64, why *flatten.InvalidError) {
		badLog.Warn("record quarantined", zap.String("topic", topic), zap.Int32("partition", partition),
			zap.Int64("offset", offset), zap.String("reason", string(why.Reason)), zap.String("detail", why.Error()))
	}
	return l
}

// Ready reports whether the lander is a member of the group with its
// partitions claimed in the lake.
func (l *Lander) Ready() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ready
}

func (l *Lander) readiness(r bool) {
	l.mu.Lock()
	l.ready = r
	l.mu.Unlock()
}

// Run consumes until ctx is cancelled, then flushes, commits and returns
// nil. Broker outages and storage errors are retried with backoff; only a
// configuration the Kafka client rejects is returned as an error.
func (l *Lander) Run(ctx context.Context) error {
	scfg, err := saramaConfig(l.cfg.Kafka)
	if err != nil {
		return err
	}
	var group sarama.ConsumerGroup
	back := backoff{min: 500 * time.Millisecond, max: 30 * time.Second}
	for {
		group, err = sarama.NewConsumerGroup(l.cfg.Kafka.Brokers, l.cfg.Kafka.Group, scfg)
		if err == nil {
			break
		}
		l.log.Warn("kafka unreachable; retrying", zap.Error(err), zap.Duration("in", back.next()))
		if !back.wait(ctx) {
			return nil
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		errLog := l.log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
			return zapcore.NewSamplerWithOptions(c, time.Second, 3, 0)
		}))
		for err := range group.Errors() {
			errLog.Warn("consumer group error", zap.Error(err))
		}
	})
	defer func() {
		if err := group.Close(); err != nil {
			l.log.Warn("close consumer group", zap.Error(err))
		}
		wg.Wait()
	}()

	l.log.Info("joining consumer group", zap.String("group", l.cfg.Kafka.Group),
		zap.String("topic", l.cfg.Kafka.Topic), zap.Strings("brokers", l.cfg.Kafka.Brokers), zap.String("lake", l.fs.String()))
	back.reset()
	for ctx.Err() == nil {
		h := &handler{l: l, owners: map[int32]*owner{}}
		started := time.Now()
		err := group.Consume(ctx, []string{l.cfg.Kafka.Topic}, h)
		l.readiness(false)
		if time.Since(started) > healthySession {
			back.reset() // a long session was healthy: the next failure starts over
		}
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, sarama.ErrClosedConsumerGroup):
			return fmt.Errorf("consumer group closed: %w", err)
		case err != nil:
			l.log.Warn("group session failed; rejoining", zap.Error(err), zap.Duration("in", back.next()))
			back.wait(ctx)
		case h.failure() != nil:
			// The partition that failed has logged why.
			l.log.Info("rejoining after a partition failure", zap.Duration("in", back.next()))
			back.wait(ctx)
		default:
			back.reset()
		}
	}
	l.log.Info("stopped")
	return nil
}

// healthySession is how long a group session must have lasted for its end
// to reset the backoff.
const healthySession = time.Minute

// backoff is a capped exponential delay that waits on a context.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// wait sleeps for the current delay and doubles it; false if ctx ended.
func (b *backoff) wait(ctx context.Context) bool {
	d := b.next()
	b.cur = min(2*b.cur, b.max)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
