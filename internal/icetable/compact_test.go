package icetable

import (
	"context"
	"encoding/json"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/catalogtest"
)

// TestCompactPinsItsBase compacts a table whose first rewrite commit
// loses the catalog's compare-and-swap to a flush of another partition
// (table.ErrCommitFailed, after the flush committed), on a table that
// lets iceberg-go retry commits by itself (commit.retry.num-retries, as
// another tool may set). iceberg-go would replay the rewrite onto the
// flush with the offsets it read before the flush; the rewrite must
// instead be rebuilt on the new base and carry its offsets, so that the
// offsets stay right even once every snapshot before it is expired.
func TestCompactPinsItsBase(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	lander, _ := l.tables(nil)
	var states []*sink.State
	for i := range int64(6) {
		st := l.publish(ctx, int32(i%2), 50*(i/2), 50*(i/2)+49)
		if err := lander.Commit(ctx, st); err != nil {
			t.Fatal(err)
		}
		states = append(states, st)
	}
	cat, err := lander.catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	load := func() *table.Table {
		t.Helper()
		tbl, err := cat.LoadTable(ctx, lander.ident(flatten.TableAttempts))
		if err != nil {
			t.Fatal(err)
		}
		return tbl
	}
	tx := load().NewTransaction()
	if err := tx.SetProperties(iceberg.Properties{table.CommitNumRetriesKey: "4"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	var once sync.Once
	var late *sink.State
	compactor, _ := l.tables(func(c catalog.Catalog) catalog.Catalog {
		h := catalogtest.New(c)
		h.BeforeCommit(func(table.Identifier) error {
			var err error
			once.Do(func() {
				late = l.publish(ctx, 2, 0, 49)
				if cerr := lander.Commit(ctx, late); cerr != nil {
					t.Error(cerr)
				}
				err = table.ErrCommitFailed
			})
			return err
		})
		return h
	})
	c, err := compactor.Compact(ctx, Target{Table: flatten.TableAttempts}, CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.FilesBefore != 6 || c.Rewritten != 6 || c.Added != 1 || c.FilesAfter != 2 || c.Conflicts != 1 || len(c.Groups) != 1 || c.Groups[0].Partition != "ingest_date=2026-11-24" {
		t.Fatalf("compaction %+v: want 6 files rewritten into 1 in ingest_date=2026-11-24, after one conflict, 2 files after (with the late flush's)", c)
	}
	tbl := load()
	cur := tbl.CurrentSnapshot()
	if cur.SnapshotID != c.Snapshot || cur.Summary.Operation != table.OpReplace {
		t.Fatalf("current snapshot %d (%s), want the rewrite %d", cur.SnapshotID, cur.Summary.Operation, c.Snapshot)
	}
	var carried Offsets
	if err := json.Unmarshal([]byte(cur.Summary.Properties[SummaryOffsets]), &carried); err != nil {
		t.Fatal(err)
	}
	want := Offsets{offsetsKey(topic, 0): 150, offsetsKey(topic, 1): 150, offsetsKey(topic, 2): 50}
	if len(carried) != len(want) || carried.Next(topic, 2) != 50 || carried.Next(topic, 0) != 150 || carried.Next(topic, 1) != 150 {
		t.Errorf("the rewrite carries offsets %v, want %v (the late flush's partition 2 included)", carried, want)
	}
	wantOnce(t, l.offsets(ctx, lander, flatten.TableAttempts), flatten.TableAttempts,
		map[int32][2]int64{0: {0, 149}, 1: {0, 149}, 2: {0, 49}})

	// Committing the flushes again adds nothing: the offsets hold them.
	for _, st := range append(states, late) {
		if err := lander.Commit(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(load().Metadata().Snapshots()); n != 6+1+1 {
		t.Errorf("%d snapshots, want 8: 6 flushes, the late flush, the rewrite", n)
	}

	// Expiring every snapshot but the rewrite keeps the offsets.
	tx = load().NewTransaction()
	if err := tx.ExpireSnapshots(table.WithOlderThan(0), table.WithRetainLast(1), table.WithPostCommit(false)); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	offs, err := CommittedOffsets(load())
	if err != nil {
		t.Fatalf("offsets after expiring all but the rewrite: %v", err)
	}
	if offs.Next(topic, 2) != 50 || offs.Next(topic, 0) != 150 {
		t.Errorf("offsets after expiry %v, want %v", offs, want)
	}
}

// TestCompactDryRunAndSmallPartitions plans without writing, and leaves
// a partition with fewer than five small files alone.
func TestCompactDryRunAndSmallPartitions(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	tb, _ := l.tables(nil)
	for i := range int64(5) {
		if err := tb.Commit(ctx, l.publish(ctx, 0, 100*i, 100*i+49)); err != nil {
			t.Fatal(err)
		}
	}
	dry, err := tb.Compact(ctx, Target{Table: flatten.TableAttempts}, CompactOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.Groups) != 1 || dry.Groups[0].Files != 5 || dry.Groups[0].EstFiles != 1 || dry.Snapshot != 0 || dry.Rewritten != 0 {
		t.Fatalf("dry run %+v: want one group of 5 files, nothing committed", dry)
	}
	entries, err := l.fs.ReadDir(path.Join(DataDir(l.loc.Namespace, flatten.TableAttempts), "ingest_date=2026-11-24"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, _, _, _, err := sink.ParseFileName(e.Name()); err != nil && !strings.HasPrefix(e.Name(), ".") {
			t.Errorf("the dry run wrote %s", e.Name())
		}
	}

	l2 := newLake(t)
	tb2, _ := l2.tables(nil)
	for i := range int64(4) {
		if err := tb2.Commit(ctx, l2.publish(ctx, 0, 100*i, 100*i+49)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := tb2.Compact(ctx, Target{Table: flatten.TableAttempts}, CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Groups) != 0 || c.Snapshot != 0 || c.FilesBefore != 4 {
		t.Errorf("compaction of 4 small files %+v: want nothing done", c)
	}
}
