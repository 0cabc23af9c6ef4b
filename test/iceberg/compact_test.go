package iceberg

import (
	"context"
	"encoding/json"
	"errors"
	"path"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/test/kit/catalogtest"
	"github.com/landerd/landerd/test/kit/lakecheck"
)

// TestCompactWhileLanding lands many small flushes, then compacts every
// table while the lander keeps landing into them. Each table's first
// rewrite commit is made to meet a flush the lander committed after the
// rewrite was planned (a conflict), and the answer of the attempts
// table's successful commit is lost (an unknown outcome). Afterwards the
// tables hold every record exactly once, fewer files, offsets that a
// restarted lander resumes from without landing anything twice, and the
// report of the same records landed in the Hive layout; a reader scanning
// during the compaction sees every row once.
func TestCompactWhileLanding(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 4)
	var prodMu sync.Mutex // f.produce is not safe for concurrent use
	produce := func(n int) {
		prodMu.Lock()
		defer prodMu.Unlock()
		f.produce(t, n)
	}
	stop := f.run(t, "a", f.tables(t, prometheus.NewRegistry(), nil))
	for range 8 { // 8 flushes of each partition: 32 small files in attempts
		produce(200)
		f.waitCommitted(t, time.Minute)
	}
	reader := f.reader(t)
	before := map[string]int{}
	for _, name := range icetable.TableNames() {
		before[name] = len(f.liveFiles(t, reader, name))
	}

	// The compactor's catalog: before the first commit to each table,
	// the lander lands a flush there; the attempts table's first accepted
	// commit loses its answer.
	var hookMu sync.Mutex
	met, lostAnswer := map[string]bool{}, false
	compactor := f.tables(t, prometheus.NewRegistry(), func(c catalog.Catalog) catalog.Catalog {
		h := catalogtest.New(c)
		h.BeforeCommit(func(ident table.Identifier) error {
			name := ident[len(ident)-1]
			hookMu.Lock()
			first := !met[name]
			met[name] = true
			hookMu.Unlock()
			if first {
				f.waitNewSnapshot(t, reader, name, func() { produce(40) })
			}
			return nil
		})
		h.AfterCommit(func(ident table.Identifier) error {
			hookMu.Lock()
			defer hookMu.Unlock()
			if ident[len(ident)-1] == flatten.TableAttempts && !lostAnswer {
				lostAnswer = true
				return errors.New("read tcp: connection reset by peer")
			}
			return nil
		})
		return h
	})

	// A dry run plans and changes nothing.
	snapBefore := f.snapshotID(t, reader, flatten.TableAttempts)
	dry, err := compactor.Compact(ctx, icetable.Target{Table: flatten.TableAttempts}, icetable.CompactOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.Groups) == 0 || dry.Snapshot != 0 || dry.Groups[0].Files < 5 {
		t.Fatalf("dry run: %+v, want a plan of groups of at least 5 files and no snapshot", dry)
	}
	if got := f.snapshotID(t, reader, flatten.TableAttempts); got != snapBefore {
		t.Fatalf("the dry run committed snapshot %d", got)
	}

	// Compact while landing goes on: a record a second, a flush (one
	// commit per table) a second. A compaction commits only in a gap
	// between two of the lander's commits of the table as long as the
	// rewrite takes to stage (seconds under the race detector, with a
	// manifest per flush to rewrite): at a flush every 150 ms it never
	// found one in 32 tries there (docs/iceberg.md, Upkeep).
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Second):
				produce(1)
			}
		}
	})
	// A reader scans attempts over and over meanwhile: every scan sees
	// each row once, and never fewer rows than the scan before.
	var scans, most int
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			rows := 0
			for k, n := range f.scan(t, reader, flatten.TableAttempts) {
				rows += n
				if n != 1 {
					t.Errorf("a scan during the compaction: partition %d offset %d %d times", k[0], k[1], n)
				}
			}
			if rows < most {
				t.Errorf("a scan during the compaction read %d rows, an earlier one %d", rows, most)
			}
			most = max(most, rows)
			scans++
		}
	})
	targets, err := compactor.Targets(ctx, f.lake, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 3 {
		t.Fatalf("targets %+v, want the three tables", targets)
	}
	results := map[string]icetable.Compaction{}
	for _, tg := range targets {
		start := time.Now()
		c, err := compactor.Compact(ctx, tg, icetable.CompactOptions{})
		if err != nil {
			t.Fatal(err)
		}
		results[tg.Table] = c
		t.Logf("%s: %d data files before (%d bytes); rewrote %d (%d bytes) into %d (%d bytes) in %d groups; %d files after; %d conflicts; %s",
			tg.Table, c.FilesBefore, c.BytesBefore, c.Rewritten, c.BytesRewritten, c.Added, c.BytesAdded, len(c.Groups), c.FilesAfter, c.Conflicts, time.Since(start).Round(time.Millisecond))
	}
	close(done)
	wg.Wait()
	t.Logf("%d scans of attempts during the compaction, up to %d rows", scans, most)
	if scans == 0 {
		t.Error("no scan ran during the compaction")
	}
	produce(200)
	f.waitCommitted(t, time.Minute)
	stop()

	for _, name := range []string{flatten.TableAttempts, flatten.TableQuestions} {
		c := results[name]
		if c.Rewritten < before[name] || c.Added == 0 || c.Added >= c.Rewritten || c.Conflicts == 0 || c.Snapshot == 0 {
			t.Errorf("%s: %+v; want all its %d files rewritten into fewer, after a conflict", name, c, before[name])
		}
	}
	if !lostAnswer {
		t.Error("no commit of the attempts table lost its answer")
	}
	for _, name := range icetable.TableNames() {
		f.checkRewrite(t, reader, name, results[name])
	}
	f.checkCompactedFile(t, reader, flatten.TableAttempts)
	f.checkExactlyOnce(t)
	f.checkLake(t)

	// A restarted lander resumes from the offsets the rewrites carried:
	// it lands the new records and nothing twice.
	stop = f.run(t, "b", f.tables(t, prometheus.NewRegistry(), nil))
	produce(200)
	f.waitCommitted(t, time.Minute)
	stop()
	f.checkExactlyOnce(t)
	for _, name := range icetable.TableNames() {
		t.Logf("%s: %d data files before the compaction, %d now", name, before[name], len(f.liveFiles(t, reader, name)))
	}
	f.checkReport(t)
}

// liveFiles lists the data files of table name's current snapshot.
func (f *fixture) liveFiles(t *testing.T, cat catalog.Catalog, name string) []string {
	t.Helper()
	tbl := f.load(t, cat, name)
	if tbl.CurrentSnapshot() == nil {
		return nil
	}
	tasks, err := tbl.Scan().PlanFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(tasks))
	for i, task := range tasks {
		out[i] = task.File.FilePath()
	}
	return out
}

func (f *fixture) load(t *testing.T, cat catalog.Catalog, name string) *table.Table {
	t.Helper()
	tbl, err := cat.LoadTable(context.Background(), table.Identifier{f.cfg.Lake.Iceberg.Namespace, name})
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// snapshotID is the id of table name's current snapshot, 0 for none.
func (f *fixture) snapshotID(t *testing.T, cat catalog.Catalog, name string) int64 {
	t.Helper()
	if s := f.load(t, cat, name).CurrentSnapshot(); s != nil {
		return s.SnapshotID
	}
	return 0
}

// waitNewSnapshot runs land and waits until table name has a snapshot
// newer than its current one, for at most 20 s (a flush may hold no
// quarantined record).
func (f *fixture) waitNewSnapshot(t *testing.T, cat catalog.Catalog, name string, land func()) {
	was := f.snapshotID(t, cat, name)
	land()
	deadline := time.Now().Add(20 * time.Second)
	for f.snapshotID(t, cat, name) == was && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
}

// checkRewrite checks the rewrite snapshot c committed to table name: a
// replace whose landerd.offsets are its parent's, exactly, and whose
// files are in the table.
func (f *fixture) checkRewrite(t *testing.T, cat catalog.Catalog, name string, c icetable.Compaction) {
	t.Helper()
	if c.Snapshot == 0 {
		return
	}
	tbl := f.load(t, cat, name)
	s := tbl.SnapshotByID(c.Snapshot)
	if s == nil || s.Summary == nil || s.ParentSnapshotID == nil {
		t.Fatalf("%s: rewrite snapshot %d is not in the table, or has no summary or parent", name, c.Snapshot)
	}
	if s.Summary.Operation != table.OpReplace || s.Summary.Properties[icetable.SummaryCompaction] != strconv.Itoa(c.Rewritten) {
		t.Errorf("%s: rewrite snapshot %d: operation %s, %s=%q; want replace and %d", name, c.Snapshot, s.Summary.Operation,
			icetable.SummaryCompaction, s.Summary.Properties[icetable.SummaryCompaction], c.Rewritten)
	}
	parent := tbl.SnapshotByID(*s.ParentSnapshotID)
	if parent == nil || parent.Summary == nil {
		t.Fatalf("%s: the rewrite's parent %d is gone", name, *s.ParentSnapshotID)
	}
	var got, want icetable.Offsets
	if err := json.Unmarshal([]byte(s.Summary.Properties[icetable.SummaryOffsets]), &got); err != nil {
		t.Fatalf("%s: rewrite snapshot %d: %s: %v", name, c.Snapshot, icetable.SummaryOffsets, err)
	}
	if err := json.Unmarshal([]byte(parent.Summary.Properties[icetable.SummaryOffsets]), &want); err != nil {
		t.Fatalf("%s: snapshot %d: %s: %v", name, parent.SnapshotID, icetable.SummaryOffsets, err)
	}
	if len(got) == 0 || !equalOffsets(got, want) {
		t.Errorf("%s: rewrite snapshot %d carries offsets %v, its parent %d (%s) %v", name, c.Snapshot, got, parent.SnapshotID, parent.Summary.Operation, want)
	}
}

func equalOffsets(a, b icetable.Offsets) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkCompactedFile checks a file the compaction wrote into table name:
// zstd, as the table's write.parquet.compression-codec says, and every
// top-level column with its Iceberg field id.
func (f *fixture) checkCompactedFile(t *testing.T, cat catalog.Catalog, name string) {
	t.Helper()
	tbl := f.load(t, cat, name)
	var compacted string
	for _, p := range f.liveFiles(t, cat, name) {
		if lakecheck.IsCompacted(path.Base(p)) {
			compacted = p
			break
		}
	}
	if compacted == "" {
		t.Fatalf("%s: no compacted file in the table", name)
	}
	rd, err := file.OpenParquetFile(compacted[len("file://"):], false)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	md := rd.MetaData()
	for rg := range md.NumRowGroups() {
		for c := range md.RowGroup(rg).NumColumns() {
			cc, err := md.RowGroup(rg).ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			if cc.Compression() != compress.Codecs.Zstd {
				t.Fatalf("%s: column %s is %s, want zstd", compacted, cc.PathInSchema(), cc.Compression())
			}
		}
	}
	root := md.Schema.Root()
	for i := range root.NumFields() {
		fld := root.Field(i)
		want, ok := tbl.Schema().FindFieldByName(fld.Name())
		if !ok || fld.FieldID() != int32(want.ID) {
			t.Errorf("%s: column %s has field id %d, the table's is %d", compacted, fld.Name(), fld.FieldID(), want.ID)
		}
	}
	t.Logf("%s: %d rows in %d row groups, zstd, field ids as the table's", path.Base(compacted), md.NumRows, md.NumRowGroups())
}

// checkLake runs lakecheck over the tables' current snapshots, compacted
// files and all: every record once, in its table, questions included,
// each compacted file's rows in its partition.
func (f *fixture) checkLake(t *testing.T) {
	t.Helper()
	w := lakecheck.Want{Topic: topic, Ends: map[int32]int64{}, Reasons: map[lakecheck.Key]flatten.Reason{}, Questions: true,
		Listed: lakecheck.CatalogFiles(f.lake, f.tables(t, prometheus.NewRegistry(), nil))}
	for p, want := range f.want {
		w.Ends[p] = int64(len(want))
		for off, why := range want {
			w.Reasons[lakecheck.Key{Partition: p, Offset: int64(off)}] = why
		}
	}
	sum, problems, err := lakecheck.Check(context.Background(), f.lake, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("lakecheck: %s", sum)
}
