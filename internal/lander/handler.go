package lander

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// handler is one group session's sarama.ConsumerGroupHandler: the adapter
// between the Kafka client and the owners. It alone marks and commits
// offsets, when an owner reports them landed.
type handler struct {
	l     *Lander
	view  kafkaView                           // the brokers, asked where partitions resume
	pause func(partitions map[string][]int32) // stops fetching partitions (ConsumerGroup.Pause)

	mu      sync.Mutex
	owners  map[topicPartition]*owner
	refused map[topicPartition]error // partitions held but not landed, and why
	failed  error                    // the first error that stopped a partition
	fenced  bool                     // the session ended with FENCED_INSTANCE_ID
}

// wasFenced reports whether another process took this member's static id
// over during the session.
func (h *handler) wasFenced() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fenced
}

// isFenced reports whether sess ended because another process took this
// member's static id over.
func isFenced(sess sarama.ConsumerGroupSession) bool {
	return errors.Is(context.Cause(sess.Context()), sarama.ErrFencedInstancedId)
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
	h.l.setMember(sess.MemberID())
	h.refused = map[topicPartition]error{}
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
	h.l.setRefused(h.refused)
	h.l.setUpkeep(slices.Contains(sess.Claims()[h.l.topics[0]], 0))
	h.l.readiness(true)
	return nil
}

// setupTopic claims the assigned partitions of one topic and decides where
// each resumes (decideResume): it records retention gaps in the lake, and
// holds partitions it must not land (a gap with kafka.on_retention_gap
// stop, a recreated topic) without consuming them.
func (h *handler) setupTopic(sess sarama.ConsumerGroupSession, topic string, claims []int32) error {
	id, count, err := h.view.topicID(topic)
	if err != nil {
		return err
	}
	h.l.events.metrics.TopicPartitions(topic, count)
	parts := make([]*sink.Partition, len(claims))
	var unknown []int32 // partitions the lake holds nothing of
	for i, p := range claims {
		part, err := sink.Claim(sess.Context(), h.l.fs, topic, p)
		if err == nil {
			err = h.l.claimTables(sess.Context(), part)
		}
		if err != nil {
			return fmt.Errorf("claim partition %d of %s: %w", p, topic, err)
		}
		parts[i] = part
		if part.NextOffset() < 0 {
			unknown = append(unknown, p)
		}
	}
	committed := map[int32]int64{}
	siblings := false
	if len(unknown) > 0 {
		if committed, err = h.view.committed(topic, unknown); err != nil {
			return err
		}
		for _, p := range unknown {
			if committed[p] < 0 {
				if siblings, err = sink.HasState(h.l.fs, topic, p); err != nil {
					return err
				}
				break
			}
		}
	}
	stops := map[string]int{}
	for i, p := range claims {
		part := parts[i]
		start, end, err := h.view.logRange(topic, p)
		if err != nil {
			return err
		}
		c, ok := committed[p]
		if !ok {
			c = -1
		}
		f := resumeFacts{topic: topic, partition: p, lakeNext: part.NextOffset(), lakeID: part.TopicID(), topicID: id,
			start: start, end: end, committed: c, siblings: siblings}
		r := decideResume(f, h.l.cfg.Kafka.OnRetentionGap, h.l.cfg.Kafka.InitialOffset)
		log := h.l.log.With(zap.String("topic", topic), zap.Int32("partition", p))
		if r.hasGap() {
			lost, err := part.RecordGap(r.gapFirst, r.gapLast, r.skipGap)
			if err != nil {
				return fmt.Errorf("claim partition %d of %s: %w", p, topic, err)
			}
			h.l.events.metrics.GapRecorded(topic, lost)
			log.Error("retention gap: kafka deleted records before they were landed; recorded in the lake",
				zap.Int64("first_lost_offset", r.gapFirst), zap.Int64("last_lost_offset", r.gapLast),
				zap.Int64("lost_offsets", r.gapLast-r.gapFirst+1), zap.Int64("log_start_offset", start),
				zap.String("on_retention_gap", h.l.cfg.Kafka.OnRetentionGap))
		}
		if id != "" && r.stop == nil {
			part.SetTopicID(id)
		}
		// Consume from exactly r.offset: ResetOffset only lowers the
		// group's offset, MarkOffset only raises it.
		sess.ResetOffset(topic, p, r.offset, "")
		sess.MarkOffset(topic, p, r.offset, "")
		if r.commit {
			sess.Commit()
		}
		tp := topicPartition{topic, p}
		if r.stop != nil {
			reason := metrics.RefuseTopicRecreated
			if errors.Is(r.stop, ErrRetentionGap) {
				reason = metrics.RefuseRetentionGap
			}
			stops[reason]++
			h.refused[tp] = r.stop
			log.Error("partition refused: not landed until an operator acts (docs/operations.md)", zap.String("reason", reason),
				zap.Int64("lake_next_offset", f.lakeNext), zap.Int64("log_start_offset", start), zap.Int64("end_offset", end),
				zap.String("topic_id", id), zap.String("lake_topic_id", f.lakeID), zap.Error(r.stop))
			_ = part.Abandon()
			continue
		}
		commit := func(next int64) {
			sess.MarkOffset(topic, p, next, "")
			sess.Commit()
			h.l.events.metrics.Committed(topic)
		}
		o := newOwner(h.l.conf, h.l.budget, h.l.events, log, part, topic, p, r.offset, commit)
		rec := part.Recovered()
		log.Info("partition assigned", zap.Int64("resume_offset", o.next), zap.String("resume_from", string(r.from)),
			zap.Int64("epoch", part.Epoch()), zap.Int("rolled_forward", rec.RolledForward), zap.Int("orphans_removed", rec.OrphansRemoved),
			zap.Int64("generation", int64(sess.GenerationID())))
		h.mu.Lock()
		h.owners[tp] = o
		h.mu.Unlock()
	}
	for _, reason := range metrics.RefuseReasons() {
		h.l.events.metrics.Refused(topic, reason, stops[reason])
	}
	return nil
}

// Cleanup drops owners whose claim never started.
func (h *handler) Cleanup(sess sarama.ConsumerGroupSession) error {
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
		for _, reason := range metrics.RefuseReasons() {
			h.l.events.metrics.Refused(topic, reason, 0)
		}
	}
	h.l.setRefused(nil)
	h.l.setUpkeep(false)
	if isFenced(sess) {
		h.fenced = true
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
	_, refused := h.refused[tp]
	h.mu.Unlock()
	if refused {
		// Held, not landed: nothing is read until the session ends.
		h.pause(map[string][]int32{tp.topic: {tp.id}})
		<-sess.Context().Done()
		return nil
	}
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
				if sess.Context().Err() == nil {
					// The client stopped the partition (its error went to
					// the group's error log, e.g. an offset out of range):
					// the session ends, and the next one, after Run's
					// backoff, decides again where it resumes.
					h.mu.Lock()
					if h.failed == nil {
						h.failed = errClientStopped
					}
					h.mu.Unlock()
					o.log.Warn("partition consumer stopped by the kafka client; rejoining")
				}
				return h.finish(sess, o)
			}
			if sess.Context().Err() != nil {
				return h.finish(sess, o) // the session ended: read no more
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
			return h.finish(sess, o)
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

// errClientStopped is the failure of a partition that the Kafka client
// stopped consuming.
var errClientStopped = errors.New("the kafka client stopped consuming the partition")

// finish publishes what is buffered when the partition is revoked or the
// lander stops, within the deadline of the one that is happening. A member
// fenced by another with its static id publishes nothing more.
func (h *handler) finish(sess sarama.ConsumerGroupSession, o *owner) error {
	if isFenced(sess) {
		o.abandon()
		o.log.Error("fenced by another member with the same instance id; unpublished records abandoned")
		return nil
	}
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
