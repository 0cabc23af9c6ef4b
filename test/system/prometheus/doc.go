// Package prometheus checks landerd's Grafana dashboard against a real
// Prometheus server: its tests run the landerd daemon, let a Prometheus
// process scrape it, and evaluate every query of deploy/grafana/landerd.json
// through Prometheus's HTTP API, so a panel that would stay empty fails a
// test instead of a dashboard in production.
//
// The package is for tests only; the landerd binary never imports it. It
// offers two pieces the tests build on: Server, a Prometheus process with a
// configuration and data directory of its own, and Dashboard, the queries
// of a Grafana dashboard with its template variables expanded.
//
// The prometheus binary comes from Debian's package, which
// scripts/prometheus/install.sh installs when none is on PATH.
package prometheus
