package icetable

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/table/compaction"
	"go.uber.org/zap"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// DefaultTargetFileSize is the size of the files a compaction writes,
// unless told otherwise: 128 MiB.
const DefaultTargetFileSize = 128 << 20

// SummaryCompaction marks a snapshot landerd's compaction committed: its
// value is the number of data files the rewrite replaced. Such a snapshot
// also carries SummaryOffsets, unchanged from its parent's.
const SummaryCompaction = "landerd.compaction.rewritten-files"

// CompactOptions says how to compact a table.
type CompactOptions struct {
	// TargetFileSize is the size of the files written, in bytes; 0 is
	// DefaultTargetFileSize. Files under three quarters of it are
	// rewritten, those over 180% of it left alone (iceberg-go's
	// bin-pack planner), and a partition is rewritten only when it has
	// at least five such small files.
	TargetFileSize int64
	// DryRun plans the rewrite and writes nothing.
	DryRun bool
}

// Target names one table of one tenant ("" without tenancy) to compact.
type Target struct {
	Tenant string
	Table  string
}

// CompactGroup is one partition's share of a compaction plan: files of
// one partition of the table, bin-packed towards the target size.
type CompactGroup struct {
	// Partition is the partition's folder under the table's data folder,
	// e.g. ingest_date=2026-11-24.
	Partition string
	// Files and Bytes are the data files the group rewrites.
	Files int
	Bytes int64
	// EstFiles is the planner's estimate of the files it writes.
	EstFiles int
}

// Compaction is what Compact planned, and did unless it was a dry run, to
// one table.
type Compaction struct {
	// Namespace and Table name the table.
	Namespace, Table string
	// FilesBefore is the data file count of the snapshot planned on, and
	// BytesBefore their size.
	FilesBefore int
	BytesBefore int64
	// SmallBefore counts the files of that snapshot under the planner's
	// minimum, three quarters of the target size: the small files.
	SmallBefore int
	// Groups is the plan, one entry per bin-packed group.
	Groups []CompactGroup
	// Rewritten and Added count the data files the committed rewrite
	// replaced and wrote, BytesRewritten and BytesAdded their sizes.
	Rewritten, Added           int
	BytesRewritten, BytesAdded int64
	// FilesAfter is the data file count of the table's current snapshot
	// right after the commit (landerd may have appended files since the
	// plan).
	FilesAfter int
	// SmallAfter counts the small files of that snapshot; 0 when nothing
	// was committed.
	SmallAfter int
	// Snapshot is the rewrite's snapshot id, 0 when nothing was committed.
	Snapshot int64
	// Conflicts counts the commits that found the table changed under
	// them and were rebuilt on the new base.
	Conflicts int

	minSize int64 // a smaller file is a small one
}

// Targets lists the tables Compact can rewrite, those that exist in the
// lake in fsys: tenant's tables (tenant "" without tenancy), or with
// tenant "" also those of every tenant with a folder in the lake
// (Tables.Tenants); only table name when it is not "".
func (t *Tables) Targets(ctx context.Context, fsys sink.ReadFS, tenant, name string) ([]Target, error) {
	tenants := []string{tenant}
	if tenant == "" {
		found, err := t.Tenants(fsys)
		if err != nil {
			return nil, err
		}
		tenants = append(tenants, found...)
	}
	cat, err := t.catalog(ctx)
	if err != nil {
		return nil, fmt.Errorf("list iceberg tables: %w", err)
	}
	var out []Target
	for _, tn := range tenants {
		for _, ft := range flatten.Tables() {
			if name != "" && ft.Name != name {
				continue
			}
			_, err := cat.LoadTable(ctx, t.identOf(tn, ft.Name))
			if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("load iceberg table %s: %w", strings.Join(t.identOf(tn, ft.Name), "."), err)
			}
			out = append(out, Target{Tenant: tn, Table: ft.Name})
		}
	}
	return out, nil
}

// Compact rewrites the small data files of one table into files of about
// opts.TargetFileSize, partition by partition, with iceberg-go's bin-pack
// planner (table/compaction) and its rewrite (table.ExecuteCompactionGroup
// and table.RewriteFiles), as one snapshot. It may run while landerd
// lands into the table.
//
// The rewrite is committed on exactly the snapshot it was built on: the
// transaction pins the main branch there (AssertRefSnapshotID), so the
// catalog refuses it if anything else committed first, and iceberg-go
// never replays it onto a newer base. Its summary therefore carries that
// snapshot's SummaryOffsets unchanged, which are the table's offsets after
// the rewrite too, as it neither adds nor removes a row. When it is
// refused, Compact loads the table again and stages the same new files on
// that base, with its offsets (staging fails if a file it rewrote left the
// table; landerd only ever appends); it retries so up to 32 times.
// Groups some of whose files left the table (another compaction) are
// dropped, their new files removed unless an earlier attempt's outcome is
// unknown. The files are read and written once.
func (t *Tables) Compact(ctx context.Context, target Target, opts CompactOptions) (Compaction, error) {
	ident := t.identOf(target.Tenant, target.Table)
	label := strings.Join(ident, ".")
	res := Compaction{Namespace: ident[0], Table: target.Table}
	size := opts.TargetFileSize
	if size <= 0 {
		size = DefaultTargetFileSize
	}
	cat, err := t.catalog(ctx)
	if err != nil {
		return res, fmt.Errorf("compact %s: %w", label, err)
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return res, fmt.Errorf("compact %s: load: %w", label, err)
	}
	if tbl.CurrentSnapshot() == nil {
		return res, nil
	}
	if _, err := CommittedOffsets(tbl); err != nil {
		return res, fmt.Errorf("compact %s: %w", label, err)
	}
	tasks, err := planTasks(ctx, tbl)
	if err != nil {
		return res, fmt.Errorf("compact %s: %w", label, err)
	}
	res.minSize = size * 3 / 4
	res.FilesBefore = len(tasks)
	res.SmallBefore = countSmall(tasks, res.minSize)
	for _, task := range tasks {
		res.BytesBefore += task.File.FileSizeBytes()
	}
	cfg := compaction.DefaultConfig()
	cfg.TargetFileSizeBytes = size
	cfg.MinFileSizeBytes = res.minSize
	cfg.MaxFileSizeBytes = size * 9 / 5
	plan, err := cfg.PlanCompaction(tasks)
	if err != nil {
		return res, fmt.Errorf("compact %s: plan: %w", label, err)
	}
	prefix := tbl.Location() + "/data/"
	for _, g := range plan.Groups {
		part := ""
		if len(g.Tasks) > 0 {
			dir := g.Tasks[0].File.FilePath()
			dir = dir[:strings.LastIndex(dir, "/")]
			part = strings.TrimPrefix(dir, prefix)
		}
		res.Groups = append(res.Groups, CompactGroup{Partition: part, Files: len(g.Tasks), Bytes: g.TotalSizeBytes,
			EstFiles: max(1, int((g.TotalSizeBytes+size-1)/size))})
	}
	if opts.DryRun || len(plan.Groups) == 0 {
		return res, nil
	}
	results := make([]table.CompactionGroupResult, 0, len(plan.Groups))
	for _, g := range plan.Groups {
		gr, err := table.ExecuteCompactionGroup(ctx, tbl,
			table.CompactionTaskGroup{PartitionKey: g.PartitionKey, Tasks: g.Tasks, TotalSizeBytes: g.TotalSizeBytes},
			table.WithCompactionTargetFileSize(size))
		results = append(results, gr)
		if err != nil {
			return res, errors.Join(fmt.Errorf("compact %s: rewrite: %w", label, err), t.removeNew(ctx, tbl, results))
		}
	}
	start := time.Now()
	res, err = t.commitRewrite(ctx, cat, ident, tbl, results, res)
	if err != nil {
		return res, fmt.Errorf("compact %s: %w", label, err)
	}
	t.log.Info("iceberg table compacted", zap.String("table", target.Table), zap.String("namespace", res.Namespace),
		zap.Int("rewritten_files", res.Rewritten), zap.Int("added_files", res.Added),
		zap.Int64("rewritten_bytes", res.BytesRewritten), zap.Int64("added_bytes", res.BytesAdded),
		zap.Int("files_before", res.FilesBefore), zap.Int("files_after", res.FilesAfter),
		zap.Int64("snapshot_id", res.Snapshot), zap.Int("conflicts", res.Conflicts), zap.Duration("commit", time.Since(start)))
	return res, nil
}

// planTasks lists the data files of tbl's current snapshot, one scan task
// each: iceberg-go splits a large file into several tasks, which a rewrite
// must not list twice. A table with delete files is refused: landerd only
// appends, so its tables have none.
func planTasks(ctx context.Context, tbl *table.Table) ([]table.FileScanTask, error) {
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan files: %w", err)
	}
	seen := map[string]bool{}
	out := make([]table.FileScanTask, 0, len(tasks))
	for _, task := range tasks {
		if len(task.DeleteFiles)+len(task.EqualityDeleteFiles)+len(task.DeletionVectorFiles) > 0 {
			return nil, fmt.Errorf("%w: data file %s has delete files, which landerd never writes", ErrForeignTable, task.File.FilePath())
		}
		if seen[task.File.FilePath()] {
			continue
		}
		seen[task.File.FilePath()] = true
		task.Start, task.Length = 0, task.File.FileSizeBytes()
		out = append(out, task)
	}
	return out, nil
}

// commitRewrite commits the groups' results as one rewrite snapshot on
// base, retrying as Compact says.
func (t *Tables) commitRewrite(ctx context.Context, cat catalog.Catalog, ident table.Identifier, base *table.Table,
	results []table.CompactionGroupResult, res Compaction,
) (Compaction, error) {
	var failures int
	// unknown is set once an attempt failed other than by a conflict: it
	// may have committed, so no new file is deleted after it (a file of a
	// group dropped then may be in the table).
	unknown := false
	remove := func(results []table.CompactionGroupResult) error {
		if unknown {
			return nil // left for an orphan-file removal
		}
		return t.removeNew(ctx, base, results)
	}
	delay := retryMin
	// check is set when staging failed: some rewritten file may have left
	// the table (another compaction), and the groups are checked before
	// the next attempt. Otherwise they are not, to keep the window between
	// a load and its commit short.
	check := false
	for {
		if check {
			var dropped []table.CompactionGroupResult
			results, dropped = liveGroups(ctx, base, results)
			if err := remove(dropped); err != nil {
				return res, err
			}
			if len(results) == 0 {
				return res, nil // every group's files were rewritten by someone else
			}
		}
		committed, err := commitOn(ctx, base, results)
		if err == nil {
			return t.done(ctx, committed, results, res)
		}
		if ctx.Err() != nil {
			return res, err
		}
		var se stageError
		switch {
		case errors.As(err, &se) && check:
			return res, errors.Join(err, remove(results)) // nothing was committed
		case errors.As(err, &se):
			check = true
		case IsConflict(err):
			check = false
			res.Conflicts++
			if res.Conflicts > maxConflicts {
				return res, errors.Join(fmt.Errorf("still conflicting after %d retries: %w", maxConflicts, err), remove(results))
			}
		default:
			check = false
			unknown = true
			failures++
			if failures > maxFailures {
				return res, fmt.Errorf("%d attempts failed; the new files are left for an orphan-file removal: %w", failures, err)
			}
		}
		if !se.isSet() {
			if !sleep(ctx, delay/2+rand.N(delay/2+1)) {
				return res, err
			}
			delay = min(2*delay, retryMax)
		}
		fresh, lerr := cat.LoadTable(ctx, ident)
		if lerr != nil {
			failures++
			if failures > maxFailures {
				return res, fmt.Errorf("load: %w", lerr)
			}
			continue
		}
		base = fresh
		if unknown && holds(ctx, base, results) {
			// A failed attempt did commit: the table holds its files.
			return t.done(ctx, base, results, res)
		}
	}
}

// stageError is the error of a rewrite that could not be staged on its
// base, before any commit: for one, a file it replaces is not in the
// table any more.
type stageError struct{ error }

func (e stageError) Unwrap() error { return e.error }

func (e stageError) isSet() bool { return e.error != nil }

// commitOn stages the rewrite of results on base, pinned to base's
// current snapshot, with base's offsets in its summary, and commits it.
func commitOn(ctx context.Context, base *table.Table, results []table.CompactionGroupResult) (*table.Table, error) {
	offs, err := CommittedOffsets(base)
	if err != nil {
		return nil, err
	}
	body, err := offsetsJSON(offs)
	if err != nil {
		return nil, err
	}
	var rewritten int
	for _, gr := range results {
		rewritten += len(gr.OldDataFiles)
	}
	tx := base.NewTransaction()
	// Pin the branch: a rewrite carrying offsets must never be replayed
	// onto a snapshot it did not read them from.
	if err := tx.AssertRefSnapshotID(table.MainBranch); err != nil {
		return nil, err
	}
	rw := tx.NewRewrite(iceberg.Properties{SummaryOffsets: body, SummaryCompaction: fmt.Sprint(rewritten)})
	for _, gr := range results {
		rw.ApplyResult(gr)
	}
	if err := rw.Commit(ctx); err != nil {
		return nil, stageError{fmt.Errorf("stage rewrite: %w", err)}
	}
	return tx.Commit(ctx)
}

// done fills in res for the committed rewrite of results in tbl.
func (t *Tables) done(ctx context.Context, tbl *table.Table, results []table.CompactionGroupResult, res Compaction) (Compaction, error) {
	for _, gr := range results {
		res.Rewritten += len(gr.OldDataFiles)
		res.Added += len(gr.NewDataFiles)
		res.BytesRewritten += gr.BytesBefore
		res.BytesAdded += gr.BytesAfter
	}
	// The rewrite's snapshot: the current one when tbl is what the commit
	// returned; after an unknown outcome, appends may follow it.
	for s := tbl.CurrentSnapshot(); s != nil; {
		if s.Summary != nil && s.Summary.Properties[SummaryCompaction] != "" {
			res.Snapshot = s.SnapshotID
			break
		}
		if s.ParentSnapshotID == nil {
			break
		}
		s = tbl.SnapshotByID(*s.ParentSnapshotID)
	}
	tasks, err := planTasks(ctx, tbl)
	if err != nil {
		return res, fmt.Errorf("count files after the rewrite: %w", err)
	}
	res.FilesAfter = len(tasks)
	res.SmallAfter = countSmall(tasks, res.minSize)
	return res, nil
}

// countSmall counts the files of tasks under min bytes.
func countSmall(tasks []table.FileScanTask, min int64) int {
	n := 0
	for _, task := range tasks {
		if task.File.FileSizeBytes() < min {
			n++
		}
	}
	return n
}

// liveGroups splits results into those whose rewritten files are all
// still in tbl's current snapshot and the others.
func liveGroups(ctx context.Context, tbl *table.Table, results []table.CompactionGroupResult) (live, gone []table.CompactionGroupResult) {
	files, err := livePaths(ctx, tbl)
	if err != nil {
		return results, nil // the commit finds out
	}
	for _, gr := range results {
		ok := true
		for _, df := range gr.OldDataFiles {
			ok = ok && files[df.FilePath()]
		}
		if ok {
			live = append(live, gr)
		} else {
			gone = append(gone, gr)
		}
	}
	return live, gone
}

// holds reports whether tbl's current snapshot holds every file results
// wrote and none it replaced: whether their rewrite is committed.
func holds(ctx context.Context, tbl *table.Table, results []table.CompactionGroupResult) bool {
	files, err := livePaths(ctx, tbl)
	if err != nil {
		return false
	}
	for _, gr := range results {
		for _, df := range gr.NewDataFiles {
			if !files[df.FilePath()] {
				return false
			}
		}
		for _, df := range gr.OldDataFiles {
			if files[df.FilePath()] {
				return false
			}
		}
	}
	return true
}

// livePaths is the set of data file paths of tbl's current snapshot.
func livePaths(ctx context.Context, tbl *table.Table) (map[string]bool, error) {
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(tasks))
	for _, task := range tasks {
		out[task.File.FilePath()] = true
	}
	return out, nil
}

// removeNew deletes the files results wrote, which no snapshot names.
func (t *Tables) removeNew(ctx context.Context, tbl *table.Table, results []table.CompactionGroupResult) error {
	if len(results) == 0 {
		return nil
	}
	fsys, err := tbl.FS(ctx)
	if err != nil {
		return err
	}
	rm, ok := fsys.(interface{ Remove(name string) error })
	if !ok {
		return fmt.Errorf("remove the rewrite's files: the table's IO cannot remove files")
	}
	var errs []error
	for _, gr := range results {
		for _, df := range gr.NewDataFiles {
			if err := rm.Remove(df.FilePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
