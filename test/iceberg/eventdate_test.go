package iceberg

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
)

// startedAt is the started_at member of a generated attempt's JSON.
var startedAt = regexp.MustCompile(`"started_at":"[^"]*"`)

// eventStart is the started_at the event_date test gives its i-th record:
// none for one in five, otherwise one of four days, the first two a
// second apart across midnight.
func eventStart(i int) (time.Time, bool) {
	if i%5 == 4 {
		return time.Time{}, false
	}
	days := []time.Time{
		time.Date(2026, 11, 20, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 23, 6, 30, 0, 0, time.UTC),
	}
	return days[(i/5)%len(days)].Add(time.Duration(i) * time.Millisecond), true
}

// TestEventDate lands under lake.partition_by event_date, with attempts
// over four days and attempts with no started_at, and checks that each
// attempts data file's partition value is its rows' day of started_at,
// null exactly for the rows with none; that every record is landed once;
// that landerd report through the tables equals the Hive layout's for the
// same records; and that scans filtered on started_at, IS NULL included,
// plan only their partitions' files and return exactly their rows.
func TestEventDate(t *testing.T) {
	f := newFixture(t, 2)
	f.cfg.Lake.PartitionBy = config.PartitionByEventDate
	if err := f.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// started maps each good record to its started_at, the zero time for
	// none.
	started := map[[2]int64]time.Time{}
	seq := 0
	produce := func(n int) {
		f.produceWith(t, n, func(_ int, r *fakekafka.Record, want *flatten.Reason) {
			if *want != "" {
				return
			}
			s, ok := eventStart(seq)
			seq++
			v := `null`
			if ok {
				v = `"` + s.Format(time.RFC3339Nano) + `"`
			}
			r.Value = startedAt.ReplaceAll(r.Value, []byte(`"started_at":`+v))
			started[[2]int64{int64(r.Partition), int64(len(f.want[r.Partition]))}] = s
		})
	}
	produce(1200)
	stop := f.run(t, "lander", f.tables(t, prometheus.NewRegistry(), nil))
	time.Sleep(500 * time.Millisecond)
	produce(800)
	f.waitCommitted(t, time.Minute)
	stop()
	f.checkExactlyOnce(t)

	ctx := context.Background()
	cat := f.reader(t)
	load := func(name string) *table.Table {
		t.Helper()
		tbl, err := cat.LoadTable(ctx, table.Identifier{f.cfg.Lake.Iceberg.Namespace, name})
		if err != nil {
			t.Fatal(err)
		}
		return tbl
	}
	attempts := load(flatten.TableAttempts)
	if got := fmt.Sprint(attempts.Spec()); !strings.Contains(got, "event_date") || !strings.Contains(got, "day") {
		t.Errorf("attempts spec %s, want event_date: day(started_at)", got)
	}

	// Every attempts file: its partition value, its folder and its rows agree.
	tasks, err := attempts.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	folders := map[string]int{}
	nullFiles := 0
	for _, task := range tasks {
		df := task.File
		folder := path.Base(path.Dir(df.FilePath()))
		folders[folder]++
		v := df.Partition()[1000]
		for _, s := range f.fileStarts(t, df.FilePath()) {
			want := sink.NullPartition("event_date")
			if s.Valid {
				want = sink.DatePartition("event_date", time.UnixMicro(s.Micros))
			}
			if want != folder {
				t.Fatalf("%s: a row of %s", df.FilePath(), want)
			}
		}
		if folder == sink.NullPartition("event_date") {
			nullFiles++
			if v != nil {
				t.Errorf("%s: partition value %v, want null", df.FilePath(), v)
			}
			continue
		}
		d, ok := v.(iceberg.Date)
		if !ok {
			if i, isInt := v.(int32); isInt {
				d, ok = iceberg.Date(i), true
			}
		}
		if !ok || sink.DatePartition("event_date", time.Unix(int64(d)*86400, 0)) != folder {
			t.Errorf("%s: partition value %v (%T), want the day of its folder", df.FilePath(), v, v)
		}
	}
	for _, want := range []string{"event_date=null", "event_date=2026-11-20", "event_date=2026-11-21", "event_date=2026-11-22", "event_date=2026-11-23"} {
		if folders[want] == 0 {
			t.Errorf("no attempts file in %s: %v", want, folders)
		}
	}
	if len(folders) != 5 {
		t.Errorf("attempts files by folder %v, want the five above", folders)
	}
	t.Logf("attempts files by folder: %v", folders)

	// questions has no started_at: partitioned by the landing day.
	qtasks, err := load(flatten.TableQuestions).Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range qtasks {
		if folder := path.Base(path.Dir(task.File.FilePath())); !strings.HasPrefix(folder, "ingest_date=") {
			t.Errorf("questions file in %s, want ingest_date=", folder)
		}
	}

	// Scans filtered on started_at plan only their partitions' files and
	// return exactly their rows.
	from := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	ref := iceberg.Reference("started_at")
	for _, tc := range []struct {
		name   string
		filter iceberg.BooleanExpression
		files  int // files planned; -1: not checked
		keep   func(s time.Time) bool
	}{
		{"is_null", iceberg.IsNull(ref), nullFiles, func(s time.Time) bool { return s.IsZero() }},
		{"from_22", iceberg.GreaterThanEqual(ref, from.UnixMicro()), folders["event_date=2026-11-22"] + folders["event_date=2026-11-23"],
			func(s time.Time) bool { return !s.IsZero() && !s.Before(from) }},
		{"null_or_before_22", iceberg.NewOr(iceberg.IsNull(ref), iceberg.LessThan(ref, from.UnixMicro())), nullFiles + folders["event_date=2026-11-20"] + folders["event_date=2026-11-21"],
			func(s time.Time) bool { return s.IsZero() || s.Before(from) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scan := attempts.Scan(table.WithRowFilter(tc.filter), table.WithSelectedFields("kafka_partition", "kafka_offset"))
			planned, err := scan.PlanFiles(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(planned) != tc.files {
				t.Errorf("planned %d files, want %d", len(planned), tc.files)
			}
			got := lakecheck.ScanOffsets(ctx, t, scan)
			n := 0
			for k, s := range started {
				if !tc.keep(s) {
					if got[k] != 0 {
						t.Errorf("partition %d offset %d (started %v): %d rows, want none", k[0], k[1], s, got[k])
					}
					continue
				}
				n++
				if got[k] != 1 {
					t.Errorf("partition %d offset %d (started %v): %d rows, want 1", k[0], k[1], s, got[k])
				}
			}
			if len(got) != n || n == 0 {
				t.Errorf("%d rows, want %d (and some)", len(got), n)
			}
		})
	}

	f.checkReport(t)
}

// fileStarts reads the started_at of every row of data file loc (a
// file:// URL or a path in the fixture's lake).
func (f *fixture) fileStarts(t *testing.T, loc string) []flatten.Time {
	t.Helper()
	rel, ok := strings.CutPrefix(strings.TrimPrefix(loc, "file://"), strings.TrimSuffix(f.cfg.Lake.URL, "/")+"/")
	if !ok {
		t.Fatalf("data file %s outside the lake %s", loc, f.cfg.Lake.URL)
	}
	at, err := sink.ReadTable(context.Background(), f.lake, rel, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	var out []flatten.Time
	for _, chunk := range at.Column(at.Schema().FieldIndices("started_at")[0]).Data().Chunks() {
		ts := chunk.(*array.Timestamp)
		for i := range ts.Len() {
			out = append(out, flatten.Time{Micros: int64(ts.Value(i)), Valid: ts.IsValid(i)})
		}
	}
	if len(out) == 0 {
		t.Errorf("%s: no rows", loc)
	}
	return out
}
