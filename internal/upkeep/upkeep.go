package upkeep

import (
	"context"
	"errors"
	"time"

	"github.com/apache/iceberg-go/catalog"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// Periods of the loop (WithPolling changes them).
const (
	// DefaultStatsEvery is how often the leader reads each table's size
	// for the metrics.
	DefaultStatsEvery = time.Minute
	// DefaultLeaderEvery is how often the loop asks whether this member
	// leads; a new leader reads the sizes at once.
	DefaultLeaderEvery = 5 * time.Second
)

// Runner is the upkeep loop of one daemon.
type Runner struct {
	tables *icetable.Tables
	fsys   sink.ReadFS
	conf   config.Upkeep
	m      *metrics.Upkeep
	log    *zap.Logger
	leads  func() bool

	statsEvery, leaderEvery time.Duration
}

// Option changes a Runner.
type Option func(*Runner)

// WithPolling sets how often the loop asks whether this member leads and
// how often the leader reads the tables' sizes; non-positive values keep
// DefaultLeaderEvery and DefaultStatsEvery.
func WithPolling(leaderEvery, statsEvery time.Duration) Option {
	return func(r *Runner) {
		if leaderEvery > 0 {
			r.leaderEvery = leaderEvery
		}
		if statsEvery > 0 {
			r.statsEvery = statsEvery
		}
	}
}

// New returns the upkeep loop of tables, whose lake is fsys, configured by
// conf (conf.Every is taken as it is: config.Validate bounds it). leads
// reports whether this member leads the upkeep (lander.Lander.LeadsUpkeep);
// only the leader reads or changes a table.
func New(tables *icetable.Tables, fsys sink.ReadFS, conf config.Upkeep, m *metrics.Upkeep, log *zap.Logger, leads func() bool, opts ...Option) *Runner {
	r := &Runner{tables: tables, fsys: fsys, conf: conf, m: m, log: log.With(zap.String("component", "upkeep")), leads: leads,
		statsEvery: DefaultStatsEvery, leaderEvery: DefaultLeaderEvery}
	for _, opt := range opts {
		opt(r)
	}
	return r
}

// Run runs the loop until ctx ends. While this member leads, it reads
// every table's size each statsEvery and, with the upkeep on, runs a pass
// (Pass) each conf.Every, the first one conf.Every after it began to
// lead: a restart does not compact at once. When it stops leading, and
// when Run returns, the table series are dropped. A pass in progress when ctx
// ends is cut short; what it committed stays, and a rewrite it had not
// committed leaves at most unreferenced files (docs/iceberg.md, Upkeep).
func (r *Runner) Run(ctx context.Context) {
	tick := time.NewTicker(r.leaderEvery)
	defer tick.Stop()
	var leading bool
	var nextStats, nextPass time.Time
	r.m.Leader(false)
	defer r.m.Leader(false) // the series go with the member
	for {
		leads := r.leads()
		now := time.Now()
		switch {
		case leads && !leading:
			r.log.Info("leading the upkeep of the iceberg tables", zap.Bool("compaction", r.conf.Enabled()),
				zap.Duration("every", r.conf.Every))
			r.m.Leader(true)
			nextStats, nextPass = now, now.Add(r.conf.Every)
		case !leads && leading:
			r.log.Info("no longer leading the upkeep of the iceberg tables")
			r.m.Leader(false)
		}
		leading = leads
		if leading && r.conf.Enabled() && !now.Before(nextPass) {
			r.Pass(ctx)
			now = time.Now()
			nextPass, nextStats = now.Add(r.conf.Every), now.Add(r.statsEvery)
		}
		if leading && !now.Before(nextStats) {
			r.stats(ctx)
			nextStats = time.Now().Add(r.statsEvery)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Pass compacts every table of the lake, then expires its old snapshots,
// then deletes its orphan files (unless conf.RemoveOrphansOlderThan is 0),
// then reads its size. A table whose compaction fails is still expired,
// and one table's failure does not stop the others: each is logged and
// counted, and the next pass tries again.
func (r *Runner) Pass(ctx context.Context) {
	start := time.Now()
	targets, err := r.tables.Targets(ctx, r.fsys, "", "")
	if err != nil {
		r.log.Warn("upkeep pass: cannot list the tables; next pass in "+r.conf.Every.String(), zap.Error(err))
		return
	}
	var failed int
	for _, tg := range targets {
		if ctx.Err() != nil {
			return
		}
		if !r.compact(ctx, tg) {
			failed++
		}
		if !r.expire(ctx, tg) {
			failed++
		}
		if !r.removeOrphans(ctx, tg) {
			failed++
		}
	}
	r.log.Info("upkeep pass done", zap.Int("tables", len(targets)), zap.Int("failed", failed), zap.Duration("took", time.Now().Sub(start)))
	r.stats(ctx)
}

// compact compacts one table and records the outcome; false if it failed.
func (r *Runner) compact(ctx context.Context, tg icetable.Target) bool {
	start := time.Now()
	res, err := r.tables.Compact(ctx, tg, icetable.CompactOptions{TargetFileSize: int64(r.conf.TargetFileSize)})
	took := time.Now().Sub(start)
	switch {
	case err != nil:
		r.m.Compacted(tg.Tenant, tg.Table, metrics.CompactFailed, took, 0, 0)
		r.log.Error("iceberg compaction failed; the table is unchanged, the next pass tries again", zap.String("tenant", tg.Tenant),
			zap.String("table", tg.Table), zap.Duration("took", took), zap.Error(err))
		return false
	case res.Snapshot == 0:
		r.m.Compacted(tg.Tenant, tg.Table, metrics.CompactNothing, took, 0, res.SmallBefore)
		r.log.Debug("nothing to compact", zap.String("tenant", tg.Tenant), zap.String("table", tg.Table),
			zap.Int("files", res.FilesBefore), zap.Int("small_files", res.SmallBefore))
	default:
		r.m.Compacted(tg.Tenant, tg.Table, metrics.CompactRewritten, took, res.Rewritten, res.SmallAfter)
	}
	return true
}

// expire expires one table's old snapshots; false if it failed.
func (r *Runner) expire(ctx context.Context, tg icetable.Target) bool {
	res, err := r.tables.Expire(ctx, tg, icetable.ExpireOptions{OlderThan: r.conf.ExpireOlderThan, RetainLast: r.conf.RetainLast})
	if err != nil {
		r.log.Error("iceberg snapshot expiry failed; the next pass tries again", zap.String("tenant", tg.Tenant),
			zap.String("table", tg.Table), zap.Error(err))
		return false
	}
	if n := res.Before - res.After; n > 0 {
		r.m.Expired(tg.Tenant, tg.Table, n)
		r.log.Info("iceberg snapshots expired", zap.String("tenant", tg.Tenant), zap.String("namespace", res.Namespace),
			zap.String("table", tg.Table), zap.Int("expired", n), zap.Int("left", res.After))
	}
	return true
}

// removeOrphans deletes one table's orphan files, when the configuration
// asks; false if it failed.
func (r *Runner) removeOrphans(ctx context.Context, tg icetable.Target) bool {
	if r.conf.RemoveOrphansOlderThan <= 0 {
		return true
	}
	res, err := r.tables.RemoveOrphans(ctx, r.fsys, tg, icetable.OrphanOptions{OlderThan: r.conf.RemoveOrphansOlderThan})
	r.m.OrphansRemoved(tg.Tenant, tg.Table, res.Deleted, res.DeletedBytes, err != nil)
	if err != nil {
		r.log.Error("iceberg orphan-file removal failed; the next pass tries again", zap.String("tenant", tg.Tenant),
			zap.String("table", tg.Table), zap.Int("deleted", res.Deleted), zap.Error(err))
		return false
	}
	return true
}

// stats reads every table's size into the metrics: those of the
// namespace and of every tenant with a folder in the lake, one catalog
// lookup each (a table not created yet is skipped).
func (r *Runner) stats(ctx context.Context) {
	tenants, err := r.tables.Tenants(r.fsys)
	if err != nil {
		r.log.Warn("cannot list the tenants' iceberg tables for their sizes", zap.Error(err))
		return
	}
	for _, tenant := range append([]string{""}, tenants...) {
		for _, name := range icetable.TableNames() {
			if ctx.Err() != nil {
				return
			}
			st, err := r.tables.Stats(ctx, icetable.Target{Tenant: tenant, Table: name})
			switch {
			case errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace):
				continue
			case err != nil:
				r.log.Warn("cannot read the size of an iceberg table", zap.String("tenant", tenant), zap.String("table", name), zap.Error(err))
				continue
			}
			if st.Totals {
				r.m.TableSize(tenant, name, st.Files, st.Bytes, st.Records, st.Snapshots)
			}
		}
	}
}
