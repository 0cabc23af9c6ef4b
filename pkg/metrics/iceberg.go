package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// IcebergCommitBuckets are the upper bounds of
// landerd_iceberg_commit_duration_seconds: a catalog round trip and a few
// small metadata files, up to a slow or contended catalog.
func IcebergCommitBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
}

// Iceberg holds the metrics of the commits to Iceberg tables. Its methods
// are safe for concurrent use.
type Iceberg struct {
	conflicts *prometheus.CounterVec
	duration  *prometheus.HistogramVec
}

// NewIceberg creates the Iceberg commit metrics for tables and registers
// them with reg, each table's series at zero. It panics if they are
// registered already (a programming error).
func NewIceberg(reg prometheus.Registerer, tables []string) *Iceberg {
	m := &Iceberg{
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "iceberg", Name: "commit_conflicts_total",
			Help: "Commits to an Iceberg table that found the table changed under them (another writer committed first) and were retried on the new base.",
		}, []string{"table"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "iceberg", Name: "commit_duration_seconds",
			Help:    "Time of each commit attempt of a flush's files to an Iceberg table, whatever its outcome.",
			Buckets: IcebergCommitBuckets(),
		}, []string{"table"}),
	}
	reg.MustRegister(m.conflicts, m.duration)
	for _, t := range tables {
		m.conflicts.WithLabelValues(t)
		m.duration.WithLabelValues(t)
	}
	return m
}

// Conflict counts a commit to table that found the table changed.
func (m *Iceberg) Conflict(table string) { m.conflicts.WithLabelValues(table).Inc() }

// Committed records how long a commit attempt to table took.
func (m *Iceberg) Committed(table string, took time.Duration) {
	m.duration.WithLabelValues(table).Observe(took.Seconds())
}
