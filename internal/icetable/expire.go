package icetable

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/apache/iceberg-go/table"
	"go.uber.org/zap"
)

// DefaultExpireOlderThan is how old a snapshot must be before Expire
// removes it, unless told otherwise: 7 days.
const DefaultExpireOlderThan = 7 * 24 * time.Hour

// ExpireOptions says which snapshots of a table to expire.
type ExpireOptions struct {
	// OlderThan is the age past which a snapshot may be expired; 0 is
	// DefaultExpireOlderThan.
	OlderThan time.Duration
	// RetainLast is how many of the newest snapshots of the main branch
	// are kept whatever their age; below 1, 1.
	RetainLast int
	// DryRun says what would be expired, and changes nothing.
	DryRun bool
}

// Expiry is what Expire did, or would do, to one table.
type Expiry struct {
	// Namespace and Table name the table.
	Namespace, Table string
	// Before and After count the table's snapshots (After: what would be
	// left, on a dry run).
	Before, After int
	// Kept is how many of the newest snapshots were kept whatever their
	// age: RetainLast, or more to reach the one current at the cutoff or
	// the newest that carries SummaryOffsets.
	Kept int
	// Conflicts counts commits retried because the table changed.
	Conflicts int
}

// Expire removes the snapshots of a table older than opts.OlderThan from
// its metadata, keeping the opts.RetainLast newest, every one that was
// current at some time within opts.OlderThan (the one before the first
// newer snapshot too, however old), and always the newest one that
// carries SummaryOffsets with every snapshot after it, so that
// CommittedOffsets still finds the offsets. It deletes no file: the data
// files, manifests and manifest lists of the expired snapshots stay where
// they are until RemoveOrphans, which spares the files a partition's
// state.json names (docs/iceberg.md, Upkeep). A table whose offsets are
// already unreadable (ErrOffsetsExpired) is refused.
func (t *Tables) Expire(ctx context.Context, target Target, opts ExpireOptions) (Expiry, error) {
	ident := t.identOf(target.Tenant, target.Table)
	label := strings.Join(ident, ".")
	res := Expiry{Namespace: ident[0], Table: target.Table}
	if opts.OlderThan <= 0 {
		opts.OlderThan = DefaultExpireOlderThan
	}
	cat, err := t.catalog(ctx)
	if err != nil {
		return res, fmt.Errorf("expire %s: %w", label, err)
	}
	var failures int
	delay := retryMin
	for {
		tbl, err := cat.LoadTable(ctx, ident)
		if err != nil {
			return res, fmt.Errorf("expire %s: load: %w", label, err)
		}
		res.Before = len(tbl.Metadata().Snapshots())
		if tbl.CurrentSnapshot() == nil {
			res.After = res.Before
			return res, nil
		}
		depth, err := offsetsDepth(tbl)
		if err != nil {
			return res, fmt.Errorf("expire %s: %w", label, err)
		}
		res.Kept = max(opts.RetainLast, depth+1, currentSince(tbl, time.Now().Add(-opts.OlderThan)), 1)
		tx := tbl.NewTransaction()
		err = tx.ExpireSnapshots(table.WithOlderThan(opts.OlderThan), table.WithRetainLast(res.Kept), table.WithPostCommit(false))
		if err != nil {
			return res, fmt.Errorf("expire %s: %w", label, err)
		}
		staged, err := tx.StagedTable()
		if err != nil {
			return res, fmt.Errorf("expire %s: %w", label, err)
		}
		res.After = len(staged.Metadata().Snapshots())
		if opts.DryRun || res.After == res.Before {
			return res, nil
		}
		_, err = tx.Commit(ctx)
		if err == nil {
			t.log.Info("iceberg snapshots expired", zap.String("table", target.Table), zap.String("namespace", res.Namespace),
				zap.Int("before", res.Before), zap.Int("after", res.After), zap.Int("kept", res.Kept), zap.Int("conflicts", res.Conflicts))
			return res, nil
		}
		if ctx.Err() != nil {
			return res, err
		}
		if IsConflict(err) {
			res.Conflicts++
			if res.Conflicts > maxConflicts {
				return res, fmt.Errorf("expire %s: still conflicting after %d retries: %w", label, maxConflicts, err)
			}
		} else {
			// An expiry committed twice expires nothing more: load and
			// compute it again.
			failures++
			if failures > maxFailures {
				return res, fmt.Errorf("expire %s: %w", label, err)
			}
		}
		if !sleep(ctx, delay/2+rand.N(delay/2+1)) {
			return res, err
		}
		delay = min(2*delay, retryMax)
	}
}

// currentSince counts the snapshots of tbl's main branch that were
// current at some time since cutoff: those committed since, and the one
// before them, current at cutoff. Keeping them keeps the files of every
// snapshot a reader may have planned on since cutoff, however old the
// snapshot itself, for RemoveOrphans deletes only files no kept snapshot
// references.
func currentSince(tbl *table.Table, cutoff time.Time) int {
	n := 0
	for s := tbl.CurrentSnapshot(); s != nil; {
		n++
		if time.UnixMilli(s.TimestampMs).Before(cutoff) || s.ParentSnapshotID == nil {
			break
		}
		s = tbl.SnapshotByID(*s.ParentSnapshotID)
	}
	return n
}

// offsetsDepth is how many snapshots lie between tbl's current snapshot
// and the newest of its ancestors that carries SummaryOffsets: 0 when the
// current one does. A table none of whose snapshots carries them has
// nothing to keep (0); one whose walk meets an expired snapshot first
// fails with ErrOffsetsExpired, as CommittedOffsets does.
func offsetsDepth(tbl *table.Table) (int, error) {
	s := tbl.CurrentSnapshot()
	for depth := 0; s != nil; depth++ {
		if s.Summary != nil {
			if _, ok := s.Summary.Properties[SummaryOffsets]; ok {
				return depth, nil
			}
		}
		if s.ParentSnapshotID == nil {
			return 0, nil
		}
		parent := tbl.SnapshotByID(*s.ParentSnapshotID)
		if parent == nil {
			return 0, fmt.Errorf("snapshot %d has no %s and its parent %d is gone: %w", s.SnapshotID, SummaryOffsets, *s.ParentSnapshotID, ErrOffsetsExpired)
		}
		s = parent
	}
	return 0, nil
}
