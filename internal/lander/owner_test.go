package lander

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/landerd/landerd/internal/attemptgen"
	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// memLake is an in-memory lakePartition: it keeps the flushes published to
// it, with the table, Hive partition and rows of each file.
type memLake struct {
	open      map[*sink.ParquetFile]memFile
	flushes   []memFlush
	abandoned int
	publish   error // returned by the next Publish, when set
}

type memFile struct {
	table, hive string
	data        *memData
}

// memFlush is one published flush.
type memFlush struct {
	first, last int64
	rows        map[string]int64 // by table/hive
}

type memData struct{ bytes.Buffer }

func (*memData) Close() error { return nil }

func newMemLake() *memLake { return &memLake{open: map[*sink.ParquetFile]memFile{}} }

func (m *memLake) Create(table, hive string, schema *arrow.Schema, opts sink.WriterOptions) (*sink.ParquetFile, error) {
	d := &memData{}
	pf, err := sink.NewParquetFile(d, schema, opts)
	if err != nil {
		return nil, err
	}
	m.open[pf] = memFile{table: table, hive: hive, data: d}
	return pf, nil
}

func (m *memLake) Publish(_ context.Context, files []*sink.ParquetFile, first, last int64) error {
	if err := m.publish; err != nil {
		m.publish = nil
		return err
	}
	f := memFlush{first: first, last: last, rows: map[string]int64{}}
	for _, pf := range files {
		mf, ok := m.open[pf]
		if !ok {
			return fmt.Errorf("publish of a file not created here")
		}
		if err := pf.Close(); err != nil {
			return err
		}
		if mf.data.Len() == 0 {
			return fmt.Errorf("%s/%s: empty file", mf.table, mf.hive)
		}
		f.rows[mf.table+"/"+mf.hive] += pf.Rows()
		delete(m.open, pf)
	}
	m.flushes = append(m.flushes, f)
	return nil
}

// Committed implements lakePartition: memLake keeps no state.
func (m *memLake) Committed() *sink.State { return nil }

func (m *memLake) Abandon() error {
	m.abandoned++
	var errs []error
	for pf := range m.open {
		errs = append(errs, pf.Close())
		delete(m.open, pf)
	}
	return errors.Join(errs...)
}

// fakeClock is the owner's clock in tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// ownerRig is an owner wired to a fake clock, an in-memory lake, a checked
// allocator, observed logs and its own metrics registry.
type ownerRig struct {
	o      *owner
	lake   *memLake
	clock  *fakeClock
	mem    *memory.CheckedAllocator
	logs   *observer.ObservedLogs
	reg    *prometheus.Registry
	landed []int64
}

func newOwnerRig(t *testing.T, start time.Time, policy rollPolicy, partitionBy config.PartitionBy, next int64) *ownerRig {
	t.Helper()
	r := &ownerRig{lake: newMemLake(), clock: &fakeClock{t: start}, mem: memory.NewCheckedAllocator(memory.NewGoAllocator())}
	core, logs := observer.New(zap.InfoLevel)
	r.logs = logs
	r.reg = prometheus.NewRegistry()
	conf := &ownerConfig{
		now: r.clock.now, alloc: r.mem, maxMessageBytes: 1 << 20, partitionBy: partitionBy,
		compression: "zstd", rowGroupRows: 1000, roll: policy,
	}
	events := &ownerEvents{metrics: metrics.NewLander(r.reg), quarantined: func(string, int32, int64, *flatten.InvalidError) {}}
	budget := &memoryBudget{total: 64 << 20}
	budget.assigned.Store(1)
	r.o = newOwner(conf, budget, events, zap.New(core), r.lake, "t", 3, next, func(n int64) { r.landed = append(r.landed, n) })
	return r
}

// reasons returns the reason of every "flush published" log line, in order.
func (r *ownerRig) reasons() []rollReason {
	var out []rollReason
	for _, e := range r.logs.FilterMessage("flush published").All() {
		out = append(out, rollReason(e.ContextMap()["reason"].(string)))
	}
	return out
}

// flushMetric returns landerd_flush_duration_seconds' count by reason.
func (r *ownerRig) flushMetric(t *testing.T) map[rollReason]uint64 {
	t.Helper()
	fams, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[rollReason]uint64{}
	for _, f := range fams {
		if f.GetName() != "landerd_flush_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			out[rollReason(label(m, "reason"))] += m.GetHistogram().GetSampleCount()
		}
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// step is one thing that happens to an owner.
type step struct {
	wait   time.Duration // advance the clock first
	add    int           // then add this many records (from the test's generator)
	bad    bool          // ... as malformed ones
	day    int           // ... starting on this day after the generator's start (event_date tests)
	tick   bool          // or fire the age timer
	close  rollReason    // or end the owner for revoke or shutdown
	offset int64         // the next record's offset, when not the previous + 1
}

// wantFlush is a published flush.
type wantFlush struct {
	reason      rollReason
	first, last int64
}

// midnight is a UTC day boundary.
var midnight = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// TestOwnerRolls drives an owner directly, with a fake clock and an
// in-memory lake, through every reason files roll, and checks which
// flushes were published, why, and which offsets were reported landed.
func TestOwnerRolls(t *testing.T) {
	base := rollPolicy{maxRecords: 1000, maxBytes: 1 << 30, maxAge: time.Minute, maxHives: maxOpenHives, daily: true}
	with := func(change func(*rollPolicy)) rollPolicy {
		p := base
		change(&p)
		return p
	}
	tests := []struct {
		name         string
		start        time.Time
		policy       rollPolicy
		partitionBy  config.PartitionBy
		rowGroupRows int   // 1000 when 0
		next         int64 // what the lake holds already
		steps        []step
		want         []wantFlush
		deadline     time.Duration // after start, once the steps ran; 0 for none
	}{
		{name: "nothing due", start: midnight.Add(time.Hour), policy: base,
			steps:    []step{{add: 5}, {wait: 59 * time.Second, tick: true}},
			deadline: time.Minute},
		{name: "records", start: midnight.Add(time.Hour), policy: with(func(p *rollPolicy) { p.maxRecords = 4 }),
			steps: []step{{add: 10}},
			want:  []wantFlush{{rollRecords, 0, 3}, {rollRecords, 4, 7}},
			// records 8 and 9 wait for their age
			deadline: time.Minute},
		{name: "bytes", start: midnight.Add(time.Hour), policy: with(func(p *rollPolicy) { p.maxBytes = 1 }), rowGroupRows: 2,
			steps:    []step{{add: 3}},
			want:     []wantFlush{{rollBytes, 0, 1}},
			deadline: time.Minute},
		{name: "age on the timer while idle", start: midnight.Add(time.Hour), policy: base,
			steps: []step{{add: 3}, {wait: 30 * time.Second, add: 2}, {wait: 30 * time.Second, tick: true}, {wait: time.Hour, tick: true}},
			want:  []wantFlush{{rollAge, 0, 4}}},
		{name: "age when a record arrives late", start: midnight.Add(time.Hour), policy: base,
			steps:    []step{{add: 2}, {wait: 2 * time.Minute, add: 1}},
			want:     []wantFlush{{rollAge, 0, 1}},
			deadline: 3 * time.Minute},
		{name: "utc day change", start: midnight.Add(-2 * time.Second), policy: base,
			steps:    []step{{add: 2}, {wait: 3 * time.Second, add: 2}},
			want:     []wantFlush{{rollDay, 0, 1}},
			deadline: 3*time.Second + time.Minute},
		{name: "no day roll for event_date", start: midnight.Add(-2 * time.Second), policy: with(func(p *rollPolicy) { p.daily = false }),
			partitionBy: partitionByEvent,
			steps:       []step{{add: 2}, {wait: 3 * time.Second, add: 2}},
			deadline:    time.Minute},
		{name: "open hive limit", start: midnight.Add(time.Hour), policy: with(func(p *rollPolicy) { p.maxHives = 2; p.daily = false }),
			partitionBy: partitionByEvent,
			steps:       []step{{add: 2, day: 0}, {add: 2, day: 1}, {add: 1, day: 2}, {add: 1, day: 3}},
			want:        []wantFlush{{rollHives, 0, 4}},
			deadline:    time.Minute},
		{name: "revoke", start: midnight.Add(time.Hour), policy: base,
			steps: []step{{add: 4}, {close: rollRevoke}},
			want:  []wantFlush{{rollRevoke, 0, 3}}},
		{name: "shutdown", start: midnight.Add(time.Hour), policy: base,
			steps: []step{{add: 4, bad: true}, {add: 2}, {close: rollShutdown}},
			want:  []wantFlush{{rollShutdown, 0, 5}}},
		{name: "shutdown with nothing buffered", start: midnight.Add(time.Hour), policy: base,
			steps: []step{{close: rollShutdown}}},
		{name: "records the lake holds are skipped", start: midnight.Add(time.Hour), policy: base, next: 3,
			steps: []step{{add: 5}, {close: rollShutdown}},
			want:  []wantFlush{{rollShutdown, 3, 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			partitionBy := tt.partitionBy
			if partitionBy == "" {
				partitionBy = partitionByIngest
			}
			next := tt.next
			if next == 0 {
				next = -1
			}
			r := newOwnerRig(t, tt.start, tt.policy, partitionBy, next)
			if tt.rowGroupRows > 0 {
				r.o.conf.rowGroupRows = tt.rowGroupRows
			}
			ctx := context.Background()
			gens := map[int]*attemptgen.Generator{}
			offset := int64(0)
			for _, s := range tt.steps {
				r.clock.advance(s.wait)
				for range s.add {
					g := gens[s.day]
					if g == nil {
						g = attemptgen.New(attemptgen.Config{Seed: int64(s.day), Start: midnight.AddDate(0, 0, -10+s.day), Span: time.Hour})
						gens[s.day] = g
					}
					value := g.Next().Value
					if s.bad {
						value = []byte(`{"keen_id": tru`)
					}
					if err := r.o.add(ctx, record{offset: offset, value: value, timestamp: r.clock.t}); err != nil {
						t.Fatalf("add offset %d: %v", offset, err)
					}
					offset++
				}
				if s.tick {
					if err := r.o.tick(ctx); err != nil {
						t.Fatalf("tick: %v", err)
					}
				}
				if s.close != rollNone {
					if err := r.o.close(ctx, s.close); err != nil {
						t.Fatalf("close: %v", err)
					}
				}
			}
			var got []wantFlush
			for i, f := range r.lake.flushes {
				why := rollNone
				if rs := r.reasons(); i < len(rs) {
					why = rs[i]
				}
				got = append(got, wantFlush{why, f.first, f.last})
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("flushes = %v, want %v", got, tt.want)
			}
			var wantLanded []int64
			wantMetric := map[rollReason]uint64{}
			for _, w := range tt.want {
				wantLanded = append(wantLanded, w.last+1)
				wantMetric[w.reason]++
			}
			if fmt.Sprint(r.landed) != fmt.Sprint(wantLanded) {
				t.Errorf("landed = %v, want %v", r.landed, wantLanded)
			}
			if got := r.flushMetric(t); fmt.Sprint(got) != fmt.Sprint(wantMetric) {
				t.Errorf("flush metric by reason = %v, want %v", got, wantMetric)
			}
			wantDeadline := time.Time{}
			if tt.deadline != 0 {
				wantDeadline = tt.start.Add(tt.deadline)
			}
			if d := r.o.deadline(); !d.Equal(wantDeadline) {
				t.Errorf("deadline = %v, want %v", d, wantDeadline)
			}
			r.o.abandon()
			r.mem.AssertSize(t, 0)
		})
	}
}

// TestOwnerRollRows checks what a flush holds: each record once, in its
// table and Hive partition.
func TestOwnerRollRows(t *testing.T) {
	r := newOwnerRig(t, midnight.Add(-time.Second), rollPolicy{maxRecords: 1000, maxBytes: 1 << 30, maxAge: time.Minute, maxHives: 16, daily: true}, partitionByIngest, -1)
	ctx := context.Background()
	g := attemptgen.New(attemptgen.Config{Seed: 1})
	add := func(offset int64, value []byte) {
		t.Helper()
		if err := r.o.add(ctx, record{offset: offset, value: value}); err != nil {
			t.Fatal(err)
		}
	}
	add(0, g.Next().Value)
	add(1, []byte("not json"))
	r.clock.advance(2 * time.Second) // the next UTC day
	add(2, g.Next().Value)
	if err := r.o.close(ctx, rollShutdown); err != nil {
		t.Fatal(err)
	}
	want := []map[string]int64{
		{"attempts/ingest_date=2026-11-24": 1, "questions/ingest_date=2026-11-24": r.lake.flushes[0].rows["questions/ingest_date=2026-11-24"], "_quarantine/ingest_date=2026-11-24": 1},
		{"attempts/ingest_date=2026-11-25": 1, "questions/ingest_date=2026-11-25": r.lake.flushes[1].rows["questions/ingest_date=2026-11-25"]},
	}
	if len(r.lake.flushes) != 2 {
		t.Fatalf("%d flushes, want 2", len(r.lake.flushes))
	}
	for i, f := range r.lake.flushes {
		if fmt.Sprint(f.rows) != fmt.Sprint(want[i]) {
			t.Errorf("flush %d rows = %v, want %v", i, f.rows, want[i])
		}
		if f.rows["questions/"+fmt.Sprint("ingest_date=2026-11-2", 4+i)] == 0 {
			t.Errorf("flush %d has no questions", i)
		}
	}
	if fmt.Sprint(r.reasons()) != "[day shutdown]" {
		t.Errorf("reasons = %v, want [day shutdown]", r.reasons())
	}
	r.mem.AssertSize(t, 0)
}

// TestOwnerPublishFailure checks that a failed publish reports nothing
// landed, and that close abandons the unpublished files.
func TestOwnerPublishFailure(t *testing.T) {
	r := newOwnerRig(t, midnight.Add(time.Hour), rollPolicy{maxRecords: 1000, maxBytes: 1 << 30, maxAge: time.Minute, maxHives: 16, daily: true}, partitionByIngest, -1)
	ctx := context.Background()
	g := attemptgen.New(attemptgen.Config{Seed: 2})
	for i := range 3 {
		if err := r.o.add(ctx, record{offset: int64(i), value: g.Next().Value}); err != nil {
			t.Fatal(err)
		}
	}
	r.lake.publish = sink.ErrFenced
	if err := r.o.close(ctx, rollRevoke); !errors.Is(err, sink.ErrFenced) {
		t.Fatalf("close = %v, want ErrFenced", err)
	}
	if len(r.landed) != 0 || len(r.lake.flushes) != 0 || r.lake.abandoned != 1 {
		t.Errorf("landed %v, %d flushes, %d abandons; want none, none, 1", r.landed, len(r.lake.flushes), r.lake.abandoned)
	}
	r.mem.AssertSize(t, 0)
}

// startedAt is the started_at member of a generated attempt's JSON.
var startedAt = regexp.MustCompile(`"started_at":"[^"]*"`)

// TestOwnerOwnPartitions checks where an owner puts an attempt's rows
// under event_date: for a table format (ownPartitions) attempts by
// started_at's day, or event_date=null when it is null, and questions by
// landing day; in the Hive layout attempts and questions together by
// started_at's day, or the landing day when it is null.
func TestOwnerOwnPartitions(t *testing.T) {
	// Four attempts started on 2026-11-20 and 21 and one with no
	// started_at, landed on 2026-11-24, then one with no started_at
	// landed on 2026-11-25, and a malformed record.
	for _, tc := range []struct {
		name string
		own  bool
		want map[string][2]int64 // table/hive: attempts rows, whether questions rows are there
	}{
		{"table_format", true, map[string][2]int64{
			"attempts/event_date=2026-11-20":     {2, 0},
			"attempts/event_date=2026-11-21":     {2, 0},
			"attempts/event_date=null":           {2, 0},
			"questions/ingest_date=2026-11-24":   {0, 1},
			"questions/ingest_date=2026-11-25":   {0, 1},
			"_quarantine/ingest_date=2026-11-25": {1, 0},
		}},
		{"hive", false, map[string][2]int64{
			"attempts/event_date=2026-11-20":     {2, 0},
			"attempts/event_date=2026-11-21":     {2, 0},
			"attempts/event_date=2026-11-24":     {1, 0},
			"attempts/event_date=2026-11-25":     {1, 0},
			"questions/event_date=2026-11-20":    {0, 1},
			"questions/event_date=2026-11-21":    {0, 1},
			"questions/event_date=2026-11-24":    {0, 1},
			"questions/event_date=2026-11-25":    {0, 1},
			"_quarantine/ingest_date=2026-11-25": {1, 0},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newOwnerRig(t, midnight.Add(-time.Minute), rollPolicy{maxRecords: 1000, maxBytes: 1 << 30, maxAge: time.Hour, maxHives: 16}, partitionByEvent, -1)
			r.o.conf.ownPartitions = tc.own
			ctx := context.Background()
			g := attemptgen.New(attemptgen.Config{Seed: 3})
			add := func(offset int64, value []byte) {
				t.Helper()
				if err := r.o.add(ctx, record{offset: offset, value: value}); err != nil {
					t.Fatal(err)
				}
			}
			started := func(v string) []byte { return startedAt.ReplaceAll(g.Next().Value, []byte(`"started_at":`+v)) }
			add(0, started(`"2026-11-20T00:00:00Z"`))
			add(1, started(`"2026-11-21T23:59:59.999Z"`))
			add(2, started(`"2026-11-20T23:59:59Z"`))
			add(3, started(`"2026-11-21T08:00:00+00:00"`))
			add(4, started(`null`))
			r.clock.advance(2 * time.Minute) // the next UTC day: no roll under event_date
			add(5, started(`null`))
			add(6, []byte("not json"))
			if err := r.o.close(ctx, rollShutdown); err != nil {
				t.Fatal(err)
			}
			if len(r.lake.flushes) != 1 {
				t.Fatalf("%d flushes, want 1", len(r.lake.flushes))
			}
			got := r.lake.flushes[0].rows
			if len(got) != len(tc.want) {
				t.Errorf("files %v, want %v", got, tc.want)
			}
			for k, w := range tc.want {
				n, ok := got[k]
				switch {
				case !ok:
					t.Errorf("no file %s: files %v", k, got)
				case w[0] > 0 && n != w[0]:
					t.Errorf("%s: %d rows, want %d", k, n, w[0])
				case w[1] > 0 && n == 0:
					t.Errorf("%s: no questions rows", k)
				}
			}
			r.mem.AssertSize(t, 0)
		})
	}
}
