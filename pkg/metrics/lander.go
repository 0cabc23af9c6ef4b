package metrics

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Storage operations, the values of the op label of
// landerd_storage_errors_total.
const (
	OpCreate  = "create"
	OpWrite   = "write"
	OpClose   = "close"
	OpOpen    = "open"
	OpRename  = "rename"
	OpMkdir   = "mkdir"
	OpRemove  = "remove"
	OpReadDir = "readdir"
	OpStat    = "stat"
)

// StorageOps lists every value of the op label.
func StorageOps() []string {
	return []string{OpCreate, OpWrite, OpClose, OpOpen, OpRename, OpMkdir, OpRemove, OpReadDir, OpStat}
}

// FileSizeBuckets are the upper bounds of landerd_lake_file_size_bytes:
// 64 KiB to 1 GiB by factors of four (HDFS blocks are 128 MiB).
func FileSizeBuckets() []float64 { return prometheus.ExponentialBuckets(64<<10, 4, 8) }

// FlushDurationBuckets are the upper bounds of landerd_flush_duration_seconds.
func FlushDurationBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
}

// Lander holds the lander's metrics. Its methods are safe for concurrent
// use; the per-partition ones live on Partition.
type Lander struct {
	consumedRecords *prometheus.CounterVec
	consumedBytes   *prometheus.CounterVec
	lagRecords      *prometheus.GaugeVec
	lagSeconds      *ageVec
	bufferedBytes   *prometheus.GaugeVec
	openFiles       *prometheus.GaugeVec

	landedRows     *prometheus.CounterVec
	publishedFiles *prometheus.CounterVec
	publishedBytes *prometheus.CounterVec
	fileSize       *prometheus.HistogramVec
	flushDuration  *prometheus.HistogramVec

	quarantinedRecords *prometheus.CounterVec
	quarantinedBytes   *prometheus.CounterVec

	commits        *prometheus.CounterVec
	commitFailures *prometheus.CounterVec
	rebalances     *prometheus.CounterVec
	assigned       *prometheus.GaugeVec
	partitions     *prometheus.GaugeVec
	refused        *prometheus.GaugeVec

	gaps        *prometheus.CounterVec
	lostOffsets *prometheus.CounterVec

	storageErrors *prometheus.CounterVec
}

// NewLander creates the lander's metrics and registers them with reg. It
// panics if they are registered already (a programming error).
func NewLander(reg prometheus.Registerer) *Lander {
	part := []string{"topic", "partition"}
	counter := func(sub, name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub, Name: name, Help: help}, labels)
	}
	gauge := func(sub, name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub, Name: name, Help: help}, labels)
	}
	m := &Lander{
		consumedRecords: counter("consumer", "records_total", "Records read from Kafka.", part),
		consumedBytes:   counter("consumer", "bytes_total", "Bytes of record values read from Kafka.", part),
		lagRecords: gauge("consumer", "lag_records",
			"Records in the partition not yet landed: the high watermark minus the first offset the lake does not hold.", part),
		lagSeconds: newAgeVec(prometheus.NewDesc(
			prometheus.BuildFQName(namespace, "consumer", "lag_seconds"),
			"Age of the oldest record read but not yet landed, by its Kafka timestamp; 0 when nothing is pending.",
			part, nil)),
		bufferedBytes: gauge("buffer", "bytes", "Bytes the partition's owner holds in Arrow builders and Parquet encoders.", part),
		openFiles:     gauge("buffer", "open_files", "Temporary Parquet files the partition's owner has open.", part),

		landedRows:     counter("lake", "landed_rows_total", "Rows published to the lake, by tenant and table.", []string{"topic", "tenant", "table"}),
		publishedFiles: counter("lake", "published_files_total", "Parquet files published to the lake, by tenant and table.", []string{"topic", "tenant", "table"}),
		publishedBytes: counter("lake", "published_bytes_total", "Bytes of Parquet files published to the lake, by tenant and table.", []string{"topic", "tenant", "table"}),
		fileSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "lake", Name: "file_size_bytes",
			Help:    "Size of each published Parquet file.",
			Buckets: FileSizeBuckets(),
		}, []string{"topic", "table"}),
		flushDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "flush", Name: "duration_seconds",
			Help:    "Time to publish one flush: writing the last row groups, closing the files, publishing them and committing, by the reason the files rolled.",
			Buckets: FlushDurationBuckets(),
		}, []string{"topic", "reason"}),

		quarantinedRecords: counter("quarantine", "records_total", "Bad records landed in the _quarantine table, by tenant and reason.", []string{"topic", "tenant", "reason"}),
		quarantinedBytes:   counter("quarantine", "bytes_total", "Bytes of bad record values landed in the _quarantine table, by tenant and reason.", []string{"topic", "tenant", "reason"}),

		commits:        counter("consumer", "commits_total", "Offset commits issued after a publish.", []string{"topic"}),
		commitFailures: counter("consumer", "commit_failures_total", "Offset commits the broker or the client reported as failed.", []string{"topic"}),
		rebalances:     counter("group", "rebalances_total", "Consumer group sessions started (each follows a rebalance).", []string{"topic"}),
		assigned:       gauge("group", "assigned_partitions", "Partitions this member owns in the current session.", []string{"topic"}),
		partitions: gauge("group", "topic_partitions",
			"Partitions the topic has, as this member saw it at its last rebalance; minus the sum of assigned_partitions over the replicas, the partitions nobody owns.", []string{"topic"}),
		refused: gauge("group", "refused_partitions",
			"Partitions this member owns but refuses to land, by reason: retention_gap (kafka.on_retention_gap: stop) or topic_recreated.", []string{"topic", "reason"}),

		gaps: counter("lake", "gaps_total", "Gaps recorded in the lake: ranges of offsets Kafka deleted before they were landed.", []string{"topic"}),
		lostOffsets: counter("lake", "lost_offsets_total",
			"Offsets Kafka deleted before they were landed (retention ran ahead), as recorded in the lake's gaps.", []string{"topic"}),

		storageErrors: counter("storage", "errors_total", "Lake storage operations that failed, by operation.", []string{"op"}),
	}
	reg.MustRegister(
		m.consumedRecords, m.consumedBytes, m.lagRecords, m.lagSeconds, m.bufferedBytes, m.openFiles,
		m.landedRows, m.publishedFiles, m.publishedBytes, m.fileSize, m.flushDuration,
		m.quarantinedRecords, m.quarantinedBytes,
		m.commits, m.commitFailures, m.rebalances, m.assigned, m.partitions, m.refused,
		m.gaps, m.lostOffsets,
		m.storageErrors,
	)
	for _, op := range StorageOps() {
		m.storageErrors.WithLabelValues(op)
	}
	return m
}

// Topic initialises the topic's series at zero, so that rates and
// failure counts exist before the first event.
func (m *Lander) Topic(topic string) {
	m.commits.WithLabelValues(topic)
	m.commitFailures.WithLabelValues(topic)
	m.rebalances.WithLabelValues(topic)
	m.assigned.WithLabelValues(topic)
	m.gaps.WithLabelValues(topic)
	m.lostOffsets.WithLabelValues(topic)
	for _, r := range RefuseReasons() {
		m.refused.WithLabelValues(topic, r)
	}
}

// The reasons of landerd_group_refused_partitions.
const (
	RefuseRetentionGap   = "retention_gap"
	RefuseTopicRecreated = "topic_recreated"
)

// RefuseReasons lists every value of the reason label of
// landerd_group_refused_partitions.
func RefuseReasons() []string { return []string{RefuseRetentionGap, RefuseTopicRecreated} }

// TopicPartitions records how many partitions topic has.
func (m *Lander) TopicPartitions(topic string, n int) {
	m.partitions.WithLabelValues(topic).Set(float64(n))
}

// Refused records how many partitions of topic this member holds without
// landing them, for reason.
func (m *Lander) Refused(topic, reason string, n int) {
	m.refused.WithLabelValues(topic, reason).Set(float64(n))
}

// GapRecorded counts a gap recorded in the lake and the offsets it newly
// records as lost (0 when a known gap was seen again).
func (m *Lander) GapRecorded(topic string, lost int64) {
	if lost <= 0 {
		return
	}
	m.gaps.WithLabelValues(topic).Inc()
	m.lostOffsets.WithLabelValues(topic).Add(float64(lost))
}

// Rebalanced counts a new group session that owns n partitions of topic.
func (m *Lander) Rebalanced(topic string, n int) {
	m.rebalances.WithLabelValues(topic).Inc()
	m.assigned.WithLabelValues(topic).Set(float64(n))
}

// Unassigned records that the session ended: this member owns no partitions.
func (m *Lander) Unassigned(topic string) { m.assigned.WithLabelValues(topic).Set(0) }

// FilePublished counts one published file of tenant's table with its
// rows and size. tenant is "" without tenancy, and "_unassigned" for the
// quarantined records of no known tenant.
func (m *Lander) FilePublished(topic, tenant, table string, rows, bytes int64) {
	m.landedRows.WithLabelValues(topic, tenant, table).Add(float64(rows))
	m.publishedFiles.WithLabelValues(topic, tenant, table).Inc()
	m.publishedBytes.WithLabelValues(topic, tenant, table).Add(float64(bytes))
	m.fileSize.WithLabelValues(topic, table).Observe(float64(bytes))
}

// Flushed observes the duration of one published flush and why its files
// rolled (records, bytes, age, day, hives, revoke, shutdown).
func (m *Lander) Flushed(topic, reason string, took time.Duration) {
	m.flushDuration.WithLabelValues(topic, reason).Observe(took.Seconds())
}

// Quarantined counts records of tenant landed in the _quarantine table
// for reason, and their value bytes; tenant as for FilePublished.
func (m *Lander) Quarantined(topic, tenant, reason string, records, bytes int64) {
	m.quarantinedRecords.WithLabelValues(topic, tenant, reason).Add(float64(records))
	m.quarantinedBytes.WithLabelValues(topic, tenant, reason).Add(float64(bytes))
}

// Committed counts an offset commit.
func (m *Lander) Committed(topic string) { m.commits.WithLabelValues(topic).Inc() }

// CommitFailed counts an offset commit that failed.
func (m *Lander) CommitFailed(topic string) { m.commitFailures.WithLabelValues(topic).Inc() }

// StorageError counts a failed storage operation (one of the Op constants).
func (m *Lander) StorageError(op string) { m.storageErrors.WithLabelValues(op).Inc() }

// Partition returns the metrics of one owned partition, creating its
// series. Call Remove when the partition is revoked.
func (m *Lander) Partition(topic string, partition int32) *Partition {
	id := strconv.FormatInt(int64(partition), 10)
	return &Partition{
		m:        m,
		labels:   []string{topic, id},
		records:  m.consumedRecords.WithLabelValues(topic, id),
		bytes:    m.consumedBytes.WithLabelValues(topic, id),
		lag:      m.lagRecords.WithLabelValues(topic, id),
		buffered: m.bufferedBytes.WithLabelValues(topic, id),
		files:    m.openFiles.WithLabelValues(topic, id),
		pending:  m.lagSeconds.with(topic, id),
	}
}

// Partition is the metrics of one owned partition. Its methods are meant
// for the partition's owner goroutine; scrapes may run concurrently.
type Partition struct {
	m        *Lander
	labels   []string
	records  prometheus.Counter
	bytes    prometheus.Counter
	lag      prometheus.Gauge
	buffered prometheus.Gauge
	files    prometheus.Gauge
	pending  *atomic.Int64
}

// Consumed counts one record read from Kafka with a value of n bytes.
func (p *Partition) Consumed(n int) {
	p.records.Inc()
	p.bytes.Add(float64(n))
}

// Lag sets the records not yet landed; negative values (a high watermark
// not yet known) count as 0.
func (p *Partition) Lag(records int64) { p.lag.Set(float64(max(records, 0))) }

// Pending sets the Kafka timestamp of the oldest record read but not yet
// landed; the zero time says nothing is pending.
func (p *Partition) Pending(oldest time.Time) {
	if oldest.IsZero() {
		p.pending.Store(0)
		return
	}
	p.pending.Store(oldest.UnixNano())
}

// Buffered sets the bytes held in memory and the temporary files open.
func (p *Partition) Buffered(bytes int64, files int) {
	p.buffered.Set(float64(bytes))
	p.files.Set(float64(files))
}

// Remove deletes the partition's series; the partition is no longer owned.
func (p *Partition) Remove() {
	m := p.m
	m.consumedRecords.DeleteLabelValues(p.labels...)
	m.consumedBytes.DeleteLabelValues(p.labels...)
	m.lagRecords.DeleteLabelValues(p.labels...)
	m.bufferedBytes.DeleteLabelValues(p.labels...)
	m.openFiles.DeleteLabelValues(p.labels...)
	m.lagSeconds.delete(p.labels[0], p.labels[1])
}

// ageVec is a gauge per (topic, partition) computed at scrape time: now
// minus a stored time, or 0 when no time is stored.
type ageVec struct {
	desc *prometheus.Desc
	now  func() time.Time

	mu sync.Mutex
	m  map[[2]string]*atomic.Int64
}

func newAgeVec(desc *prometheus.Desc) *ageVec {
	return &ageVec{desc: desc, now: time.Now, m: map[[2]string]*atomic.Int64{}}
}

func (v *ageVec) with(topic, partition string) *atomic.Int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	k := [2]string{topic, partition}
	a, ok := v.m[k]
	if !ok {
		a = new(atomic.Int64)
		v.m[k] = a
	}
	return a
}

func (v *ageVec) delete(topic, partition string) {
	v.mu.Lock()
	delete(v.m, [2]string{topic, partition})
	v.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (v *ageVec) Describe(ch chan<- *prometheus.Desc) { ch <- v.desc }

// Collect implements prometheus.Collector.
func (v *ageVec) Collect(ch chan<- prometheus.Metric) {
	now := v.now().UnixNano()
	v.mu.Lock()
	defer v.mu.Unlock()
	for k, a := range v.m {
		var age float64
		if t := a.Load(); t != 0 && now > t {
			age = float64(now-t) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(v.desc, prometheus.GaugeValue, age, k[0], k[1])
	}
}
