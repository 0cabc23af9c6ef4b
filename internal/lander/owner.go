package lander

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/config"
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

// record is one Kafka record as an owner sees it: the owner knows nothing
// of the Kafka client.
type record struct {
	offset    int64
	key       []byte
	value     []byte
	timestamp time.Time // the zero time when the record has none
	headers   []header
}

// lakePartition is what an owner needs of its claimed partition in the
// lake (a *sink.Partition; an in-memory one in tests).
type lakePartition interface {
	// Create starts a temporary Parquet file of table in Hive partition hive.
	Create(table, hive string, schema *arrow.Schema, opts sink.WriterOptions) (*sink.ParquetFile, error)
	// Publish makes files, holding offsets first..last, visible at once.
	Publish(ctx context.Context, files []*sink.ParquetFile, first, last int64) error
	// Abandon drops every unpublished file.
	Abandon() error
	// Committed is the state the last publish committed.
	Committed() *sink.State
}

// ownerConfig is the configuration every owner reads, in the units it
// needs. It does not change while the lander runs.
type ownerConfig struct {
	now             func() time.Time
	alloc           memory.Allocator
	maxMessageBytes int
	partitionBy     config.PartitionBy
	compression     config.Compression
	rowGroupRows    int
	roll            rollPolicy
	tenants         *tenantResolver
	tables          Tables                 // nil for the Hive layout
	schemas         [nTables]*arrow.Schema // the tables' file schemas; nil: the table's own
	// ownPartitions partitions each table by its own columns, as a table
	// format that derives a row's partition from the row does (WithTables
	// under event_date): an attempt with no started_at is in the null
	// partition, event_date=null, and its questions, which have no
	// started_at, are in the ingest_date partition of their landing day
	// (appendOwn).
	ownPartitions bool
}

// ownerEvents is where owners report what happened: the metrics, and the
// logging of quarantined records (sampled across owners).
type ownerEvents struct {
	metrics     *metrics.Lander
	quarantined func(topic string, partition int32, offset int64, why *flatten.InvalidError)
}

// owner lands one claimed Kafka partition. Exactly one goroutine uses it.
// It buffers records into Arrow builders, chooses each record's Hive
// partition, writes row groups into temporary Parquet files, and publishes
// them when its rollPolicy says so; after every published flush it calls
// landed with the first offset the lake does not hold, which the caller
// commits to Kafka.
type owner struct {
	conf   *ownerConfig
	budget *memoryBudget
	events *ownerEvents
	log    *zap.Logger
	lake   lakePartition
	landed func(next int64)   // called after each published flush
	mem    *countingAllocator // Arrow builders: what buffering is bounded by
	wmem   *countingAllocator // Parquet encoders of the open files
	dec    flatten.Decoder
	topic  string
	id     int32
	pm     *metrics.Partition

	next    int64        // first offset the lake does not hold; -1 when unknown
	hwm     func() int64 // the partition's high watermark; nil when unknown
	initial int64        // where consumption started; negative when unknown

	// The flush being accumulated.
	hives   map[string]*hiveBuf
	spare   map[string]*flatten.Batch // the last flush's emptied batches, by Hive partition, for reuse
	first   int64                     // first offset of the flush; -1 when empty
	last    int64
	records int64
	opened  time.Time            // when the flush got its first record
	largest int64                // bytes of the largest open file of the flush
	bad     map[badKey]*[2]int64 // quarantined records and bytes of the flush, by tenant and reason

	names map[hiveKey]string // Hive partition names met (see hiveOf)
}

// badKey is what quarantined records are counted by.
type badKey struct {
	tenant string
	reason flatten.Reason
}

// hiveBuf is one Hive partition's share of a flush: Arrow builders for
// rows not yet written, and the temporary files already holding row groups.
type hiveBuf struct {
	batch  *flatten.Batch
	files  [nTables]*sink.ParquetFile
	ranges [nTables][2]int64 // offsets of the rows in batch, per table; [0] is -1 when none
}

// newOwner returns the owner of partition id of topic, whose lake holds
// every offset before next (-1 when it holds none).
func newOwner(conf *ownerConfig, budget *memoryBudget, events *ownerEvents, log *zap.Logger,
	lake lakePartition, topic string, id int32, next int64, landed func(next int64)) *owner {
	o := &owner{
		conf:    conf,
		budget:  budget,
		events:  events,
		log:     log,
		lake:    lake,
		landed:  landed,
		mem:     newRecyclingAllocator(conf.alloc, budget.rowGroupBytes),
		wmem:    newCountingAllocator(conf.alloc),
		topic:   topic,
		id:      id,
		pm:      events.metrics.Partition(topic, id),
		next:    next,
		initial: -1,
		hives:   map[string]*hiveBuf{},
		spare:   map[string]*flatten.Batch{},
		first:   -1,
		bad:     map[badKey]*[2]int64{},
		names:   map[hiveKey]string{},
	}
	o.dec.MaxBytes = conf.maxMessageBytes
	return o
}

// add lands one record in the current flush, writing row groups and
// publishing flushes as the memory budget and the roll policy say.
func (o *owner) add(ctx context.Context, r record) error {
	o.pm.Consumed(len(r.value))
	if o.next >= 0 && r.offset < o.next {
		return nil // already in the lake: the group's offset lagged behind a publish
	}
	defer o.report()
	now := o.conf.now().UTC()
	if why := o.conf.roll.decide(o.state(), now); why != rollNone {
		if err := o.flush(ctx, why); err != nil {
			return err
		}
	}
	hb, err := o.append(r, now)
	if err != nil {
		return err
	}
	if o.mem.Allocated() >= o.budget.rowGroupBytes() || rows(hb) >= o.conf.rowGroupRows {
		if err := o.writeRowGroups(); err != nil {
			return err
		}
	}
	if why := o.conf.roll.decide(o.state(), now); why != rollNone {
		return o.flush(ctx, why)
	}
	return nil
}

// append decodes r into the builders of its Hive partition, or into the
// quarantine table's when it is not a valid attempt.
func (o *owner) append(r record, now time.Time) (*hiveBuf, error) {
	meta := flatten.Meta{Topic: o.topic, Partition: o.id, Offset: r.offset, Key: r.key, LandedAt: now}
	if r.timestamp.UnixMicro() > 0 {
		meta.Timestamp = r.timestamp
	}
	tenant, a, err := o.decode(r)
	var hb *hiveBuf
	if err != nil {
		var why *flatten.InvalidError
		if !errors.As(err, &why) {
			return nil, fmt.Errorf("flatten offset %d: %w", r.offset, err)
		}
		hb = o.hive(o.hiveOf(tenant, partitionByIngest, now))
		hb.batch.AppendQuarantine(&meta, why, r.value)
		extend(&hb.ranges[tQuarantine], r.offset)
		o.events.quarantined(o.topic, o.id, r.offset, why)
		k := badKey{tenant, why.Reason}
		n := o.bad[k]
		if n == nil {
			n = new([2]int64)
			o.bad[k] = n
		}
		n[0]++
		n[1] += int64(len(r.value))
	} else if o.conf.ownPartitions {
		hb = o.appendOwn(tenant, &meta, a)
	} else {
		by, t := o.conf.partitionOf(a, now)
		hb = o.hive(o.hiveOf(tenant, by, t))
		hb.batch.AppendAttempt(&meta, a)
		extend(&hb.ranges[tAttempts], r.offset)
		if len(a.Questions) > 0 {
			extend(&hb.ranges[tQuestions], r.offset)
		}
	}
	if o.first < 0 {
		o.first, o.opened = r.offset, now
		if meta.Timestamp.IsZero() {
			o.pm.Pending(now)
		} else {
			o.pm.Pending(meta.Timestamp)
		}
	}
	o.last = r.offset
	o.records++
	return hb, nil
}

// appendOwn appends attempt a of tenant with every table partitioned by
// its own columns under event_date (ownPartitions): the attempts row by
// its started_at's date, or in the null partition when it has none; the
// questions rows, which have no started_at, by their landing date. It
// returns the attempts row's Hive partition.
func (o *owner) appendOwn(tenant string, m *flatten.Meta, a *flatten.Attempt) *hiveBuf {
	var hb *hiveBuf
	if a.StartedAt.Valid {
		hb = o.hive(o.hiveOf(tenant, partitionByEvent, a.StartedAt.Time()))
	} else {
		hb = o.hive(o.nullHive(tenant, partitionByEvent))
	}
	if len(a.Questions) == 0 {
		hb.batch.AppendAttempt(m, a)
	} else {
		qb := o.hive(o.hiveOf(tenant, partitionByIngest, m.LandedAt))
		hb.batch.AppendAttemptSplit(m, a, qb.batch)
		extend(&qb.ranges[tQuestions], m.Offset)
	}
	extend(&hb.ranges[tAttempts], m.Offset)
	return hb
}

// decode resolves r's tenant ("" without tenancy) and decodes its value.
// A record of no known tenant is not decoded: it is quarantined under
// sink.UnassignedTenant with the resolver's reason.
func (o *owner) decode(r record) (tenant string, a *flatten.Attempt, err error) {
	tenant, why := o.conf.tenants.resolve(o.topic, r.headers)
	if why != nil {
		return sink.UnassignedTenant, nil, why
	}
	a, err = o.dec.Decode(r.value)
	return tenant, a, err
}

// tick publishes the flush if it is due by age: the caller's timer fires
// at deadline even when no record arrives.
func (o *owner) tick(ctx context.Context) error {
	defer o.report()
	if why := o.conf.roll.decide(o.state(), o.conf.now().UTC()); why != rollNone {
		return o.flush(ctx, why)
	}
	return nil
}

// deadline is when the current flush becomes due by age, or the zero time
// when nothing is buffered.
func (o *owner) deadline() time.Time { return o.conf.roll.deadline(o.state()) }

func (o *owner) state() flushState {
	return flushState{records: o.records, largestFile: o.largestFile(), hives: len(o.hives), opened: o.opened}
}

// hiveKey is what a Hive partition's name is made of: the tenant ("" without
// tenancy), the partition column and the day (UTC, since the epoch), or
// nullDay for the rows whose column is null (nullHive).
type hiveKey struct {
	tenant string
	by     config.PartitionBy
	day    int64
}

// nullDay is the day of a hiveKey of a null partition: no time's day.
const nullDay = math.MinInt64

// maxHiveNames bounds the owner's cache of Hive partition names.
const maxHiveNames = 4096

// hiveOf names the Hive partition of tenant's records whose partition column
// by holds t's UTC date. Names are kept by tenant, column and day, so that a
// record costs a map lookup rather than formatting a date.
func (o *owner) hiveOf(tenant string, by config.PartitionBy, t time.Time) string {
	k := hiveKey{tenant, by, t.Unix() / secondsPerDay}
	if t.Unix() < 0 && t.Unix()%secondsPerDay != 0 {
		k.day-- // the day before the epoch starts at -86400 s, not at -86399 s
	}
	if name, ok := o.names[k]; ok {
		return name
	}
	if len(o.names) >= maxHiveNames {
		clear(o.names)
	}
	name := o.conf.tenants.tenantHive(tenant, sink.DatePartition(string(by), t))
	o.names[k] = name
	return name
}

const secondsPerDay = 24 * 60 * 60

// nullHive names the null partition of tenant's rows by column by, those
// whose column is null: <by>=null (sink.NullPartition).
func (o *owner) nullHive(tenant string, by config.PartitionBy) string {
	k := hiveKey{tenant, by, nullDay}
	if name, ok := o.names[k]; ok {
		return name
	}
	if len(o.names) >= maxHiveNames {
		clear(o.names)
	}
	name := o.conf.tenants.tenantHive(tenant, sink.NullPartition(string(by)))
	o.names[k] = name
	return name
}

func (o *owner) hive(name string) *hiveBuf {
	hb, ok := o.hives[name]
	if !ok {
		b := o.spare[name] // an emptied batch sizes its buffers as they ended last time
		if b == nil {
			b = flatten.NewBatch(o.mem)
		}
		delete(o.spare, name)
		hb = &hiveBuf{batch: b}
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

// writeRowGroups moves every buffered row into the temporary files, one row
// group per table and Hive partition, freeing the builders' memory.
func (o *owner) writeRowGroups() error {
	for hive, hb := range o.hives {
		recs := hb.batch.Take()
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
			f, err := o.lake.Create(tables[t].Name, hive, o.conf.fileSchema(t), o.conf.writer(tables[t], o.wmem))
			if err != nil {
				return fmt.Errorf("write %s: %w", tables[t].Name, err)
			}
			hb.files[t] = f
		}
		frec := o.conf.asFileRecord(t, rec)
		err := hb.files[t].Write(frec, hb.ranges[t][0], hb.ranges[t][1])
		frec.Release()
		if err != nil {
			return fmt.Errorf("write %s: %w", tables[t].Name, err)
		}
		o.largest = max(o.largest, hb.files[t].Size())
		hb.ranges[t] = [2]int64{-1, -1}
	}
	return nil
}

// largestFile is the size of the flush's largest open file: files grow
// only as row groups are written (writeRecords) and are all let go by a
// publish or an abandon.
func (o *owner) largestFile() int64 { return o.largest }

// flush publishes everything buffered as one atomic flush, then reports
// the offset after it as landed.
func (o *owner) flush(ctx context.Context, why rollReason) error {
	if o.first < 0 {
		return nil
	}
	start := o.conf.now()
	if err := o.writeRowGroups(); err != nil {
		return err
	}
	var files []*sink.ParquetFile
	var labels [][2]string // tenant and table of each file
	var bytes int64
	o.releaseSpare() // keep only this flush's batches
	for hive, hb := range o.hives {
		for t, f := range hb.files {
			if f != nil {
				files = append(files, f)
				tenant, _ := sink.TenantOf(hive)
				labels = append(labels, [2]string{tenant, tables[t].Name})
				hb.files[t] = nil
			}
		}
		o.spare[hive] = hb.batch // emptied by writeRowGroups
		delete(o.hives, hive)
	}
	if err := o.lake.Publish(ctx, files, o.first, o.last); err != nil {
		return err
	}
	if err := o.commitTables(ctx); err != nil {
		return err
	}
	m := o.events.metrics
	for i, f := range files {
		bytes += f.Size()
		m.FilePublished(o.topic, labels[i][0], labels[i][1], f.Rows(), f.Size())
	}
	for k, n := range o.bad {
		m.Quarantined(o.topic, k.tenant, string(k.reason), n[0], n[1])
		delete(o.bad, k)
	}
	o.landed(o.last + 1)
	took := o.conf.now().Sub(start)
	m.Flushed(o.topic, string(why), took)
	o.log.Info("flush published", zap.String("reason", string(why)),
		zap.Int64("first_offset", o.first), zap.Int64("last_offset", o.last), zap.Int64("committed_offset", o.last+1),
		zap.Int64("records", o.records), zap.Int("files", len(files)), zap.Int64("bytes", bytes),
		zap.Duration("took", took))
	o.next = o.last + 1
	o.first, o.records = -1, 0
	o.opened, o.largest = time.Time{}, 0
	o.pm.Pending(time.Time{})
	return nil
}

// close ends the owner: a final flush for why (revoke or shutdown) within
// ctx's deadline, or, if that fails, abandoning the unpublished files so
// the next owner re-reads them from Kafka.
func (o *owner) close(ctx context.Context, why rollReason) error {
	if err := o.flush(ctx, why); err != nil {
		o.abandon()
		return err
	}
	o.release()
	return nil
}

// abandon drops everything unpublished.
func (o *owner) abandon() {
	o.release()
	if err := o.lake.Abandon(); err != nil {
		o.log.Warn("abandon left temporary files for the next owner to clean", zap.Error(err))
	}
	o.first, o.records = -1, 0
	o.opened, o.largest = time.Time{}, 0
	clear(o.bad)
	o.pm.Pending(time.Time{})
	o.pm.Buffered(o.buffered(), 0)
}

func (o *owner) release() {
	for hive, hb := range o.hives {
		hb.batch.Release()
		delete(o.hives, hive)
	}
	o.releaseSpare()
	o.mem.drain()
}

func (o *owner) releaseSpare() {
	for hive, b := range o.spare {
		b.Release()
		delete(o.spare, hive)
	}
}
