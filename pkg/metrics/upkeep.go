package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The results of one table's compaction, the values of the result label of
// landerd_iceberg_compactions_total.
const (
	// CompactRewritten: the compaction committed a rewrite.
	CompactRewritten = "rewritten"
	// CompactNothing: the table had no partition with enough small files.
	CompactNothing = "nothing"
	// CompactFailed: the compaction failed; the table is unchanged.
	CompactFailed = "failed"
)

// Upkeep holds the metrics of the daemon's upkeep of its Iceberg tables:
// the size of each table, as the member that runs the upkeep last read it,
// and what its compactions and expiries did. Their series are labelled by
// tenant ("" without tenancy) and table. Its methods are safe for
// concurrent use.
type Upkeep struct {
	leader          prometheus.Gauge
	files           *prometheus.GaugeVec
	bytes           *prometheus.GaugeVec
	records         *prometheus.GaugeVec
	snapshots       *prometheus.GaugeVec
	smallFiles      *prometheus.GaugeVec
	lastCompaction  *prometheus.GaugeVec
	compactions     *prometheus.CounterVec
	rewrittenFiles  *prometheus.CounterVec
	expired         *prometheus.CounterVec
	orphanFiles     *prometheus.CounterVec
	orphanBytes     *prometheus.CounterVec
	orphanFailures  *prometheus.CounterVec
	compactDuration *prometheus.HistogramVec
}

// NewUpkeep creates the upkeep metrics and registers them with reg. It
// panics if they are registered already (a programming error).
func NewUpkeep(reg prometheus.Registerer) *Upkeep {
	labels := []string{"tenant", "table"}
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Subsystem: "iceberg", Name: name, Help: help}, labels)
	}
	counter := func(name, help string, extra ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: "iceberg", Name: name, Help: help}, append(labels, extra...))
	}
	m := &Upkeep{
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: "iceberg", Name: "upkeep_leader",
			Help: "1 while this member runs the upkeep of the Iceberg tables (it is assigned partition 0 of the first topic), else 0. Only the leader exports the table series."}),
		files:     gauge("table_data_files", "Data files in the table's current snapshot (its summary's total-data-files)."),
		bytes:     gauge("table_data_bytes", "Size of the data files in the table's current snapshot (its summary's total-files-size)."),
		records:   gauge("table_records", "Rows in the table's current snapshot (its summary's total-records)."),
		snapshots: gauge("table_snapshots", "Snapshots in the table's metadata; expiry lowers it."),
		smallFiles: gauge("table_small_files",
			"Data files under three quarters of lake.iceberg.upkeep.target_file_size right after the last compaction (counted from its manifests then)."),
		lastCompaction: gauge("compaction_last_success_timestamp_seconds",
			"Unix time at which the table's last compaction ended without error, whether it rewrote files or found too few small ones."),
		compactions: counter("compactions_total", "Compactions of the table by result: rewritten, nothing (too few small files) or failed.", "result"),
		rewrittenFiles: counter("compaction_rewritten_files_total",
			"Data files that committed compactions replaced (their rows now in fewer, larger files)."),
		expired: counter("expired_snapshots_total", "Snapshots expired from the table's metadata."),
		orphanFiles: counter("orphan_files_deleted_total",
			"Files under the table's location that no kept snapshot referenced, deleted by the upkeep (data files of expired snapshots, their manifests, old metadata files)."),
		orphanBytes:    counter("orphan_bytes_deleted_total", "Size of the orphan files deleted."),
		orphanFailures: counter("orphan_removals_failed_total", "Orphan-file removals of the table that failed; the next pass tries again."),
		compactDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "iceberg", Name: "compaction_duration_seconds",
			Help:    "Time of each compaction of a table, planning, rewriting and committing, whatever its outcome.",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}}, []string{"table"}),
	}
	reg.MustRegister(m.leader, m.files, m.bytes, m.records, m.snapshots, m.smallFiles, m.lastCompaction,
		m.compactions, m.rewrittenFiles, m.expired, m.orphanFiles, m.orphanBytes, m.orphanFailures, m.compactDuration)
	return m
}

// Leader records whether this member runs the upkeep; a member that stops
// running it drops its table series, which the new leader exports.
func (m *Upkeep) Leader(leads bool) {
	if leads {
		m.leader.Set(1)
		return
	}
	m.leader.Set(0)
	for _, g := range []*prometheus.GaugeVec{m.files, m.bytes, m.records, m.snapshots, m.smallFiles, m.lastCompaction} {
		g.Reset()
	}
}

// TableSize records a table's data files, their bytes and rows, and its
// snapshots.
func (m *Upkeep) TableSize(tenant, table string, files, bytes, records int64, snapshots int) {
	m.files.WithLabelValues(tenant, table).Set(float64(files))
	m.bytes.WithLabelValues(tenant, table).Set(float64(bytes))
	m.records.WithLabelValues(tenant, table).Set(float64(records))
	m.snapshots.WithLabelValues(tenant, table).Set(float64(snapshots))
}

// Compacted records one compaction of a table: its result (CompactRewritten,
// CompactNothing or CompactFailed), how long it took, the files it
// replaced, and, unless it failed, the small files left and its end.
func (m *Upkeep) Compacted(tenant, table, result string, took time.Duration, rewritten, smallAfter int) {
	m.compactions.WithLabelValues(tenant, table, result).Inc()
	m.compactDuration.WithLabelValues(table).Observe(took.Seconds())
	m.rewrittenFiles.WithLabelValues(tenant, table).Add(float64(rewritten))
	if result == CompactFailed {
		return
	}
	m.smallFiles.WithLabelValues(tenant, table).Set(float64(smallAfter))
	m.lastCompaction.WithLabelValues(tenant, table).Set(float64(time.Now().UnixNano()) / 1e9)
}

// Expired counts the snapshots an expiry removed from a table.
func (m *Upkeep) Expired(tenant, table string, n int) {
	m.expired.WithLabelValues(tenant, table).Add(float64(n))
}

// OrphansRemoved counts the orphan files a removal deleted from a table
// and their bytes; failed says the removal failed (after deleting those).
func (m *Upkeep) OrphansRemoved(tenant, table string, files int, bytes int64, failed bool) {
	m.orphanFiles.WithLabelValues(tenant, table).Add(float64(files))
	m.orphanBytes.WithLabelValues(tenant, table).Add(float64(bytes))
	failures := m.orphanFailures.WithLabelValues(tenant, table) // exported at 0 until one fails
	if failed {
		failures.Inc()
	}
}
