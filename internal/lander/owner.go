package lander

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/apache/arrow-go/v18/arrow"
	"go.uber.org/zap"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// Table indexes into an owner's per-Hive-partition files.
const (
	tAttempts = iota
	tQuestions
	tQuarantine
	nTables
)

var tables = [nTables]*flatten.Table{flatten.AttemptsTable, flatten.QuestionsTable, flatten.QuarantineTable}

// maxOpenHives bounds the Hive partitions one flush may span (event_date
// partitioning over a backlog); past it the owner flushes.
const maxOpenHives = 16

// owner lands one claimed Kafka partition. Exactly one goroutine (the
// claim's ConsumeClaim) uses it.
type owner struct {
	cfg   *settings
	log   *zap.Logger
	part  *sink.Partition
	mem   *countingAllocator // Arrow builders: what buffering is bounded by
	wmem  *countingAllocator // Parquet encoders of the open files
	dec   flatten.Decoder
	topic string
	id    int32

	next int64 // first offset the lake does not hold; -1 when unknown

	pm      *metrics.Partition
	hwm     func() int64 // the claim's high watermark; nil before ConsumeClaim
	initial int64        // the claim's initial offset; negative when a sentinel

	// The flush being accumulated.
	hives   map[string]*hiveBuf
	first   int64 // first offset of the flush; -1 when empty
	last    int64
	records int64
	opened  time.Time                    // when the flush got its first record
	day     int64                        // UTC day (since the epoch) of the flush, for ingest_date
	bad     map[flatten.Reason]*[2]int64 // quarantined records and bytes of the flush, by reason
}

// hiveBuf is one Hive partition's share of a flush: Arrow builders for
// rows not yet written, and the temporary files already holding row groups.
type hiveBuf struct {
	batch  *flatten.Batch
	files  [nTables]*sink.ParquetFile
	ranges [nTables][2]int64 // offsets of the rows in batch, per table; [0] is -1 when none
}

func newOwner(cfg *settings, log *zap.Logger, part *sink.Partition, pm *metrics.Partition) *owner {
	o := &owner{
		pm:      pm,
		initial: -1,
		bad:     map[flatten.Reason]*[2]int64{},
		cfg:     cfg,
		log:     log,
		part:    part,
		mem:     newCountingAllocator(cfg.alloc),
		wmem:    newCountingAllocator(cfg.alloc),
		topic:   part.Topic(),
		id:      part.Partition(),
		next:    part.NextOffset(),
		hives:   map[string]*hiveBuf{},
		first:   -1,
	}
	o.dec.MaxBytes = cfg.maxMessageBytes
	return o
}

// add lands one message in the current flush, writing row groups and
// flushing as the limits say.
func (o *owner) add(ctx context.Context, sess sarama.ConsumerGroupSession, msg *sarama.ConsumerMessage) error {
	o.pm.Consumed(len(msg.Value))
	if o.next >= 0 && msg.Offset < o.next {
		return nil // already in the lake: the group's offset lagged behind a publish
	}
	defer o.report()
	now := o.cfg.now().UTC()
	day := now.Unix() / 86400
	if o.first >= 0 && day != o.day && o.cfg.partitionBy == partitionByIngest {
		if err := o.flush(ctx, sess); err != nil {
			return err
		}
	}
	meta := flatten.Meta{Topic: o.topic, Partition: o.id, Offset: msg.Offset, Key: msg.Key, LandedAt: now}
	if msg.Timestamp.UnixMicro() > 0 {
		meta.Timestamp = msg.Timestamp
	}
	a, err := o.dec.Decode(msg.Value)
	var hb *hiveBuf
	if err != nil {
		var why *flatten.InvalidError
		if !errors.As(err, &why) {
			return fmt.Errorf("flatten offset %d: %w", msg.Offset, err)
		}
		hb = o.hive(ingestHive(now))
		hb.batch.AppendQuarantine(&meta, why, msg.Value)
		extend(&hb.ranges[tQuarantine], msg.Offset)
		o.cfg.quarantined(o.topic, o.id, msg.Offset, why)
		n := o.bad[why.Reason]
		if n == nil {
			n = new([2]int64)
			o.bad[why.Reason] = n
		}
		n[0]++
		n[1] += int64(len(msg.Value))
	} else {
		hb = o.hive(o.cfg.hiveOf(a, now))
		hb.batch.AppendAttempt(&meta, a)
		extend(&hb.ranges[tAttempts], msg.Offset)
		if len(a.Questions) > 0 {
			extend(&hb.ranges[tQuestions], msg.Offset)
		}
	}
	if o.first < 0 {
		o.first, o.opened, o.day = msg.Offset, now, day
		if meta.Timestamp.IsZero() {
			o.pm.Pending(now)
		} else {
			o.pm.Pending(meta.Timestamp)
		}
	}
	o.last = msg.Offset
	o.records++

	if o.mem.Allocated() >= o.cfg.rowGroupBytes() || rows(hb) >= o.cfg.rowGroupRows {
		if err := o.writeRowGroups(); err != nil {
			return err
		}
	}
	if o.records >= o.cfg.maxFileRecords || o.largestFile() >= o.cfg.maxFileBytes || len(o.hives) > maxOpenHives {
		return o.flush(ctx, sess)
	}
	return nil
}

func (o *owner) hive(name string) *hiveBuf {
	hb, ok := o.hives[name]
	if !ok {
		hb = &hiveBuf{batch: flatten.NewBatch(o.mem)}
		for t := range hb.ranges {
			hb.ranges[t] = [2]int64{-1, -1}
		}
		o.hives[name] = hb
	}
	return hb
}

func extend(r *[2]int64, offset int64) {
	if r[0] < 0 {
		r[0] = offset
	}
	r[1] = offset
}

func rows(hb *hiveBuf) int {
	a, _, q := hb.batch.Len()
	return a + q
}

// report updates the partition's gauges: lag, memory and open files.
func (o *owner) report() {
	o.pm.Buffered(o.buffered(), o.openFiles())
	if o.hwm == nil {
		return
	}
	base := o.next // the first offset not yet landed
	if base < 0 {
		base = o.first
	}
	if base < 0 {
		base = o.initial
	}
	if base >= 0 {
		o.pm.Lag(o.hwm() - base)
	}
}

func (o *owner) openFiles() int {
	n := 0
	for _, hb := range o.hives {
		for _, f := range hb.files {
			if f != nil {
				n++
			}
		}
	}
	return n
}

// buffered returns the bytes the owner holds in memory.
func (o *owner) buffered() int64 { return o.mem.Allocated() + o.wmem.Allocated() }

// deadline is when the current flush must be published, or the zero time
// when nothing is buffered.
func (o *owner) deadline() time.Time {
	if o.first < 0 {
		return time.Time{}
	}
	return o.opened.Add(o.cfg.maxFileAge)
}

// writeRowGroups moves every buffered row into the temporary files, one row
// group per table and Hive partition, freeing the builders' memory.
func (o *owner) writeRowGroups() error {
	for hive, hb := range o.hives {
		recs := hb.batch.Flush()
		err := o.writeRecords(hive, hb, [nTables]arrow.RecordBatch{recs.Attempts, recs.Questions, recs.Quarantine})
		recs.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func (o *owner) writeRecords(hive string, hb *hiveBuf, recs [nTables]arrow.RecordBatch) error {
	for t, rec := range recs {
		if rec == nil {
			continue
		}
		if hb.files[t] == nil {
			f, err := o.part.Create(tables[t].Name, hive, tables[t].Schema, o.cfg.writer(tables[t], o.wmem))
			if err != nil {
				return fmt.Errorf("write %s: %w", tables[t].Name, err)
			}
			hb.files[t] = f
		}
		if err := hb.files[t].Write(rec, hb.ranges[t][0], hb.ranges[t][1]); err != nil {
			return fmt.Errorf("write %s: %w", tables[t].Name, err)
		}
		hb.ranges[t] = [2]int64{-1, -1}
	}
	return nil
}

func (o *owner) largestFile() int64 {
	var n int64
	for _, hb := range o.hives {
		for _, f := range hb.files {
			if f != nil && f.Size() > n {
				n = f.Size()
			}
		}
	}
	return n
}

// flush publishes everything buffered as one atomic flush and only then
// commits the offset after it.
func (o *owner) flush(ctx context.Context, sess sarama.ConsumerGroupSession) error {
	if o.first < 0 {
		return nil
	}
	start := o.cfg.now()
	if err := o.writeRowGroups(); err != nil {
		return err
	}
	var files []*sink.ParquetFile
	var bytes int64
	for hive, hb := range o.hives {
		for t, f := range hb.files {
			if f != nil {
				files = append(files, f)
				hb.files[t] = nil
			}
		}
		hb.batch.Release()
		delete(o.hives, hive)
	}
	if err := o.part.Publish(ctx, files, o.first, o.last); err != nil {
		return err
	}
	m := o.cfg.metrics
	for _, f := range files {
		bytes += f.Size()
		m.FilePublished(o.topic, f.Table(), f.Rows(), f.Size())
	}
	for reason, n := range o.bad {
		m.Quarantined(o.topic, string(reason), n[0], n[1])
		delete(o.bad, reason)
	}
	sess.MarkOffset(o.topic, o.id, o.last+1, "")
	sess.Commit()
	m.Committed(o.topic)
	took := o.cfg.now().Sub(start)
	m.Flushed(o.topic, took)
	o.log.Info("flush published",
		zap.Int64("first_offset", o.first), zap.Int64("last_offset", o.last), zap.Int64("committed_offset", o.last+1),
		zap.Int64("records", o.records), zap.Int("files", len(files)), zap.Int64("bytes", bytes),
		zap.Duration("took", took))
	o.cfg.published(o.topic, o.id, o.records, len(files), bytes, took)
	o.next = o.last + 1
	o.first, o.records = -1, 0
	o.pm.Pending(time.Time{})
	return nil
}

// close ends the owner: a final flush within deadline (the shutdown or the
// revoke deadline), or, if that fails, abandoning the unpublished files so
// the next owner re-reads them from Kafka.
func (o *owner) close(sess sarama.ConsumerGroupSession, deadline time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	err := o.flush(ctx, sess)
	if err != nil {
		o.abandon()
		return err
	}
	o.release()
	return nil
}

// abandon drops everything unpublished.
func (o *owner) abandon() {
	o.release()
	if err := o.part.Abandon(); err != nil {
		o.log.Warn("abandon left temporary files for the next owner to clean", zap.Error(err))
	}
	o.first, o.records = -1, 0
	clear(o.bad)
	o.pm.Pending(time.Time{})
	o.pm.Buffered(o.buffered(), 0)
}

func (o *owner) release() {
	for hive, hb := range o.hives {
		hb.batch.Release()
		delete(o.hives, hive)
	}
}
