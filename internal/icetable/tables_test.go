package icetable

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/catalogtest"
)

const topic = "attempts-in"

// lake is a local lake with Iceberg tables in a hadoop catalog.
type lake struct {
	t    *testing.T
	root string
	fs   sink.FS
	loc  Location
	by   config.PartitionBy // lake.partition_by of the Tables it opens; "" is ingest_date
}

func newLake(t *testing.T) *lake {
	root := t.TempDir()
	fsys, err := sink.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	return &lake{t: t, root: root, fs: fsys, loc: Location{Root: root, Namespace: "landerd"}}
}

// tables returns a Tables of its own (its own catalog handle, as another
// replica has), its catalog wrapped by hooked when that is not nil, and
// the registry of its metrics.
func (l *lake) tables(hooked func(catalog.Catalog) catalog.Catalog) (*Tables, *prometheus.Registry) {
	conf := Config{Location: l.loc, Compression: "zstd", PartitionBy: l.by, Open: func(ctx context.Context) (catalog.Catalog, func() error, error) {
		cat, closeCat, err := openCatalog(ctx, config.IcebergCatalog{Type: config.CatalogHadoop}, l.loc, false)
		if err != nil || hooked == nil {
			return cat, closeCat, err
		}
		return hooked(cat), closeCat, nil
	}}
	reg := prometheus.NewRegistry()
	tb := New(conf, zaptest.NewLogger(l.t), metrics.NewIceberg(reg, TableNames()))
	l.t.Cleanup(func() {
		if err := tb.Close(); err != nil {
			l.t.Error(err)
		}
	})
	return tb, reg
}

// publish lands offsets first..last of a partition as one flush (attempts
// and questions for good records, _quarantine for every tenth) and returns
// its committed state.
func (l *lake) publish(ctx context.Context, partition int32, first, last int64) *sink.State {
	t := l.t
	t.Helper()
	part, err := sink.Claim(ctx, l.fs, topic, partition)
	if err != nil {
		t.Fatal(err)
	}
	dirs := func(table, hive string) string { return path.Join(DataDir(l.loc.Namespace, table), hive) }
	if err := part.SetDataDirs(dirs); err != nil {
		t.Fatal(err)
	}
	mem := memory.NewGoAllocator()
	b := flatten.NewBatch(mem)
	defer b.Release()
	gen := attemptgen.New(attemptgen.Config{Seed: int64(partition)*1000 + first})
	var dec flatten.Decoder
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for off := first; off <= last; off++ {
		m := &flatten.Meta{Topic: topic, Partition: partition, Offset: off, LandedAt: now}
		v := gen.Next().Value
		if off%10 == 9 {
			b.AppendQuarantine(m, &flatten.InvalidError{Reason: flatten.ReasonInvalidJSON, Offset: -1}, v)
			continue
		}
		a, err := dec.Decode(v)
		if err != nil {
			t.Fatal(err)
		}
		b.AppendAttempt(m, a)
	}
	recs := b.Take()
	defer recs.Release()
	var files []*sink.ParquetFile
	for _, x := range []struct {
		ft  *flatten.Table
		idx int
	}{{flatten.AttemptsTable, 0}, {flatten.QuestionsTable, 1}, {flatten.QuarantineTable, 2}} {
		rec := [...]arrow.RecordBatch{recs.Attempts, recs.Questions, recs.Quarantine}[x.idx]
		if rec == nil || rec.NumRows() == 0 {
			continue
		}
		files = append(files, writeFlushFile(t, part, x.ft, IngestDate.Field+"=2026-11-24", rec, first, last))
	}
	if err := part.Publish(ctx, files, first, last); err != nil {
		t.Fatal(err)
	}
	return part.Committed()
}

// writeFlushFile writes rec, rows of table ft, as the data file of the
// flush first..last of part in Hive partition hive.
func writeFlushFile(t *testing.T, part *sink.Partition, ft *flatten.Table, hive string, rec arrow.RecordBatch, first, last int64) *sink.ParquetFile {
	t.Helper()
	fsch, err := FileSchema(ft)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := part.Create(ft.Name, hive, fsch, sink.WriterOptions{Dictionary: ft.Dictionary})
	if err != nil {
		t.Fatal(err)
	}
	wrapped := array.NewRecordBatch(fsch, rec.Columns(), rec.NumRows())
	err = pf.Write(wrapped, first, last)
	wrapped.Release()
	if err != nil {
		t.Fatal(err)
	}
	return pf
}

// offsets scans a table through iceberg-go and counts each (partition,
// offset) it holds.
func (l *lake) offsets(ctx context.Context, tb *Tables, name string) map[[2]int64]int {
	l.t.Helper()
	cat, err := tb.catalog(ctx)
	if err != nil {
		l.t.Fatal(err)
	}
	tbl, err := cat.LoadTable(ctx, tb.ident(name))
	if err != nil {
		l.t.Fatal(err)
	}
	return ScanOffsets(ctx, l.t, tbl)
}

// ScanOffsets reads the whole table and counts each (partition, offset).
func ScanOffsets(ctx context.Context, t testing.TB, tbl *table.Table) map[[2]int64]int {
	t.Helper()
	return scanOffsets(ctx, t, tbl.Scan(table.WithSelectedFields("kafka_partition", "kafka_offset")))
}

// scanOffsets reads what scan selects and counts each (partition, offset).
func scanOffsets(ctx context.Context, t testing.TB, scan *table.Scan) map[[2]int64]int {
	t.Helper()
	at, err := scan.ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	out := map[[2]int64]int{}
	tr := array.NewTableReader(at, 1<<16)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		ps := rec.Column(int(rec.Schema().FieldIndices("kafka_partition")[0])).(*array.Int32)
		os := rec.Column(int(rec.Schema().FieldIndices("kafka_offset")[0])).(*array.Int64)
		for i := 0; i < int(rec.NumRows()); i++ {
			out[[2]int64{int64(ps.Value(i)), os.Value(i)}]++
		}
	}
	return out
}

// wantOnce checks that offsets holds exactly the offsets of partition p in
// first..last that belong to table name (every tenth is quarantined), once.
func wantOnce(t *testing.T, got map[[2]int64]int, name string, ranges map[int32][2]int64) {
	t.Helper()
	want := 0
	for p, r := range ranges {
		for off := r[0]; off <= r[1]; off++ {
			bad := off%10 == 9
			if (name == flatten.TableQuarantine) != bad {
				continue
			}
			want++
			if n := got[[2]int64{int64(p), off}]; n != 1 {
				t.Errorf("%s: partition %d offset %d appears %d times, want once", name, p, off, n)
			}
		}
	}
	if len(got) != want {
		t.Errorf("%s: %d distinct offsets, want %d", name, len(got), want)
	}
}

func conflicts(t *testing.T, reg *prometheus.Registry, table string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "landerd_iceberg_commit_conflicts_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "table" && lp.GetValue() == table {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no conflicts series for %s", table)
	return 0
}

func TestCommitOnce(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	tb, reg := l.tables(nil)
	first := l.publish(ctx, 0, 0, 99)
	if err := tb.Commit(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := l.publish(ctx, 0, 100, 149)
	if err := tb.Commit(ctx, second); err != nil {
		t.Fatal(err)
	}
	// Committing either again (a retry, a roll forward) adds nothing.
	for _, st := range []*sink.State{second, first, second} {
		if err := tb.Commit(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range TableNames() {
		got := l.offsets(ctx, tb, name)
		if name == flatten.TableQuestions {
			continue // one row per question: checked through attempts
		}
		wantOnce(t, got, name, map[int32][2]int64{0: {0, 149}})
		if n := conflicts(t, reg, name); n != 0 {
			t.Errorf("%s: %v conflicts, want none", name, n)
		}
	}
	cat, _ := tb.catalog(ctx)
	tbl, err := cat.LoadTable(ctx, tb.ident(flatten.TableAttempts))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tbl.Metadata().Snapshots()); n != 2 {
		t.Errorf("attempts has %d snapshots, want one per flush (2)", n)
	}
	props := tbl.CurrentSnapshot().Summary.Properties
	for k, want := range map[string]string{
		SummaryTopic: topic, SummaryPartition: "0", SummaryFirstOffset: "100", SummaryLastOffset: "149",
		SummaryOffsets: `{"attempts-in/0":150}`, "added-data-files": "1",
	} {
		if props[k] != want {
			t.Errorf("summary %s = %q, want %q", k, props[k], want)
		}
	}
	files, err := tb.Files(ctx, flatten.TableAttempts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{}
	for _, st := range []*sink.State{first, second} {
		for _, f := range st.Files {
			if f.Table == flatten.TableAttempts {
				want = append(want, f.Final)
			}
		}
	}
	if fmt.Sprint(files) != fmt.Sprint(want) {
		t.Errorf("Files = %v, want %v", files, want)
	}
	if want := "landerd/attempts/data/ingest_date=2026-11-24/"; len(files) == 0 || files[0][:len(want)] != want {
		t.Errorf("data files at %v, want them under %s", files, want)
	}
}

// TestCommitConflict interleaves another replica's commit between a load
// and the commit built on it: the commit conflicts, is retried on the new
// base, and both flushes land once.
func TestCommitConflict(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	other, _ := l.tables(nil)
	var hooked *catalogtest.Hooked
	tb, reg := l.tables(func(c catalog.Catalog) catalog.Catalog {
		hooked = catalogtest.New(c)
		return hooked
	})
	if err := tb.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	mine, theirs := l.publish(ctx, 0, 0, 49), l.publish(ctx, 1, 0, 29)
	var once sync.Once
	hooked.AfterLoad(func(table.Identifier) error {
		var err error
		once.Do(func() { err = other.Commit(ctx, theirs) })
		return err
	})
	if err := tb.Commit(ctx, mine); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		wantOnce(t, l.offsets(ctx, tb, name), name, map[int32][2]int64{0: {0, 49}, 1: {0, 29}})
	}
	if n := conflicts(t, reg, flatten.TableAttempts); n != 1 {
		t.Errorf("attempts: %v conflicts, want 1", n)
	}
	cat, _ := tb.catalog(ctx)
	tbl, _ := cat.LoadTable(ctx, tb.ident(flatten.TableAttempts))
	if got := tbl.CurrentSnapshot().Summary.Properties[SummaryOffsets]; got != `{"attempts-in/0":50,"attempts-in/1":30}` {
		t.Errorf("offsets %s: the other partition's position was not carried forward", got)
	}
}

// TestCommitUnknownOutcome loses the answer of a commit that happened:
// the retry reads the table back, finds the flush, and adds nothing.
func TestCommitUnknownOutcome(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	var hooked *catalogtest.Hooked
	tb, _ := l.tables(func(c catalog.Catalog) catalog.Catalog {
		hooked = catalogtest.New(c)
		return hooked
	})
	if err := tb.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	lost := 0
	hooked.AfterCommit(func(ident table.Identifier) error {
		if lost < 2 {
			lost++
			return errors.New("read tcp 127.0.0.1:5432: connection reset by peer")
		}
		return nil
	})
	st := l.publish(ctx, 0, 0, 59)
	if err := tb.Commit(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got := hooked.Commits(); got != 3 {
		t.Errorf("%d commits accepted, want one per table (3): a lost answer must not commit twice", got)
	}
	for _, name := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		wantOnce(t, l.offsets(ctx, tb, name), name, map[int32][2]int64{0: {0, 59}})
	}
}

// TestConcurrentCommitters commits flushes of eight partitions from two
// replicas' Tables at once.
func TestConcurrentCommitters(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	a, regA := l.tables(nil)
	b, regB := l.tables(nil)
	const parts, flushes, size = 4, 3, 20
	states := make([][]*sink.State, parts)
	for p := range states {
		for f := 0; f < flushes; f++ {
			states[p] = append(states[p], l.publish(ctx, int32(p), int64(f*size), int64(f*size+size-1)))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, parts)
	for p := range states {
		tb := a
		if p%2 == 1 {
			tb = b
		}
		wg.Go(func() {
			for _, st := range states[p] {
				if err := tb.Commit(ctx, st); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ranges := map[int32][2]int64{}
	for p := range states {
		ranges[int32(p)] = [2]int64{0, flushes*size - 1}
	}
	for _, name := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		wantOnce(t, l.offsets(ctx, a, name), name, ranges)
	}
	t.Logf("conflicts on attempts: %v + %v", conflicts(t, regA, flatten.TableAttempts), conflicts(t, regB, flatten.TableAttempts))
}

func TestIsConflict(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	a, _ := l.tables(nil)
	b, _ := l.tables(nil)
	if err := a.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	st := l.publish(ctx, 0, 0, 9)
	catA, _ := a.catalog(ctx)
	tblA, err := catA.LoadTable(ctx, a.ident(flatten.TableAttempts))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx, l.publish(ctx, 1, 0, 9)); err != nil {
		t.Fatal(err)
	}
	dfs, err := a.dataFiles(ctx, tblA, ref{table: flatten.TableAttempts}, st.Files[:1])
	if err != nil {
		t.Fatal(err)
	}
	tx := tblA.NewTransaction()
	if err := tx.AddDataFiles(ctx, dfs, nil, table.WithoutDuplicateCheck()); err != nil {
		t.Fatal(err)
	}
	_, err = tx.Commit(ctx)
	if !IsConflict(err) {
		t.Errorf("a commit on a stale base failed with %v, which IsConflict does not take for a conflict", err)
	}
	for _, err := range []error{nil, errors.New("connection reset by peer"), context.DeadlineExceeded} {
		if IsConflict(err) {
			t.Errorf("IsConflict(%v) = true", err)
		}
	}
	if !IsConflict(fmt.Errorf("commit: %w", table.ErrCommitFailed)) {
		t.Error("IsConflict(ErrCommitFailed) = false")
	}
}

// TestOffsetsPastMaintenance: another writer's snapshot without
// landerd.offsets (a compaction rewriting a file) leaves the committed
// offsets readable through its parent, and committing a flush again adds
// nothing; once the snapshots that recorded the offsets are expired, the
// offsets cannot be told and a commit fails instead of landing the flush
// a second time.
func TestOffsetsPastMaintenance(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	tb, _ := l.tables(nil)
	first, second := l.publish(ctx, 0, 0, 99), l.publish(ctx, 0, 100, 149)
	for _, st := range []*sink.State{first, second} {
		if err := tb.Commit(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	load := attemptsLoader(ctx, t, tb)

	// The other writer rewrites the first flush's file as a copy.
	foreignRewrite(ctx, t, load())
	tbl := load()
	if _, ok := tbl.CurrentSnapshot().Summary.Properties[SummaryOffsets]; ok {
		t.Fatal("the rewrite's snapshot carries landerd.offsets; the test needs one without")
	}
	offs, err := CommittedOffsets(tbl)
	if err != nil {
		t.Fatal(err)
	}
	if got := offs.Next(topic, 0); got != 150 {
		t.Errorf("offsets through the rewrite's parent: next %d, want 150", got)
	}
	if err := tb.Commit(ctx, second); err != nil {
		t.Fatal(err)
	}
	wantOnce(t, l.offsets(ctx, tb, flatten.TableAttempts), flatten.TableAttempts, map[int32][2]int64{0: {0, 149}})

	// Expiring every snapshot but the rewrite's loses the offsets.
	tx := load().NewTransaction()
	if err := tx.ExpireSnapshots(table.WithOlderThan(0), table.WithRetainLast(1), table.WithPostCommit(false)); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tbl = load()
	if n := len(tbl.Metadata().Snapshots()); n != 1 {
		t.Fatalf("%d snapshots after expiry, want 1", n)
	}
	if _, err := CommittedOffsets(tbl); !errors.Is(err, ErrOffsetsExpired) {
		t.Fatalf("CommittedOffsets after expiry: %v, want ErrOffsetsExpired", err)
	}
	if err := tb.Commit(ctx, second); !errors.Is(err, ErrOffsetsExpired) {
		t.Errorf("commit after expiry: %v, want ErrOffsetsExpired", err)
	}
	wantOnce(t, l.offsets(ctx, tb, flatten.TableAttempts), flatten.TableAttempts, map[int32][2]int64{0: {0, 149}})
}

// TestCommitNotReplayed: on a table that lets iceberg-go retry commits by
// itself (commit.retry.num-retries, as another tool may set), a flush's
// append that loses the catalog's compare-and-swap to another partition's
// flush must not be replayed onto it with the offsets it read before: it
// is retried by Commit, on the new base, carrying both partitions.
func TestCommitNotReplayed(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	other, _ := l.tables(nil)
	if err := other.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	cat, err := other.catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := cat.LoadTable(ctx, other.ident(flatten.TableAttempts))
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.SetProperties(iceberg.Properties{table.CommitNumRetriesKey: "4"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	mine, theirs := l.publish(ctx, 0, 0, 49), l.publish(ctx, 1, 0, 29)
	var once sync.Once
	tb, reg := l.tables(func(c catalog.Catalog) catalog.Catalog {
		h := catalogtest.New(c)
		h.BeforeCommit(func(ident table.Identifier) error {
			if ident[len(ident)-1] != flatten.TableAttempts {
				return nil
			}
			var err error
			once.Do(func() {
				if cerr := other.Commit(ctx, theirs); cerr != nil {
					t.Error(cerr)
				}
				err = table.ErrCommitFailed
			})
			return err
		})
		return h
	})
	if err := tb.Commit(ctx, mine); err != nil {
		t.Fatal(err)
	}
	wantOnce(t, l.offsets(ctx, tb, flatten.TableAttempts), flatten.TableAttempts, map[int32][2]int64{0: {0, 49}, 1: {0, 29}})
	if n := conflicts(t, reg, flatten.TableAttempts); n != 1 {
		t.Errorf("attempts: %v conflicts, want 1", n)
	}
	tbl, err = cat.LoadTable(ctx, other.ident(flatten.TableAttempts))
	if err != nil {
		t.Fatal(err)
	}
	if got := tbl.CurrentSnapshot().Summary.Properties[SummaryOffsets]; got != `{"attempts-in/0":50,"attempts-in/1":30}` {
		t.Errorf("offsets %s: want both partitions'", got)
	}
}

// attemptsLoader returns a func that loads tb's attempts table afresh.
func attemptsLoader(ctx context.Context, t *testing.T, tb *Tables) func() *table.Table {
	cat, err := tb.catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return func() *table.Table {
		t.Helper()
		tbl, err := cat.LoadTable(ctx, tb.ident(flatten.TableAttempts))
		if err != nil {
			t.Fatal(err)
		}
		return tbl
	}
}

// foreignRewrite commits, as another tool would, a rewrite of tbl's first
// data file as a copy of it under another name: a snapshot without
// landerd.offsets that holds the same rows.
func foreignRewrite(ctx context.Context, t *testing.T, tbl *table.Table) {
	t.Helper()
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := tasks[0].File.FilePath()
	body, err := os.ReadFile(strings.TrimPrefix(old, "file://"))
	if err != nil {
		t.Fatal(err)
	}
	copied := strings.TrimSuffix(old, ".parquet") + "-copy.parquet"
	if err := os.WriteFile(strings.TrimPrefix(copied, "file://"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.ReplaceDataFiles(ctx, []string{old}, []string{copied}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}
