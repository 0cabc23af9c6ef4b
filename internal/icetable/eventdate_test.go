package icetable

import (
	"context"
	"errors"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// eventDays are the started_at days of the attempts publishEvent lands,
// one in four of which has no started_at.
var eventDays = []time.Time{
	time.Date(2026, 11, 22, 23, 59, 59, 0, time.UTC),
	time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 24, 12, 30, 0, 0, time.UTC),
}

// eventStart is the started_at publishEvent gives offset off, invalid
// (null) for one in four.
func eventStart(off int64) flatten.Time {
	if off%4 == 3 {
		return flatten.Time{}
	}
	return flatten.Time{Micros: eventDays[off%3].UnixMicro(), Valid: true}
}

// publishEvent lands offsets first..last of a partition as one flush laid
// out as the owner lays it out for Iceberg under event_date: attempts by
// the day of started_at (eventStart) or in event_date=null, every
// attempt's questions in one ingest_date file. hive, when not nil, names
// the folder of an attempt's rows instead, to land a file in a partition
// it does not belong to.
func (l *lake) publishEvent(ctx context.Context, partition int32, first, last int64, hive func(a *flatten.Attempt) string) *sink.State {
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
	if hive == nil {
		hive = func(a *flatten.Attempt) string {
			if !a.StartedAt.Valid {
				return sink.NullPartition(EventDate.Field)
			}
			return sink.DatePartition(EventDate.Field, a.StartedAt.Time())
		}
	}
	mem := memory.NewGoAllocator()
	landed := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	questions := flatten.NewBatch(mem)
	defer questions.Release()
	batches := map[string]*flatten.Batch{}
	gen := attemptgen.New(attemptgen.Config{Seed: int64(partition)*1000 + first})
	var dec flatten.Decoder
	for off := first; off <= last; off++ {
		a, err := dec.Decode(gen.Next().Value)
		if err != nil {
			t.Fatal(err)
		}
		a.StartedAt = eventStart(off)
		h := hive(a)
		b := batches[h]
		if b == nil {
			b = flatten.NewBatch(mem)
			defer b.Release()
			batches[h] = b
		}
		b.AppendAttemptSplit(&flatten.Meta{Topic: topic, Partition: partition, Offset: off, LandedAt: landed}, a, questions)
	}
	var files []*sink.ParquetFile
	write := func(ft *flatten.Table, hive string, rec arrow.RecordBatch) {
		defer rec.Release()
		files = append(files, writeFlushFile(t, part, ft, hive, rec, first, last))
	}
	for h, b := range batches {
		write(flatten.AttemptsTable, h, b.Take().Attempts)
	}
	write(flatten.QuestionsTable, sink.DatePartition(IngestDate.Field, landed), questions.Take().Questions)
	if err := part.Publish(ctx, files, first, last); err != nil {
		t.Fatal(err)
	}
	return part.Committed()
}

// TestEventDateNullPartition lands attempts across three days and with
// null started_at under event_date, and checks that each data file's
// partition value is its rows' day of started_at, null exactly for the
// rows with none; that the manifests say which partitions hold nulls; and
// that scans filtered on started_at prune by partition and return the
// right rows, IS NULL included.
func TestEventDateNullPartition(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	l.by = config.PartitionByEventDate
	tb, _ := l.tables(nil)
	if err := tb.Commit(ctx, l.publishEvent(ctx, 0, 0, 199, nil)); err != nil {
		t.Fatal(err)
	}
	if err := tb.Commit(ctx, l.publishEvent(ctx, 1, 0, 99, nil)); err != nil {
		t.Fatal(err)
	}
	cat, err := tb.catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	att, err := cat.LoadTable(ctx, tb.ident(flatten.TableAttempts))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := specString(att.Spec(), att.Schema()), "[event_date=day(started_at)]"; got != want {
		t.Errorf("attempts spec %s, want %s", got, want)
	}
	que, err := cat.LoadTable(ctx, tb.ident(flatten.TableQuestions))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := specString(que.Spec(), que.Schema()), "[ingest_date=day(landed_at)]"; got != want {
		t.Errorf("questions spec %s, want %s", got, want)
	}

	// Every file's partition value is its folder's, and its rows agree.
	tasks, err := att.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	folders := map[string]int{}
	for _, task := range tasks {
		df := task.File
		folder := path.Base(path.Dir(df.FilePath()))
		folders[folder]++
		v, present := df.Partition()[partitionFieldID]
		if folder == "event_date=null" {
			if !present || v != nil {
				t.Errorf("%s: partition value %v (present %v), want null", df.FilePath(), v, present)
			}
		} else if d, ok := dayValue(v); !ok || sink.DatePartition("event_date", time.Unix(int64(d)*86400, 0)) != folder {
			t.Errorf("%s: partition value %v, want the day of its folder", df.FilePath(), v)
		}
		l.checkRows(ctx, att, df.FilePath(), folder)
	}
	want := map[string]int{"event_date=null": 2, "event_date=2026-11-22": 2, "event_date=2026-11-23": 2, "event_date=2026-11-24": 2}
	if len(folders) != len(want) {
		t.Errorf("data files by folder %v, want %v", folders, want)
	}
	for k, n := range want {
		if folders[k] != n {
			t.Errorf("data files by folder %v, want %v", folders, want)
			break
		}
	}

	// The manifests' partition summaries: contains_null is what lets a
	// reader skip or keep a manifest for started_at IS NULL.
	snap := att.CurrentSnapshot()
	fsys, err := att.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mans, err := snap.Manifests(fsys)
	if err != nil {
		t.Fatal(err)
	}
	nullManifests := 0
	for _, m := range mans {
		for _, fs := range m.Partitions() {
			if fs.ContainsNull {
				nullManifests++
			}
		}
	}
	if nullManifests != 2 {
		t.Errorf("%d manifests say they hold the null partition, want 2 (one per flush)", nullManifests)
	}

	// Filtered scans: each plans only the files of its partitions and
	// returns exactly the rows it asks for.
	day23 := eventDays[1].UnixMicro()
	for _, tc := range []struct {
		name   string
		filter iceberg.BooleanExpression
		files  int
		keep   func(off int64) bool
	}{
		{"is_null", iceberg.IsNull(iceberg.Reference("started_at")), 2, func(off int64) bool { return !eventStart(off).Valid }},
		{"not_null", iceberg.NotNull(iceberg.Reference("started_at")), 6, func(off int64) bool { return eventStart(off).Valid }},
		{"from_23", iceberg.GreaterThanEqual(iceberg.Reference("started_at"), day23), 4, func(off int64) bool {
			s := eventStart(off)
			return s.Valid && s.Micros >= day23
		}},
		{"null_or_22", iceberg.NewOr(iceberg.IsNull(iceberg.Reference("started_at")), iceberg.LessThan(iceberg.Reference("started_at"), day23)), 4, func(off int64) bool {
			s := eventStart(off)
			return !s.Valid || s.Micros < day23
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scan := att.Scan(table.WithRowFilter(tc.filter), table.WithSelectedFields("kafka_partition", "kafka_offset"))
			planned, err := scan.PlanFiles(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(planned) != tc.files {
				t.Errorf("planned %d files, want %d", len(planned), tc.files)
			}
			got := scanOffsets(ctx, t, scan)
			n := 0
			for p, last := range map[int32]int64{0: 199, 1: 99} {
				for off := int64(0); off <= last; off++ {
					k := [2]int64{int64(p), off}
					if tc.keep(off) {
						n++
						if got[k] != 1 {
							t.Errorf("partition %d offset %d: %d rows, want 1", p, off, got[k])
						}
					} else if got[k] != 0 {
						t.Errorf("partition %d offset %d: %d rows, want none", p, off, got[k])
					}
				}
			}
			if len(got) != n {
				t.Errorf("%d rows, want %d", len(got), n)
			}
		})
	}

	// questions has no started_at: one ingest_date file per flush.
	qtasks, err := que.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range qtasks {
		if folder := path.Base(path.Dir(task.File.FilePath())); folder != "ingest_date=2026-11-24" {
			t.Errorf("questions file %s: folder %s, want ingest_date=2026-11-24", task.File.FilePath(), folder)
		}
	}
	if len(qtasks) != 2 {
		t.Errorf("questions holds %d files, want 2", len(qtasks))
	}
}

// checkRows reads data file loc of tbl and checks that every row's
// started_at lies in partition folder: null in event_date=null, that day
// in any other.
func (l *lake) checkRows(ctx context.Context, tbl *table.Table, loc, folder string) {
	t := l.t
	t.Helper()
	rel, ok := strings.CutPrefix(strings.TrimPrefix(loc, "file://"), l.root+"/")
	if !ok {
		t.Fatalf("data file %s outside the lake %s", loc, l.root)
	}
	at, err := sink.ReadTable(ctx, l.fs, rel, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	col := at.Column(at.Schema().FieldIndices("started_at")[0])
	rows := 0
	for _, chunk := range col.Data().Chunks() {
		ts := chunk.(*array.Timestamp)
		for i := range ts.Len() {
			rows++
			got := sink.NullPartition("event_date")
			if ts.IsValid(i) {
				got = sink.DatePartition("event_date", time.UnixMicro(int64(ts.Value(i))))
			}
			if got != folder {
				t.Errorf("%s: a row of %s", loc, got)
				return
			}
		}
	}
	if rows == 0 {
		t.Errorf("%s: no rows", loc)
	}
}

// TestEventDateRefusesMisplacedRows commits flushes whose attempts files
// hold rows of another partition than their folder: attempts with no
// started_at in their landing date's folder (the Hive layout's rule), and
// attempts of a day in event_date=null. Neither is added to the table.
func TestEventDateRefusesMisplacedRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		hive func(a *flatten.Attempt) string
		want string
	}{
		{"null_by_landing_date", func(a *flatten.Attempt) string {
			if !a.StartedAt.Valid {
				return "event_date=2026-11-24"
			}
			return sink.DatePartition("event_date", a.StartedAt.Time())
		}, "rows have no started_at, its folder says day"},
		{"day_in_null", func(a *flatten.Attempt) string {
			if !a.StartedAt.Valid || a.StartedAt.Time().Day() == 22 {
				return "event_date=null"
			}
			return sink.DatePartition("event_date", a.StartedAt.Time())
		}, "its folder says event_date=null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			l := newLake(t)
			l.by = config.PartitionByEventDate
			tb, _ := l.tables(nil)
			err := tb.Commit(ctx, l.publishEvent(ctx, 0, 0, 99, tc.hive))
			var perm permanent
			if err == nil || !errors.As(err, &perm) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Commit = %v, want a permanent error saying %q", err, tc.want)
			}
			if got := l.offsets(ctx, tb, flatten.TableAttempts); len(got) != 0 {
				t.Errorf("attempts holds %d offsets, want none", len(got))
			}
		})
	}
}

// TestPartitionSpecChangeRefused prepares the tables under ingest_date,
// then under event_date: the second is refused, naming the table and both
// specs, and the table is left as it was.
func TestPartitionSpecChangeRefused(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	first, _ := l.tables(nil)
	if err := first.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	l.by = config.PartitionByEventDate
	second, _ := l.tables(nil)
	err := second.Prepare(ctx)
	if !errors.Is(err, ErrForeignTable) {
		t.Fatalf("Prepare under event_date = %v, want ErrForeignTable", err)
	}
	for _, want := range []string{"landerd.attempts", "[ingest_date=day(landed_at)]", "[event_date=day(started_at)]", "lake.partition_by"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	cat, err := second.catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	att, err := cat.LoadTable(ctx, second.ident(flatten.TableAttempts))
	if err != nil {
		t.Fatal(err)
	}
	if got := specString(att.Spec(), att.Schema()); got != "[ingest_date=day(landed_at)]" {
		t.Errorf("attempts spec now %s, want it unchanged", got)
	}
	// Back under ingest_date, the tables are landerd's again.
	l.by = ""
	third, _ := l.tables(nil)
	if err := third.Prepare(ctx); err != nil {
		t.Errorf("Prepare under ingest_date again: %v", err)
	}
}
