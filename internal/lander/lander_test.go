package lander

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/rcrowley/go-metrics.(*meterArbiter).tick"),
		goleak.IgnoreTopFunction("github.com/eapache/go-resiliency/breaker.(*Breaker).timer"))
}

const topic = "attempts-test"

// fixture is a broker with a topic, a lake and a configuration that lands
// from one into the other.
type fixture struct {
	b    *fakekafka.Broker
	lake *sink.LocalFS
	cfg  config.Config
	// want maps partition → offset → the reason it must be quarantined
	// for ("" when it is a good attempt).
	want map[int32][]flatten.Reason
}

func newFixture(t *testing.T, partitions int32) *fixture {
	t.Helper()
	b, err := fakekafka.Start(fakekafka.Config{Topic: topic, Partitions: partitions, MinSessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	lake, err := sink.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Kafka.Brokers = []string{b.Addr()}
	cfg.Kafka.Topic = topic
	cfg.Kafka.Group = "g-" + strings.ReplaceAll(t.Name(), "/", "-")
	cfg.Kafka.SessionTimeout = 3 * time.Second
	cfg.Kafka.HeartbeatInterval = 300 * time.Millisecond
	cfg.Kafka.RebalanceTimeout = 5 * time.Second
	cfg.Lake.Roll.MaxFileAge = 500 * time.Millisecond
	cfg.Lake.Roll.MaxFileRecords = 700
	cfg.Lake.RowGroupRows = 300
	cfg.Shutdown.Deadline = 5 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &fixture{b: b, lake: lake, cfg: cfg, want: map[int32][]flatten.Reason{}}
}

// produce sends n generated records, round-robin over the partitions, and
// remembers what each offset must become.
func (f *fixture) produce(t *testing.T, gen *attemptgen.Generator, n int) {
	t.Helper()
	parts := f.b.Partitions()
	recs := make([]fakekafka.Record, n)
	for i := range recs {
		r := gen.Next()
		p := int32(i) % parts
		recs[i] = fakekafka.Record{Key: r.Key, Value: r.Value, Partition: p}
		f.want[p] = append(f.want[p], r.Want)
	}
	if err := f.b.ProduceWith(context.Background(), fakekafka.ProduceOptions{ManualPartition: true}, recs); err != nil {
		t.Fatal(err)
	}
}

// size returns full in make test and short under -short (make unit): the
// landing tests take fewer records there and check the same things.
func size(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// run starts a lander and returns a function that stops it and waits.
func (f *fixture) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := New(f.cfg, f.lake, zaptest.NewLogger(t))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := l.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return func() { cancel(); wg.Wait() }
}

// waitLanded waits until the lake shows every record produced.
func (f *fixture) waitLanded(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		done := true
		for p, want := range f.want {
			next, err := sink.Landed(f.lake, topic, p)
			if err != nil {
				t.Fatal(err)
			}
			if next < int64(len(want)) {
				done = false
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not landed within %s", within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// landed reads a table back and returns, per (partition, offset), how many
// rows hold it, plus a column's values by (partition, offset).
func landed(t *testing.T, lake sink.FS, table, column string) (map[[2]int64]int, map[[2]int64]string) {
	t.Helper()
	files, err := sink.ListDataFiles(lake, table)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	count := map[[2]int64]int{}
	values := map[[2]int64]string{}
	for _, df := range files {
		tbl, err := sink.ReadTable(context.Background(), lake, df.Path, mem)
		if err != nil {
			t.Fatal(err)
		}
		rdr := array.NewTableReader(tbl, 0)
		for rdr.Next() {
			rec := rdr.RecordBatch()
			parts := colByName(t, rec, "kafka_partition").(*array.Int32)
			offs := colByName(t, rec, "kafka_offset").(*array.Int64)
			var vals arrow.Array
			if column != "" {
				vals = colByName(t, rec, column)
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				k := [2]int64{int64(parts.Value(i)), offs.Value(i)}
				if int64(parts.Value(i)) != int64(df.Partition) || offs.Value(i) < df.First || offs.Value(i) > df.Last {
					t.Errorf("%s: row (%d, %d) outside the file's name range", df.Path, k[0], k[1])
				}
				count[k]++
				if vals != nil {
					values[k] = vals.ValueStr(i)
				}
			}
		}
		rdr.Release()
		tbl.Release()
	}
	return count, values
}

func colByName(t *testing.T, rec arrow.RecordBatch, name string) arrow.Array {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %s", name)
	}
	return rec.Column(idx[0])
}

// checkExactlyOnce asserts every produced record is in the lake exactly
// once: good attempts in attempts, bad ones in _quarantine with the reason
// they were made with.
func (f *fixture) checkExactlyOnce(t *testing.T) {
	t.Helper()
	att, _ := landed(t, f.lake, flatten.TableAttempts, "")
	qua, reasons := landed(t, f.lake, flatten.TableQuarantine, "reason")
	for p, want := range f.want {
		for off, reason := range want {
			if t.Failed() && off%1000 == 0 {
				t.FailNow() // enough said
			}
			k := [2]int64{int64(p), int64(off)}
			a, q := att[k], qua[k]
			switch {
			case reason == "" && (a != 1 || q != 0):
				t.Errorf("partition %d offset %d: %d attempts rows, %d quarantine rows; want 1, 0", p, off, a, q)
			case reason != "" && (a != 0 || q != 1):
				t.Errorf("partition %d offset %d (%s): %d attempts rows, %d quarantine rows; want 0, 1", p, off, reason, a, q)
			case reason != "" && reasons[k] != string(reason):
				t.Errorf("partition %d offset %d: quarantined as %s, want %s", p, off, reasons[k], reason)
			}
			delete(att, k)
			delete(qua, k)
		}
	}
	if len(att)+len(qua) > 0 {
		t.Errorf("%d rows in the lake for offsets never produced", len(att)+len(qua))
	}
}

func TestLandsExactlyOnce(t *testing.T) {
	f := newFixture(t, 3)
	// Under -short a third of the records, and files and row groups a
	// third of the size, so that each partition still rolls more than once.
	n := size(3000, 900)
	f.cfg.Lake.Roll.MaxFileRecords = int64(size(700, 200))
	f.cfg.Lake.RowGroupRows = size(300, 100)
	gen := attemptgen.New(attemptgen.Config{Seed: 7, BadRate: 0.05, DuplicateRate: 0.02})
	f.produce(t, gen, n)
	stop := f.run(t)
	f.waitLanded(t, 90*time.Second)
	stop()
	f.checkExactlyOnce(t)
	// Files rolled on the record limit: more than one flush per partition.
	files, err := sink.ListDataFiles(f.lake, flatten.TableAttempts)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3*2 {
		t.Errorf("%d attempts files; want at least 2 per partition with max_file_records=%d", len(files), f.cfg.Lake.Roll.MaxFileRecords)
	}
}

// TestResumesFromTheLake: a second run lands only what the first did not,
// and questions rows agree with the attempts' question_count.
func TestResumesFromTheLake(t *testing.T) {
	f := newFixture(t, 2)
	gen := attemptgen.New(attemptgen.Config{Seed: 8, BadRate: 0.02})
	n := size(1000, 400)
	f.produce(t, gen, n)
	stop := f.run(t)
	f.waitLanded(t, 90*time.Second)
	stop()
	f.produce(t, gen, n)
	stop = f.run(t)
	f.waitLanded(t, 90*time.Second)
	stop()
	f.checkExactlyOnce(t)

	att, qcount := landed(t, f.lake, flatten.TableAttempts, "question_count")
	que, _ := landed(t, f.lake, flatten.TableQuestions, "")
	for k := range att {
		if want := qcount[k]; want != "(null)" && want != strconv.Itoa(que[k]) {
			t.Fatalf("attempt %v: %d question rows, question_count %s", k, que[k], want)
		}
	}
	for k := range que {
		if att[k] != 1 {
			t.Fatalf("question rows for %v whose attempt is not landed", k)
		}
	}
}

// TestIdlePartitionFlushesOnAge: records buffered in a partition that then
// goes quiet are published by the age deadline while the lander keeps
// running (the record and size limits are far away).
func TestIdlePartitionFlushesOnAge(t *testing.T) {
	f := newFixture(t, 2)
	f.cfg.Lake.Roll.MaxFileRecords = 1_000_000
	f.cfg.Lake.Roll.MaxFileAge = time.Second
	stop := f.run(t)
	defer stop()
	time.Sleep(2 * time.Second) // joined and idle
	gen := attemptgen.New(attemptgen.Config{Seed: 9})
	f.produce(t, gen, 10)
	start := time.Now()
	f.waitLanded(t, 15*time.Second)
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("published after %s, before the 1s age deadline", took)
	}
	f.checkExactlyOnce(t)
}

// TestEventDatePartitioning: with partition_by event_date, attempts land in
// the folder of their started_at date and quarantine by ingest date.
func TestEventDatePartitioning(t *testing.T) {
	f := newFixture(t, 1)
	f.cfg.Lake.PartitionBy = partitionByEvent
	// Five days of attempts: fewer dates than an owner keeps open at once.
	gen := attemptgen.New(attemptgen.Config{Seed: 10, BadRate: 0.05, Span: 5 * 24 * time.Hour})
	f.produce(t, gen, 400)
	stop := f.run(t)
	f.waitLanded(t, 90*time.Second)
	stop()
	f.checkExactlyOnce(t)
	files, err := sink.ListDataFiles(f.lake, flatten.TableAttempts)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	dates := map[string]bool{}
	for _, df := range files {
		if !strings.HasPrefix(df.Hive, "event_date=") {
			t.Fatalf("attempts file in %s", df.Hive)
		}
		dates[df.Hive] = true
		tbl, err := sink.ReadTable(context.Background(), f.lake, df.Path, mem)
		if err != nil {
			t.Fatal(err)
		}
		rdr := array.NewTableReader(tbl, 0)
		for rdr.Next() {
			started := colByName(t, rdr.RecordBatch(), "started_at").(*array.Timestamp)
			for i := 0; i < started.Len(); i++ {
				day := time.UnixMicro(int64(started.Value(i))).UTC().Format(time.DateOnly)
				if df.Hive != "event_date="+day {
					t.Fatalf("row started %s in %s", day, df.Hive)
				}
			}
		}
		rdr.Release()
		tbl.Release()
	}
	mem.AssertSize(t, 0)
	if len(dates) < 3 {
		t.Errorf("%d event dates; generated attempts span five days", len(dates))
	}
	qfiles, err := sink.ListDataFiles(f.lake, flatten.TableQuarantine)
	if err != nil {
		t.Fatal(err)
	}
	for _, df := range qfiles {
		if !strings.HasPrefix(df.Hive, "ingest_date=") {
			t.Errorf("quarantine file in %s", df.Hive)
		}
	}
}

// TestRollsOnSize: with the record limit and the age deadline far away,
// files are published when one of them reaches max_file_bytes.
//
// Under -short the limit is 128 KiB, an eighth of the smallest size the
// configuration accepts (the lander does not validate again, and the roll
// does not depend on the size), with an eighth of the records and row
// groups, so the files still roll on size at least twice.
func TestRollsOnSize(t *testing.T) {
	f := newFixture(t, 1)
	limit := int64(size(1<<20, 128<<10))
	n := size(12000, 1500)
	f.cfg.Lake.Roll.MaxFileRecords = 1_000_000
	f.cfg.Lake.Roll.MaxFileBytes = config.ByteSize(limit)
	f.cfg.Lake.Roll.MaxFileAge = time.Hour
	f.cfg.Lake.RowGroupRows = size(500, 64)
	gen := attemptgen.New(attemptgen.Config{Seed: 13})
	f.produce(t, gen, n)
	stop := f.run(t)
	// Only the size limit can publish before the hour is up.
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := sink.ReadState(f.lake, topic, 0)
		if err != nil {
			t.Fatal(err)
		}
		if st != nil && st.Last >= int64(n/2) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no size-based flush within 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	f.cfg.Lake.Roll.MaxFileAge = time.Second // land the rest on a short deadline
	stop = f.run(t)
	f.waitLanded(t, 60*time.Second)
	stop()
	f.checkExactlyOnce(t)
	files, err := sink.ListDataFiles(f.lake, flatten.TableQuestions)
	if err != nil {
		t.Fatal(err)
	}
	big := 0
	for _, df := range files {
		if df.Size >= limit {
			big++
		}
		// A file closes at most one row group past the limit.
		if df.Size > 2*limit {
			t.Errorf("%s is %d bytes, far past the %d-byte limit", df.Path, df.Size, limit)
		}
	}
	if big < 2 {
		t.Errorf("%d questions files, %d of them at the size limit; want at least 2 rolls on size", len(files), big)
	}
}
