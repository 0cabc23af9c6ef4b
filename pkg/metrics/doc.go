// Package metrics defines landerd's Prometheus metrics and the HTTP server
// that exposes them with the health endpoints.
//
// Every metric is built against a prometheus.Registerer passed in by the
// caller; the package keeps no global state and never touches the default
// registry. NewRegistry returns a registry holding the build information
// and the Go runtime and process collectors; NewLander registers the
// lander's metrics in it and returns the struct whose methods the lander
// calls as it consumes, lands, quarantines and commits.
//
// Names follow landerd_<subsystem>_<name>_<unit> with base units; counters
// end in _total. Labels come from small fixed sets only: topic, partition,
// table, reason and op. A partition's series are deleted when the
// partition is revoked (Partition.Remove). docs/metrics.md lists every
// metric.
//
// Server serves /metrics, /healthz (the process is alive) and /readyz
// (the caller's readiness check passes) and shuts down gracefully.
package metrics
