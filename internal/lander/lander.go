package lander

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// Lander consumes the configured topic as a member of the consumer group
// and lands it in the lake.
type Lander struct {
	cfg    config.Config
	topics []string // the topics consumed
	fs     sink.FS
	log    *zap.Logger
	conf   *ownerConfig
	budget *memoryBudget
	events *ownerEvents

	probeEvery time.Duration
	initErr    error // an option's failure, returned by Run

	mu         sync.Mutex
	ready      bool                     // a member of the group with its partitions claimed
	stopping   bool                     // Run's context has ended
	storageErr error                    // the last lake probe's failure
	tablesErr  error                    // the last commit to the tables' failure; nil once one succeeds
	refused    map[topicPartition]error // partitions held but not landed, and why
	memberID   string                   // this member's id in the group's current generation
	upkeep     bool                     // this session holds partition 0 of the first topic
}

// Option configures a Lander.
type Option func(*Lander)

// WithMetrics records the lander's metrics in m. Without it they are kept
// in a registry nobody reads.
func WithMetrics(m *metrics.Lander) Option { return func(l *Lander) { l.events.metrics = m } }

// WithStorageProbe sets how often Run checks that the lake's root is
// reachable, for readiness (default 10s).
func WithStorageProbe(every time.Duration) Option { return func(l *Lander) { l.probeEvery = every } }

// New returns a Lander for a validated configuration, landing into fsys.
// It starts nothing; call Run.
func New(cfg config.Config, fsys sink.FS, log *zap.Logger, opts ...Option) *Lander {
	l := &Lander{
		cfg:        cfg,
		topics:     cfg.ConsumedTopics(),
		log:        log.With(zap.String("component", "lander")),
		conf:       newOwnerConfig(cfg),
		budget:     &memoryBudget{total: int64(cfg.Memory.BudgetBytes)},
		events:     &ownerEvents{metrics: metrics.NewLander(prometheus.NewRegistry())}, // replaced by WithMetrics
		probeEvery: 10 * time.Second,
	}
	for _, opt := range opts {
		opt(l)
	}
	l.fs = countingFS{FS: fsys, m: l.events.metrics}
	badLog := l.log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, time.Second, 5, 0)
	}))
	l.events.quarantined = func(topic string, partition int32, offset int64, why *flatten.InvalidError) {
		badLog.Warn("record quarantined", zap.String("topic", topic), zap.Int32("partition", partition),
			zap.Int64("offset", offset), zap.String("reason", string(why.Reason)), zap.String("detail", why.Error()))
	}
	return l
}

// Ready reports whether the lander is a member of the group with its
// partitions claimed in the lake, the lake is reachable, its last commit
// to the tables (WithTables) succeeded, and it is not shutting down.
func (l *Lander) Ready() bool { return l.CheckReady() == nil }

// CheckReady returns nil when Ready is true, and otherwise why not.
func (l *Lander) CheckReady() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.stopping:
		return errors.New("shutting down")
	case l.storageErr != nil:
		return fmt.Errorf("lake unreachable: %w", l.storageErr)
	case l.tablesErr != nil:
		return fmt.Errorf("%s catalog unreachable: %w", l.cfg.Lake.Format, l.tablesErr)
	case !l.ready:
		return errors.New("not a member of the consumer group")
	case len(l.refused) > 0:
		keys := slices.SortedFunc(maps.Keys(l.refused), func(a, b topicPartition) int {
			return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.id, b.id))
		})
		why := make([]string, len(keys))
		for i, k := range keys {
			why[i] = fmt.Sprintf("partition %d of %s refused: %v", k.id, k.topic, l.refused[k])
		}
		return errors.New(strings.Join(why, "; "))
	}
	return nil
}

// setRefused records the partitions of this session that are held but not
// landed (nil: none).
func (l *Lander) setRefused(refused map[topicPartition]error) {
	l.mu.Lock()
	l.refused = refused
	l.mu.Unlock()
}

// LeadsUpkeep reports whether this member runs the upkeep of the lake's
// tables: whether its current session holds partition 0 of the first
// topic it consumes, which one member of the group does at a time. While a
// rebalance moves it there may be none, and a member the group dropped
// unawares may briefly lead beside the new one; two compactions of a
// table are safe (each commits only on the snapshot it planned on).
func (l *Lander) LeadsUpkeep() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.upkeep
}

func (l *Lander) setUpkeep(leads bool) {
	l.mu.Lock()
	l.upkeep = leads
	l.mu.Unlock()
}

// setMember records this member's id in the group's current generation.
func (l *Lander) setMember(id string) {
	l.mu.Lock()
	l.memberID = id
	l.mu.Unlock()
}

func (l *Lander) member() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.memberID
}

// isStopping reports whether Run's context has ended.
func (l *Lander) isStopping() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stopping
}

func (l *Lander) readiness(r bool) {
	l.mu.Lock()
	l.ready = r
	l.mu.Unlock()
}

// Run consumes until ctx is cancelled, then flushes, commits and returns
// nil. Broker outages and storage errors are retried with backoff; a
// configuration the Kafka client rejects, and the brokers refusing
// landerd's credentials, certificate trust or ACLs (ErrRefused), are
// returned as errors.
func (l *Lander) Run(ctx context.Context) error {
	if l.initErr != nil {
		return l.initErr
	}
	scfg, err := saramaConfig(l.cfg.Kafka)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.stopping = false
	l.mu.Unlock()
	stopWatch := context.AfterFunc(ctx, func() {
		l.mu.Lock()
		l.stopping = true // readiness drops at once; the final flush follows
		l.mu.Unlock()
	})
	defer stopWatch()
	for _, topic := range l.topics {
		l.events.metrics.Topic(topic)
	}
	probeCtx, stopProbe := context.WithCancel(ctx)
	var probe sync.WaitGroup
	probe.Go(func() { l.probeStorage(probeCtx) })
	defer func() {
		stopProbe()
		probe.Wait()
	}()
	ms := newMembership(l.cfg.Kafka)
	defer ms.release()
	if ms.id != "" {
		scfg.Consumer.Group.InstanceId = ms.id
		l.log.Info("static group membership", zap.String("instance_id", ms.id), zap.Bool("derived", ms.derived))
	} else {
		l.log.Info("dynamic group membership", zap.String("why", ms.why))
	}
	var client sarama.Client
	back := backoff{min: 500 * time.Millisecond, max: 30 * time.Second}
	for {
		client, err = sarama.NewClient(l.cfg.Kafka.Brokers, scfg)
		if err == nil {
			break
		}
		if rerr := refusal(err, l.cfg.Kafka); rerr != nil {
			return rerr
		}
		l.log.Warn("kafka unreachable; retrying", zap.Error(err), zap.Duration("in", back.next()))
		if !back.wait(ctx) {
			return nil
		}
	}
	defer func() {
		if err := client.Close(); err != nil && !errors.Is(err, sarama.ErrClosedClient) {
			l.log.Warn("close kafka client", zap.Error(err))
		}
	}()
	group, err := sarama.NewConsumerGroupFromClient(l.cfg.Kafka.Group, client)
	if err != nil {
		return fmt.Errorf("consumer group: %w", err)
	}
	var fenced atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		errLog := l.log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
			return zapcore.NewSamplerWithOptions(c, time.Second, 3, 0)
		}))
		for err := range group.Errors() {
			if errors.Is(err, sarama.ErrFencedInstancedId) {
				fenced.Store(true)
			}
			if isCommitError(err) {
				l.events.metrics.CommitFailed(commitTopic(err))
			}
			errLog.Warn("consumer group error", zap.Error(err))
		}
	})
	defer func() {
		if err := group.Close(); err != nil {
			l.log.Warn("close consumer group", zap.Error(err))
		}
		wg.Wait()
		if ms.id != "" && !fenced.Load() {
			l.leave(client, ms.id)
		}
	}()

	l.log.Info("joining consumer group", zap.String("group", l.cfg.Kafka.Group),
		zap.Strings("topics", l.topics), zap.String("tenancy", string(l.cfg.Tenancy.Source)), zap.Strings("brokers", l.cfg.Kafka.Brokers), zap.String("lake", l.fs.String()))
	view := saramaView{client: client, group: l.cfg.Kafka.Group}
	back.reset()
	for ctx.Err() == nil {
		h := &handler{l: l, owners: map[topicPartition]*owner{}, view: view, pause: group.Pause}
		started := time.Now()
		err := group.Consume(ctx, l.topics, h)
		l.readiness(false)
		if h.wasFenced() || errors.Is(err, sarama.ErrFencedInstancedId) || fenced.Load() {
			fenced.Store(true)
			return &fencedError{id: ms.id, err: sarama.ErrFencedInstancedId}
		}
		if time.Since(started) > healthySession {
			back.reset() // a long session was healthy: the next failure starts over
		}
		if rerr := refusal(err, l.cfg.Kafka); rerr != nil && ctx.Err() == nil {
			return rerr
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

// leaveTimeout bounds the LeaveGroup of a static member on shutdown.
const leaveTimeout = 5 * time.Second

// leave removes this static member from the group after its last flush
// and commit, so that its partitions are reassigned in one rebalance, not
// after the session timeout. A LeaveGroup that gets no answer within
// leaveTimeout is given up: closing the client ends it.
func (l *Lander) leave(client sarama.Client, id string) {
	member := l.member()
	if member == "" {
		return // never joined
	}
	done := make(chan error, 1)
	go func() { done <- leaveGroup(client, l.cfg.Kafka.Group, member, id) }()
	t := time.NewTimer(leaveTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			l.log.Warn("leave consumer group; its partitions move when the session times out", zap.String("instance_id", id), zap.Error(err))
			return
		}
		l.log.Info("left consumer group", zap.String("instance_id", id), zap.String("member_id", member))
	case <-t.C:
		l.log.Warn("leave consumer group: no answer; its partitions move when the session times out",
			zap.String("instance_id", id), zap.Duration("waited", leaveTimeout))
		_ = client.Close() // unblocks the request
		<-done
	}
}

// probeStorage checks that the lake's root is reachable now and every
// probeEvery until ctx ends, and logs each change once.
func (l *Lander) probeStorage(ctx context.Context) {
	t := time.NewTicker(l.probeEvery)
	defer t.Stop()
	var last error
	for {
		_, err := l.fs.Stat(".")
		switch {
		case err != nil && last == nil:
			l.log.Warn("lake unreachable", zap.String("lake", l.fs.String()), zap.Error(err))
		case err == nil && last != nil:
			l.log.Info("lake reachable again", zap.String("lake", l.fs.String()))
		}
		last = err
		l.mu.Lock()
		l.storageErr = err
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// isCommitError reports whether an error from the consumer group is the
// offset manager's report of a failed commit: a per-partition error with
// a code only offset commits return.
func isCommitError(err error) bool {
	var ce *sarama.ConsumerError
	if !errors.As(err, &ce) || ce.Topic == "" {
		return false
	}
	if errors.Is(ce.Err, sarama.ErrIncompleteResponse) {
		return true
	}
	var kerr sarama.KError
	if !errors.As(ce.Err, &kerr) {
		return false
	}
	switch kerr {
	case sarama.ErrIllegalGeneration, sarama.ErrUnknownMemberId, sarama.ErrRebalanceInProgress,
		sarama.ErrFencedInstancedId, sarama.ErrOffsetMetadataTooLarge, sarama.ErrInvalidCommitOffsetSize,
		sarama.ErrGroupAuthorizationFailed:
		return true
	}
	return false
}

// commitTopic returns the topic of a failed commit isCommitError accepted.
func commitTopic(err error) string {
	var ce *sarama.ConsumerError
	if errors.As(err, &ce) {
		return ce.Topic
	}
	return ""
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
