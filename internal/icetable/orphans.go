package icetable

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"time"

	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/sink"
)

// DefaultOrphanOlderThan is how long a file must have been left unchanged
// before RemoveOrphans may delete it, unless told otherwise: 3 days.
const DefaultOrphanOlderThan = 72 * time.Hour

// MinOrphanOlderThan is the least age RemoveOrphans accepts. The age is
// what spares the files of a commit in progress (a compaction's new files
// until its snapshot is committed, a metadata file being written), which
// no snapshot references yet: it must exceed the longest such commit.
const MinOrphanOlderThan = config.MinOrphanOlderThan

// OrphanOptions says which unreferenced files of a table to delete.
type OrphanOptions struct {
	// OlderThan is the age (since the file was last written) past which
	// an unreferenced file is deleted; 0 is DefaultOrphanOlderThan, and
	// less than MinOrphanOlderThan is refused.
	OlderThan time.Duration
	// DryRun says what would be deleted, and deletes nothing.
	DryRun bool
}

// Orphans is what RemoveOrphans did, or would do, to one table.
type Orphans struct {
	// Namespace and Table name the table.
	Namespace, Table string
	// Found counts the files under the table's location, older than
	// OlderThan, that no snapshot and no metadata file of the table
	// references; FoundBytes is their size.
	Found      int
	FoundBytes int64
	// Spared counts those that a partition's state.json names (its last
	// flush's files), which are never deleted.
	Spared int
	// Deleted counts the files deleted (0 on a dry run), DeletedBytes
	// their size.
	Deleted      int
	DeletedBytes int64
}

// RemoveOrphans deletes the files under a table's location that the
// table no longer references: data files only expired snapshots held
// (after a compaction and an expiry), manifests and manifest lists of
// expired snapshots, metadata files older than the metadata log, and
// what a killed compaction or commit left. fsys is the lake, whose
// partitions' state.json files it reads.
//
// A file is deleted only when all of these hold:
//   - it is older than opts.OlderThan, by its modification time, so that
//     a commit in progress keeps its new files;
//   - no snapshot of the table loaded before the listing references it
//     (iceberg-go's orphan planner: every manifest list, manifest and
//     live data file of every snapshot, the current metadata file, those
//     of its metadata log, and version-hint.text);
//   - no partition's state.json, read after the listing, names it: the
//     last flush of a partition may be in no snapshot yet (its commit
//     failed, or the owner died before it), or only in expired ones
//     (compacted since), and the partition's next claim needs its files.
//
// A file whose modification time the lake does not tell is kept. Expire
// keeps every snapshot that was current at some time within its
// OlderThan, so a reader that planned on one of them within that time
// finds its files.
func (t *Tables) RemoveOrphans(ctx context.Context, fsys sink.ReadFS, target Target, opts OrphanOptions) (Orphans, error) {
	ident := t.identOf(target.Tenant, target.Table)
	label := strings.Join(ident, ".")
	res := Orphans{Namespace: ident[0], Table: target.Table}
	if opts.OlderThan == 0 {
		opts.OlderThan = DefaultOrphanOlderThan
	}
	if opts.OlderThan < MinOrphanOlderThan {
		return res, fmt.Errorf("remove orphan files of %s: older than %v: must be at least %v", label, opts.OlderThan, MinOrphanOlderThan)
	}
	cat, err := t.catalog(ctx)
	if err != nil {
		return res, fmt.Errorf("remove orphan files of %s: %w", label, err)
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return res, fmt.Errorf("remove orphan files of %s: load: %w", label, err)
	}
	plan, err := tbl.PlanOrphanFiles(ctx, table.WithFilesOlderThan(opts.OlderThan))
	if err != nil {
		return res, fmt.Errorf("remove orphan files of %s: %w", label, err)
	}
	cutoff := plan.Cutoff()
	states, err := sink.ReadStates(fsys)
	if err != nil {
		return res, fmt.Errorf("remove orphan files of %s: %w", label, err)
	}
	named := make(map[string]bool)
	for _, st := range states {
		for _, f := range st.Files {
			if f.Table != res.Table {
				continue
			}
			if loc, _, ok := t.location(tbl, target.Tenant, f); ok {
				named[pathKey(loc)] = true
			}
		}
	}
	tio, err := tbl.FS(ctx)
	if err != nil {
		return res, fmt.Errorf("remove orphan files of %s: %w", label, err)
	}
	stat, _ := tio.(iceio.StatIO)
	var failed []error
	for _, f := range plan.OrphanFiles() {
		if named[pathKey(f.Path)] {
			res.Spared++
			continue
		}
		if !oldEnough(stat, f.Path, cutoff) {
			continue
		}
		res.Found++
		res.FoundBytes += f.SizeBytes
		if opts.DryRun {
			continue
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if err := tio.Remove(f.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			failed = append(failed, err)
			continue
		}
		res.Deleted++
		res.DeletedBytes += f.SizeBytes
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("remove orphan files of %s: %d of %d not deleted: %w", label, len(failed), res.Found, errors.Join(failed...))
	}
	if res.Deleted > 0 {
		t.log.Info("iceberg orphan files deleted", zap.String("namespace", res.Namespace), zap.String("table", res.Table),
			zap.Int("files", res.Deleted), zap.Int64("bytes", res.DeletedBytes), zap.Int("spared", res.Spared))
	}
	return res, nil
}

// oldEnough reports whether the file at loc was last written before
// cutoff, asking the table's IO again: the planner treats a file with no
// modification time as old, landerd keeps it.
func oldEnough(stat iceio.StatIO, loc string, cutoff time.Time) bool {
	if stat == nil {
		return false
	}
	fi, err := stat.Stat(loc)
	if err != nil || fi.ModTime().IsZero() {
		return false
	}
	return fi.ModTime().Before(cutoff)
}

// pathKey is a location without its scheme, so that file:///a and /a
// (local lakes) compare equal; hdfs:// locations keep their NameNode.
func pathKey(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || u.Scheme == "" {
		return loc
	}
	return u.Host + u.Path
}
