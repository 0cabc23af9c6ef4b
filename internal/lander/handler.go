package lander

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"github.com/landerd/landerd/pkg/sink"
)

// handler is one group session's sarama.ConsumerGroupHandler: the adapter
// between the Kafka client and the owners. It alone marks and commits
// offsets, when an owner reports them landed.
type handler struct {
	l *Lander

	mu     sync.Mutex
	owners map[topicPartition]*owner
	failed error // the first error that stopped a partition
}

// topicPartition names a claimed partition: the group may consume
// several topics.
type topicPartition struct {
	topic string
	id    int32
}

// failure returns the error that stopped a partition in this session, if any.
func (h *handler) failure() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failed
}

// Setup claims every assigned partition in the lake before any message is
// read: it fences stale owners, completes or discards what a crash left
// behind, and seeks the group to the first offset the lake does not hold.
func (h *handler) Setup(sess sarama.ConsumerGroupSession) error {
	var assigned int
	for _, topic := range h.l.topics {
		claims := sess.Claims()[topic]
		if err := h.setupTopic(sess, topic, claims); err != nil {
			return err
		}
		assigned += len(claims)
		h.l.events.metrics.Rebalanced(topic, len(claims))
	}
	h.l.budget.assigned.Store(int64(assigned))
	h.l.readiness(true)
	return nil
}

// setupTopic claims the assigned partitions of one topic.
func (h *handler) setupTopic(sess sarama.ConsumerGroupSession, topic string, claims []int32) error {
	for _, p := range claims {
		part, err := sink.Claim(sess.Context(), h.l.fs, topic, p)
		if err != nil {
			return fmt.Errorf("claim partition %d of %s: %w", p, topic, err)
		}
		log := h.l.log.With(zap.String("topic", topic), zap.Int32("partition", p))
		commit := func(next int64) {
			sess.MarkOffset(topic, p, next, "")
			sess.Commit()
			h.l.events.metrics.Committed(topic)
		}
		o := newOwner(h.l.conf, h.l.budget, h.l.events, log, part, topic, p, part.NextOffset(), commit)
		if o.next >= 0 {
			sess.ResetOffset(topic, p, o.next, "")
		}
		rec := part.Recovered()
		log.Info("partition assigned", zap.Int64("resume_offset", o.next), zap.Int64("epoch", part.Epoch()),
			zap.Int("rolled_forward", rec.RolledForward), zap.Int("orphans_removed", rec.OrphansRemoved),
			zap.Int64("generation", int64(sess.GenerationID())))
		h.mu.Lock()
		h.owners[topicPartition{topic, p}] = o
		h.mu.Unlock()
	}
	return nil
}

// Cleanup drops owners whose claim never started.
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for p, o := range h.owners {
		o.abandon()
		o.pm.Remove()
		delete(h.owners, p)
	}
	h.l.budget.assigned.Store(0)
	for _, topic := range h.l.topics {
		h.l.events.metrics.Unassigned(topic)
	}
	return nil
}

// ConsumeClaim is the partition's owner loop. The age deadline shares the
// select with the messages and the session, so an idle partition still
// flushes on time. Returning (on revocation, shutdown or error) ends the
// session; an error first abandons everything unpublished.
func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	tp := topicPartition{claim.Topic(), claim.Partition()}
	h.mu.Lock()
	o := h.owners[tp]
	delete(h.owners, tp)
	h.mu.Unlock()
	if o == nil {
		return fmt.Errorf("partition %d of %s was not claimed in setup", tp.id, tp.topic)
	}
	// The partition's series go with it: revoked, failed or shut down.
	defer o.pm.Remove()
	o.hwm, o.initial = claim.HighWaterMarkOffset, claim.InitialOffset()
	o.report()
	ctx := context.WithoutCancel(sess.Context()) // a started publish runs to its end
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var armed time.Time
	// fail records the error for Run, which backs off before rejoining,
	// and returns nil: returning at all ends the session, and the error is
	// logged here, once, with its partition.
	fail := func(err error) error {
		h.mu.Lock()
		if h.failed == nil {
			h.failed = err
		}
		h.mu.Unlock()
		o.abandon()
		o.log.Error("partition stopped; its unpublished data will be read again", zap.Error(err))
		return nil
	}
	for {
		select {
		case msg, ok := <-claim.Messages():
			if !ok {
				return h.finish(o)
			}
			r := record{offset: msg.Offset, key: msg.Key, value: msg.Value, timestamp: msg.Timestamp}
			if h.l.conf.tenants.needsHeaders() {
				r.headers = headers(msg)
			}
			if err := o.add(ctx, r); err != nil {
				return fail(err)
			}
		case <-timer.C:
			armed = time.Time{}
			if err := o.tick(ctx); err != nil {
				return fail(err)
			}
		case <-sess.Context().Done():
			return h.finish(o)
		}
		if d := o.deadline(); !d.Equal(armed) {
			armed = d
			if d.IsZero() {
				timer.Stop()
			} else {
				timer.Reset(time.Until(d))
			}
		}
	}
}

// finish publishes what is buffered when the partition is revoked or the
// lander stops, within the deadline of the one that is happening.
func (h *handler) finish(o *owner) error {
	why, deadline := rollRevoke, h.l.cfg.Kafka.RevokeFlushDeadline()
	if h.l.isStopping() {
		why, deadline = rollShutdown, h.l.cfg.Shutdown.Deadline
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := o.close(ctx, why); err != nil {
		o.log.Error("final flush failed; its records will be read again", zap.String("reason", string(why)), zap.Error(err))
		return nil // the session is ending anyway; nothing was committed
	}
	o.log.Info("partition released", zap.String("reason", string(why)), zap.Int64("next_offset", o.next))
	return nil
}

// headers returns the headers of a message, as the owner sees them.
func headers(msg *sarama.ConsumerMessage) []header {
	if len(msg.Headers) == 0 {
		return nil
	}
	out := make([]header, 0, len(msg.Headers))
	for _, h := range msg.Headers {
		if h != nil {
			out = append(out, header{key: h.Key, value: h.Value})
		}
	}
	return out
}
