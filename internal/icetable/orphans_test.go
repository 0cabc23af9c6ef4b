package icetable

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
)

// TestRemoveOrphansSparesStateFiles compacts and expires a table, then
// removes its orphan files once every file is days old: it must delete the
// flush files only expired snapshots held and the expired snapshots'
// manifests, and keep every file of the current snapshot, the files a
// partition's state.json names (a compacted flush, and one whose commit
// never happened), and a file younger than the age (a commit in
// progress). After it the uncommitted flush still commits, and every
// offset is in the table once.
func TestRemoveOrphansSparesStateFiles(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	tb, _ := l.tables(nil)
	target := Target{Table: flatten.TableAttempts}
	for i := range int64(8) {
		if err := tb.Commit(ctx, l.publish(ctx, int32(i%2), 50*(i/2), 50*(i/2)+49)); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := tb.Compact(ctx, target, CompactOptions{}); err != nil || c.Snapshot == 0 {
		t.Fatalf("compaction %+v, %v: want a rewrite", c, err)
	}
	// Partition 0 publishes a flush whose commit does not happen (the
	// catalog was unreachable): its file is in no snapshot.
	pending := l.publish(ctx, 0, 200, 249)
	if _, err := tb.Expire(ctx, target, ExpireOptions{OlderThan: 1}); err != nil {
		t.Fatal(err)
	}
	load := attemptsLoader(ctx, t, tb)
	tableDir := strings.TrimPrefix(load().Location(), "file://")
	dataBefore := dataFiles(t, tableDir)

	if _, err := tb.RemoveOrphans(ctx, l.fs, target, OrphanOptions{OlderThan: 30 * time.Minute}); err == nil {
		t.Fatal("an age under MinOrphanOlderThan was accepted")
	}
	// Nothing is old yet: nothing is found.
	if o, err := tb.RemoveOrphans(ctx, l.fs, target, OrphanOptions{}); err != nil || o.Found != 0 || o.Spared != 0 {
		t.Fatalf("fresh files: %+v, %v; want nothing found", o, err)
	}
	sinktest.Age(t, tableDir, 4*24*time.Hour)
	young := filepath.Join(tableDir, "data", IngestDate.Field+"=2026-11-24", "00000-0-in-progress.parquet")
	if err := os.WriteFile(young, []byte("a compaction's file, not committed yet"), 0o644); err != nil {
		t.Fatal(err)
	}

	named := map[string]bool{}
	for _, p := range []int32{0, 1} {
		st, err := sink.ReadState(l.fs, topic, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range st.Files {
			if f.Table == flatten.TableAttempts {
				named[filepath.Join(l.root, f.Final)] = true
			}
		}
	}
	if len(named) != 2 {
		t.Fatalf("the states name %d attempts files, want 2", len(named))
	}
	current := map[string]bool{}
	tasks, err := load().Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		current[strings.TrimPrefix(task.File.FilePath(), "file://")] = true
	}
	// The 8 committed flush files are orphans but partition 1's last,
	// which its state names: 7 found, 2 spared (with the pending one).
	dry, err := tb.RemoveOrphans(ctx, l.fs, target, OrphanOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Spared != 2 || dry.Found < 7 || dry.Deleted != 0 {
		t.Fatalf("dry run %+v: want 2 spared, at least 7 found, none deleted", dry)
	}
	if got := dataFiles(t, tableDir); len(got) != len(dataBefore)+1 {
		t.Fatalf("the dry run changed the data folder: %d files, want %d", len(got), len(dataBefore)+1)
	}
	o, err := tb.RemoveOrphans(ctx, l.fs, target, OrphanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Found != dry.Found || o.Deleted != o.Found || o.Spared != 2 || o.DeletedBytes == 0 {
		t.Fatalf("removal %+v: want the dry run's %d found, all deleted, 2 spared", o, dry.Found)
	}
	left := dataFiles(t, tableDir)
	for f := range current {
		if !left[f] {
			t.Errorf("a file of the current snapshot was deleted: %s", f)
		}
	}
	for f := range named {
		if !left[f] {
			t.Errorf("a file a state.json names was deleted: %s", f)
		}
	}
	if !left[young] {
		t.Errorf("a file younger than the age was deleted: %s", young)
	}
	if want := len(current) + len(named) + 1; len(left) != want {
		t.Errorf("%d data files left, want %d (the snapshot's, the states', the young one): %v", len(left), want, left)
	}
	if err := os.Remove(young); err != nil {
		t.Fatal(err)
	}

	// The table is whole: the pending flush commits, and a later claim
	// of either partition finds its last flush's files.
	if err := tb.Commit(ctx, pending); err != nil {
		t.Fatal(err)
	}
	for _, p := range []int32{0, 1} {
		if _, err := sink.Claim(ctx, l.fs, topic, p); err != nil {
			t.Fatalf("claim of partition %d after the removal: %v", p, err)
		}
	}
	wantOnce(t, l.offsets(ctx, tb, flatten.TableAttempts), flatten.TableAttempts, map[int32][2]int64{0: {0, 249}, 1: {0, 199}})
	if again, err := tb.RemoveOrphans(ctx, l.fs, target, OrphanOptions{}); err != nil || again.Found != 0 {
		t.Errorf("a second removal: %+v, %v; want nothing found", again, err)
	}
}

// TestExpireKeepsSnapshotsCurrentWithinAge expires with an age that every
// snapshot but the newest exceeds: the one before the newest was current
// until the newest was committed, within the age, so it stays.
func TestExpireKeepsSnapshotsCurrentWithinAge(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	tb, _ := l.tables(nil)
	for i := range int64(4) {
		if err := tb.Commit(ctx, l.publish(ctx, 0, 50*i, 50*i+49)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	if err := tb.Commit(ctx, l.publish(ctx, 0, 200, 249)); err != nil {
		t.Fatal(err)
	}
	e, err := tb.Expire(ctx, Target{Table: flatten.TableAttempts}, ExpireOptions{OlderThan: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if e.Before != 5 || e.After != 2 || e.Kept != 2 {
		t.Errorf("expiry %+v: want 5 snapshots, 2 kept (the newest and the one current a moment before it)", e)
	}
}

// dataFiles lists the files under dir's data folder.
func dataFiles(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(dir, "data"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out[p] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
