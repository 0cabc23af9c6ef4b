package sink

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"path"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/landerd/landerd/pkg/flatten"
)

var errCrash = errors.New("simulated crash")

func mustClaim(t testing.TB, fsys FS, topic string, partition int32) *Partition {
	t.Helper()
	p, err := Claim(context.Background(), fsys, topic, partition)
	if err != nil {
		t.Fatalf("claim %s/%d: %v", topic, partition, err)
	}
	return p
}

// wantRows checks that the lake holds exactly offsets first..last, once each.
func wantRows(t testing.TB, fsys FS, first, last int64) {
	t.Helper()
	got := lakeRows(t, fsys)
	want := map[int64]int{}
	for o := first; o <= last && last >= 0; o++ {
		want[o] = 1
	}
	if len(got) != len(want) {
		t.Fatalf("lake holds %d distinct offsets; want %d (%d..%d)", len(got), len(want), first, last)
	}
	for o, n := range got {
		if want[o] != n {
			t.Fatalf("offset %d appears %d times; want %d", o, n, want[o])
		}
	}
}

func TestClaimEmptyLake(t *testing.T) {
	lake := newTestLake(t)
	p := mustClaim(t, lake, "attempts.v1", 3)
	if p.NextOffset() != -1 || p.Epoch() != 1 || p.Recovered() != (Recovery{}) {
		t.Fatalf("claim of empty lake: next %d epoch %d recovered %+v; want -1, 1, zero", p.NextOffset(), p.Epoch(), p.Recovered())
	}
	if got := listNames(t, lake, "_landerd/attempts.v1/00003"); !slices.Equal(got, []string{"epoch-0000000001", "tmp"}) {
		t.Fatalf("partition dir = %q", got)
	}
	if got := listNames(t, lake, "_landerd/attempts.v1/00003/epoch-0000000001"); !slices.Equal(got, []string{"claim"}) {
		t.Fatalf("epoch dir = %q", got)
	}
	// A second claim fences the first: its epoch dir disappears.
	q := mustClaim(t, lake, "attempts.v1", 3)
	if q.Epoch() != 2 {
		t.Fatalf("second claim epoch = %d; want 2", q.Epoch())
	}
	if got := listNames(t, lake, "_landerd/attempts.v1/00003"); !slices.Equal(got, []string{"epoch-0000000002", "tmp"}) {
		t.Fatalf("partition dir after second claim = %q", got)
	}
}

func TestPublishMakesFilesVisible(t *testing.T) {
	ctx := context.Background()
	lake := newTestLake(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := mustClaim(t, lake, "topic-a", 0)
	if err := flush(t, ctx, p, mem, offsetRange(0, 9)); err != nil {
		t.Fatal(err)
	}
	if p.NextOffset() != 10 {
		t.Fatalf("next after first flush = %d; want 10", p.NextOffset())
	}
	// Offsets may have gaps between flushes.
	if err := flush(t, ctx, p, mem, offsetRange(15, 20)); err != nil {
		t.Fatal(err)
	}

	var got []string
	for _, table := range []string{flatten.TableAttempts, flatten.TableQuarantine} {
		files, err := ListDataFiles(lake, table)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			got = append(got, f.Path)
		}
	}
	want := []string{
		"attempts/ingest_date=2026-11-24/topic-a-00000-0000000000000000001-0000000000000000004.parquet",
		"attempts/ingest_date=2026-11-24/topic-a-00000-0000000000000000016-0000000000000000017.parquet",
		"attempts/ingest_date=2026-11-25/topic-a-00000-0000000000000000005-0000000000000000008.parquet",
		"attempts/ingest_date=2026-11-25/topic-a-00000-0000000000000000019-0000000000000000020.parquet",
		"_quarantine/ingest_date=2026-11-24/topic-a-00000-0000000000000000000-0000000000000000009.parquet",
		"_quarantine/ingest_date=2026-11-24/topic-a-00000-0000000000000000015-0000000000000000018.parquet",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("published files:\n%q\nwant\n%q", got, want)
	}
	counts := lakeRows(t, lake)
	for _, o := range append(offsetRange(0, 9), offsetRange(15, 20)...) {
		if counts[o] != 1 {
			t.Fatalf("offset %d appears %d times; want 1", o, counts[o])
		}
	}
	if len(counts) != 16 {
		t.Fatalf("lake holds %d offsets; want 16", len(counts))
	}

	st, err := ReadState(lake, "topic-a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.First != 15 || st.Last != 20 || st.Epoch != 1 || len(st.Files) != 3 || st.Topic != "topic-a" {
		t.Fatalf("state = %+v", st)
	}
	for _, f := range st.Files {
		fi, err := lake.Stat(f.Final)
		if err != nil || fi.Size() != f.Bytes {
			t.Fatalf("state file %s: stat %v, %v; want size %d", f.Final, fi, err, f.Bytes)
		}
	}
	if got := listNames(t, lake, "_landerd/topic-a/00000/tmp"); len(got) != 0 {
		t.Fatalf("tmp after publish = %q; want empty", got)
	}

	q := mustClaim(t, lake, "topic-a", 0)
	if q.NextOffset() != 21 || q.Recovered() != (Recovery{}) {
		t.Fatalf("reclaim: next %d recovered %+v; want 21, nothing", q.NextOffset(), q.Recovered())
	}
}

// A crash after the commit point but before (some of) the data renames is
// completed by the next Claim.
func TestClaimRollsForwardCommittedFlush(t *testing.T) {
	tests := []struct {
		crashAt      string
		rolled       int
		visibleEarly int // data files of the crashed flush visible before the new claim
	}{
		{"committed", 3, 0},
		{"renamed-0", 2, 1},
		{"renamed-1", 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.crashAt, func(t *testing.T) {
			ctx := context.Background()
			lake := newTestLake(t)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			p := mustClaim(t, lake, "t", 1)
			if err := flush(t, ctx, p, mem, offsetRange(0, 9)); err != nil {
				t.Fatal(err)
			}
			p.hook = func(point string) error {
				if point == tt.crashAt {
					return errCrash
				}
				return nil
			}
			err := flush(t, ctx, p, mem, offsetRange(10, 19))
			if !errors.Is(err, errCrash) {
				t.Fatalf("publish: %v; want the simulated crash", err)
			}
			counts := lakeRows(t, lake)
			if len(counts) == 20 {
				t.Fatal("the crashed flush is fully visible before recovery; the crash point is wrong")
			}
			files, _ := ListDataFiles(lake, flatten.TableAttempts)
			qfiles, _ := ListDataFiles(lake, flatten.TableQuarantine)
			if got := len(files) + len(qfiles) - 3; got != tt.visibleEarly {
				t.Fatalf("%d files of the crashed flush visible before recovery; want %d", got, tt.visibleEarly)
			}
			// Committed but not all in place: the flush before it is
			// the last one landed.
			wantLanded(t, lake, 10)

			q := mustClaim(t, lake, "t", 1)
			if q.Recovered() != (Recovery{RolledForward: tt.rolled}) {
				t.Fatalf("recovered = %+v; want %d rolled forward", q.Recovered(), tt.rolled)
			}
			if q.NextOffset() != 20 {
				t.Fatalf("next = %d; want 20", q.NextOffset())
			}
			wantRows(t, lake, 0, 19)
			wantLanded(t, lake, 20)
			if err := flush(t, ctx, q, mem, offsetRange(20, 25)); err != nil {
				t.Fatal(err)
			}
			wantRows(t, lake, 0, 25)
			wantLanded(t, lake, 26)
		})
	}
}

// wantLanded checks what Landed says of partition t/1.
func wantLanded(t *testing.T, lake FS, want int64) {
	t.Helper()
	got, err := Landed(lake, "t", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("landed = %d; want %d", got, want)
	}
}

// A crash before the commit point leaves nothing visible; the next Claim
// deletes the orphans and resumes at the same offset.
func TestClaimRemovesOrphansOfUncommittedFlush(t *testing.T) {
	tests := []struct {
		name    string
		crash   func(p *Partition, files []*ParquetFile) error
		orphans int
	}{
		{"while writing", func(p *Partition, files []*ParquetFile) error { return errCrash }, 3},
		{"after close", func(p *Partition, files []*ParquetFile) error {
			p.hook = func(point string) error {
				if point == "closed" {
					return errCrash
				}
				return nil
			}
			return p.Publish(context.Background(), files, 10, 19)
		}, 3},
		{"abandoned", func(p *Partition, files []*ParquetFile) error { return p.Abandon() }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			lake := newTestLake(t)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			p := mustClaim(t, lake, "t", 0)
			if err := flush(t, ctx, p, mem, offsetRange(0, 9)); err != nil {
				t.Fatal(err)
			}
			files, err := writeFlush(t, p, mem, offsetRange(10, 19))
			if err != nil {
				t.Fatal(err)
			}
			_ = tt.crash(p, files)
			for _, f := range files {
				_ = f.Close() // a crashed process releases its files
			}
			wantRows(t, lake, 0, 9)

			q := mustClaim(t, lake, "t", 0)
			if q.Recovered() != (Recovery{OrphansRemoved: tt.orphans}) || q.NextOffset() != 10 {
				t.Fatalf("recovered %+v next %d; want %d orphans, 10", q.Recovered(), q.NextOffset(), tt.orphans)
			}
			if got := listNames(t, lake, "_landerd/t/00000/tmp"); len(got) != 0 {
				t.Fatalf("tmp after claim = %q; want empty", got)
			}
			if err := flush(t, ctx, q, mem, offsetRange(10, 19)); err != nil {
				t.Fatal(err)
			}
			wantRows(t, lake, 0, 19)
		})
	}
}

// An owner that lost the partition cannot publish, whether its files were
// created before or after the new owner's claim.
func TestStaleOwnerIsFenced(t *testing.T) {
	ctx := context.Background()
	lake := newTestLake(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	a := mustClaim(t, lake, "t", 0)
	if err := flush(t, ctx, a, mem, offsetRange(0, 4)); err != nil {
		t.Fatal(err)
	}
	early, err := writeFlush(t, a, mem, offsetRange(5, 9)) // before B claims
	if err != nil {
		t.Fatal(err)
	}

	b := mustClaim(t, lake, "t", 0)
	if b.NextOffset() != 5 || b.Recovered().OrphansRemoved != len(early) {
		t.Fatalf("B: next %d recovered %+v; want 5 and %d orphans", b.NextOffset(), b.Recovered(), len(early))
	}
	stateBefore := readRaw(t, lake, "_landerd/t/00000/state.json")

	if err := a.Publish(ctx, early, 5, 9); !errors.Is(err, ErrFenced) {
		t.Fatalf("A publish of files created before B's claim: %v; want ErrFenced", err)
	}
	a2 := *a // the same stale owner, trying again with files created after B's claim
	a2.done = nil
	late, err := writeFlush(t, &a2, mem, offsetRange(5, 9))
	if err != nil {
		t.Fatal(err)
	}
	if err := a2.Publish(ctx, late, 5, 9); !errors.Is(err, ErrFenced) {
		t.Fatalf("A publish of files created after B's claim: %v; want ErrFenced", err)
	}
	if err := a2.Abandon(); err != nil {
		t.Fatal(err)
	}
	if got := readRaw(t, lake, "_landerd/t/00000/state.json"); got != stateBefore {
		t.Fatal("the fenced owner changed state.json")
	}
	wantRows(t, lake, 0, 4)
	if got := listNames(t, lake, "_landerd/t/00000/tmp"); len(got) != 0 {
		t.Fatalf("tmp after A abandoned = %q; want empty", got)
	}

	if err := flush(t, ctx, b, mem, offsetRange(5, 12)); err != nil {
		t.Fatalf("B publish: %v", err)
	}
	wantRows(t, lake, 0, 12)
	if got := mustClaim(t, lake, "t", 0).NextOffset(); got != 13 {
		t.Fatalf("next after B = %d; want 13", got)
	}
}

// Of owners claiming at the same time, only the one with the highest epoch
// can publish.
func TestConcurrentClaims(t *testing.T) {
	ctx := context.Background()
	lake := newTestLake(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const n = 8
	parts := make([]*Partition, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { parts[i], errs[i] = Claim(ctx, lake, "t", 0) })
	}
	wg.Wait()
	var owners []*Partition
	for i, err := range errs {
		switch {
		case err == nil:
			owners = append(owners, parts[i])
		case !errors.Is(err, ErrFenced):
			t.Fatalf("claim %d: %v", i, err)
		}
	}
	if len(owners) == 0 {
		t.Fatal("no claim succeeded")
	}
	slices.SortFunc(owners, func(a, b *Partition) int { return int(a.Epoch() - b.Epoch()) })
	for i, p := range owners {
		if i > 0 && p.Epoch() == owners[i-1].Epoch() {
			t.Fatalf("two owners got epoch %d", p.Epoch())
		}
		err := flush(t, ctx, p, mem, offsetRange(0, 3))
		if last := i == len(owners)-1; last != (err == nil) {
			t.Fatalf("owner with epoch %d of %d: publish err = %v", p.Epoch(), owners[len(owners)-1].Epoch(), err)
		}
		if err != nil {
			if !errors.Is(err, ErrFenced) {
				t.Fatalf("stale owner: %v; want ErrFenced", err)
			}
			if err := p.Abandon(); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantRows(t, lake, 0, 3)
}

func TestPublishValidates(t *testing.T) {
	ctx := context.Background()
	lake := newTestLake(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	other := mustClaim(t, lake, "t", 1)
	foreign, err := writeFlush(t, other, mem, offsetRange(0, 2))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Abandon()

	tests := []struct {
		name        string
		files       func(p *Partition) []*ParquetFile
		first, last int64
	}{
		{"no files", func(p *Partition) []*ParquetFile { return nil }, 10, 12},
		{"first after last", func(p *Partition) []*ParquetFile { return mustWrite(t, p, mem, 10, 12) }, 12, 10},
		{"already published", func(p *Partition) []*ParquetFile { return mustWrite(t, p, mem, 9, 12) }, 9, 12},
		{"rows outside the flush", func(p *Partition) []*ParquetFile { return mustWrite(t, p, mem, 10, 14) }, 10, 12},
		{"file of another partition", func(p *Partition) []*ParquetFile { return foreign }, 10, 12},
		{"empty file", func(p *Partition) []*ParquetFile {
			pf, err := p.Create(flatten.TableAttempts, "", testSchema, WriterOptions{Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			return []*ParquetFile{pf}
		}, 10, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustClaim(t, lake, "t", 0)
			if p.NextOffset() < 0 {
				if err := flush(t, ctx, p, mem, offsetRange(0, 9)); err != nil {
					t.Fatal(err)
				}
			}
			before := lakeRows(t, lake)
			if err := p.Publish(ctx, tt.files(p), tt.first, tt.last); err == nil {
				t.Fatal("publish succeeded; want a validation error")
			}
			if err := p.Abandon(); err != nil {
				t.Fatal(err)
			}
			if after := lakeRows(t, lake); len(after) != len(before) {
				t.Fatalf("a rejected flush changed the lake: %d offsets, was %d", len(after), len(before))
			}
		})
	}
}

func mustWrite(t testing.TB, p *Partition, mem memory.Allocator, first, last int64) []*ParquetFile {
	t.Helper()
	files, err := writeFlush(t, p, mem, offsetRange(first, last))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestAbandonRemovesTmpFilesAndEndsPartition(t *testing.T) {
	lake := newTestLake(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := mustClaim(t, lake, "t", 0)
	if _, err := writeFlush(t, p, mem, offsetRange(0, 9)); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, lake, "_landerd/t/00000/tmp"); len(got) != 3 {
		t.Fatalf("tmp holds %q; want 3 files", got)
	}
	if err := p.Abandon(); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, lake, "_landerd/t/00000/tmp"); len(got) != 0 {
		t.Fatalf("tmp after abandon = %q; want empty", got)
	}
	if _, err := p.Create(flatten.TableAttempts, "", testSchema, WriterOptions{}); err == nil {
		t.Fatal("create after abandon succeeded")
	}
}

func TestClaimReportsCorruptState(t *testing.T) {
	ctx := context.Background()
	lake := newTestLake(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := mustClaim(t, lake, "t", 0)
	p.hook = func(point string) error {
		if point == "committed" {
			return errCrash
		}
		return nil
	}
	if err := flush(t, ctx, p, mem, offsetRange(0, 9)); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	st, err := ReadState(lake, "t", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := lake.RemoveAll(st.Files[1].Tmp); err != nil { // lost under both names
		t.Fatal(err)
	}
	_, err = Claim(ctx, lake, "t", 0)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("claim: %v; want ErrCorrupt", err)
	}

	// An unreadable state is corrupt too.
	if err := lake.RemoveAll("_landerd/t/00000/state.json"); err != nil {
		t.Fatal(err)
	}
	f, err := lake.Create("_landerd/t/00000/state.json")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte("{not json"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Claim(ctx, lake, "t", 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("claim with bad state.json: %v; want ErrCorrupt", err)
	}
}

func TestStateJSONFields(t *testing.T) {
	ctx := context.Background()
	lake := newTestLake(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := mustClaim(t, lake, "t", 7)
	p.now = func() time.Time { return time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) }
	if err := flush(t, ctx, p, mem, offsetRange(3, 5)); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(readRaw(t, lake, "_landerd/t/00007/state.json")), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"topic", "partition", "epoch", "first", "last", "published_at", "files"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("state.json lacks %q", k)
		}
	}
	if raw["published_at"] != "2026-11-24T10:00:00Z" || raw["first"] != 3.0 || raw["last"] != 5.0 {
		t.Errorf("state.json = %v", raw)
	}
	f0 := raw["files"].([]any)[0].(map[string]any)
	for _, k := range []string{"table", "tmp", "final", "rows", "bytes", "first", "last"} {
		if _, ok := f0[k]; !ok {
			t.Errorf("state.json file entry lacks %q", k)
		}
	}
	if f0["tmp"] != path.Join("_landerd/t/00007/tmp", "e0000000001-000001-_quarantine.parquet.tmp") {
		t.Errorf("tmp = %v", f0["tmp"])
	}
}

func readRaw(t testing.TB, fsys FS, name string) string {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
