package icetable

import (
	"context"
	"testing"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
)

// TestExpireKeepsOffsets expires every snapshot it may: after another
// tool's rewrite (no landerd.offsets) it keeps that rewrite and landerd's
// last append, so the offsets stay readable and committing a flush again
// adds nothing; after landerd's own compaction, the compaction alone. It
// never deletes a file: every flush's file is still on disk, as the next
// claim of its partition needs.
func TestExpireKeepsOffsets(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	tb, _ := l.tables(nil)
	var states []*sink.State
	for i := range int64(6) {
		st := l.publish(ctx, int32(i%2), 50*(i/2), 50*(i/2)+49)
		if err := tb.Commit(ctx, st); err != nil {
			t.Fatal(err)
		}
		states = append(states, st)
	}
	load := attemptsLoader(ctx, t, tb)
	// Another tool rewrites one file as a copy, carrying no offsets.
	foreignRewrite(ctx, t, load())

	target := Target{Table: flatten.TableAttempts}
	dry, err := tb.Expire(ctx, target, ExpireOptions{OlderThan: 1, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Before != 7 || dry.After != 2 || dry.Kept != 2 || len(load().Metadata().Snapshots()) != 7 {
		t.Fatalf("dry run %+v: want 7 snapshots, 2 left (the rewrite and landerd's last append), nothing changed", dry)
	}
	e, err := tb.Expire(ctx, target, ExpireOptions{OlderThan: 1})
	if err != nil {
		t.Fatal(err)
	}
	if e.Before != 7 || e.After != 2 || len(load().Metadata().Snapshots()) != 2 {
		t.Fatalf("expiry %+v: want 7 snapshots before, 2 after", e)
	}
	offs, err := CommittedOffsets(load())
	if err != nil || offs.Next(topic, 0) != 150 || offs.Next(topic, 1) != 150 {
		t.Fatalf("offsets after the expiry: %v, %v; want 150 for both partitions", offs, err)
	}
	for _, st := range states {
		if err := tb.Commit(ctx, st); err != nil {
			t.Fatal(err)
		}
		for _, f := range st.Files {
			if _, err := l.fs.Stat(f.Final); err != nil {
				t.Errorf("a flush's file is gone after the expiry: %v", err)
			}
		}
	}
	if n := len(load().Metadata().Snapshots()); n != 2 {
		t.Errorf("%d snapshots after committing the flushes again, want 2: nothing appended", n)
	}

	// After landerd's own compaction, which carries the offsets, the
	// compaction alone is kept.
	for i := range int64(4) {
		if err := tb.Commit(ctx, l.publish(ctx, 0, 150+50*i, 199+50*i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tb.Compact(ctx, target, CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	e, err = tb.Expire(ctx, target, ExpireOptions{OlderThan: 1})
	if err != nil {
		t.Fatal(err)
	}
	if e.After != 1 || e.Kept != 1 {
		t.Errorf("expiry after a compaction %+v: want the compaction alone left", e)
	}
	offs, err = CommittedOffsets(load())
	if err != nil || offs.Next(topic, 0) != 350 || offs.Next(topic, 1) != 150 {
		t.Errorf("offsets after the second expiry: %v, %v; want 350 and 150", offs, err)
	}
	wantOnce(t, l.offsets(ctx, tb, flatten.TableAttempts), flatten.TableAttempts, map[int32][2]int64{0: {0, 349}, 1: {0, 149}})
}
