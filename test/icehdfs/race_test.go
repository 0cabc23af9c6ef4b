package icehdfs

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/hadoop"
	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"

	"github.com/landerd/landerd/internal/icetable"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/system/minidfs"
)

// Committers and appends of TestHadoopCatalogConcurrentCommits.
const (
	raceWriters = 4
	raceAppends = 10
)

// metadataFile matches a version file of the hadoop catalog.
var metadataFile = regexp.MustCompile(`^v([0-9]+)\.metadata\.json$`)

// TestHadoopCatalogConcurrentCommits races raceWriters committers, each
// with a catalog of its own, appending raceAppends one-row files each to
// one table of the hadoop catalog on Apache HDFS, retrying every commit
// that conflicts. Every append must land exactly once (a commit that
// returned success is in the table, none is there twice), the version
// files must form one chain (vN's previous metadata is vN-1, its snapshot's
// parent vN-1's snapshot), no claim may be left behind, and iceberg-go
// must read it all back.
func TestHadoopCatalogConcurrentCommits(t *testing.T) {
	c := shared(t)
	su, err := minidfs.Superuser()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	root := fmt.Sprintf("%s/race-%d", c.URL(), lakeSeq.Add(1))
	lakeFS, err := sink.NewHDFS(root, sink.HDFSOptions{User: su, CallTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lakeFS.Close() })
	register(t, lakeFS)
	// landerd's own properties for a hadoop catalog on HDFS
	// (internal/icetable's openCatalog).
	open := func() *hadoop.Catalog {
		cat, err := hadoop.NewCatalog("landerd", root, iceberg.Properties{"allow-unsafe-commits": "true"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cat.Close() })
		return cat
	}
	ident := table.Identifier{"race", "t"}
	sc := iceberg.NewSchema(0, iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.Int64})
	if err := open().CreateNamespace(ctx, table.Identifier{"race"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := open().CreateTable(ctx, ident, sc); err != nil {
		t.Fatal(err)
	}

	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		conflicts int
	)
	start := time.Now()
	for w := range raceWriters {
		cat := open()
		wg.Go(func() {
			for i := range raceAppends {
				id := int64(w*1000 + i)
				for attempt := 0; ; attempt++ {
					err := appendRow(ctx, cat, ident, id)
					if err == nil {
						break
					}
					if !icetable.IsConflict(err) || attempt > 200 {
						t.Errorf("writer %d append %d: %v", w, id, err)
						return
					}
					mu.Lock()
					conflicts++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if t.Failed() {
		return
	}
	commits := raceWriters * raceAppends
	t.Logf("%d commits by %d committers in %s (%.1f commits/s), %d conflicts retried", commits, raceWriters, elapsed.Round(time.Millisecond), float64(commits)/elapsed.Seconds(), conflicts)

	// Every committed row once, and nothing else.
	tbl, err := open().LoadTable(ctx, ident)
	if err != nil {
		t.Fatal(err)
	}
	ids := readIDs(t, tbl)
	var want []int64
	for w := range raceWriters {
		for i := range raceAppends {
			want = append(want, int64(w*1000+i))
		}
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("table holds ids %v; want each of %v once", ids, want)
	}
	if n := len(tbl.Metadata().Snapshots()); n != commits {
		t.Errorf("%d snapshots, want %d", n, commits)
	}

	// One chain of versions: v1 (the create) to v1+commits.
	fsys, err := tbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	metaDir := tbl.Location() + "/metadata"
	versions := map[int]string{}
	var claims []string
	err = fsys.(icebergio.ListableIO).WalkDir(metaDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(p)
		if m := metadataFile.FindStringSubmatch(base); m != nil {
			v, _ := strconv.Atoi(m[1])
			versions[v] = p
		}
		if regexp.MustCompile(`\.claim$`).MatchString(base) {
			claims = append(claims, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) > 0 {
		t.Errorf("claims left behind: %v", claims)
	}
	if len(versions) != commits+1 {
		t.Errorf("%d version files, want %d", len(versions), commits+1)
	}
	var prev table.Metadata
	for v := 1; v <= commits+1; v++ {
		loc, ok := versions[v]
		if !ok {
			t.Fatalf("version %d is missing", v)
		}
		b, err := fsys.(icebergio.ReadFileIO).ReadFile(loc)
		if err != nil {
			t.Fatal(err)
		}
		md, err := table.ParseMetadataBytes(b)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if v > 1 {
			log := slices.Collect(md.PreviousFiles())
			if len(log) == 0 || log[len(log)-1].MetadataFile != versions[v-1] {
				t.Errorf("v%d's previous metadata is %v, want %s", v, log, versions[v-1])
			}
			snap := md.CurrentSnapshot()
			switch {
			case snap == nil:
				t.Errorf("v%d has no snapshot", v)
			case prev.CurrentSnapshot() == nil:
				if snap.ParentSnapshotID != nil {
					t.Errorf("v%d's snapshot has parent %d; v%d has none", v, *snap.ParentSnapshotID, v-1)
				}
			case snap.ParentSnapshotID == nil || *snap.ParentSnapshotID != prev.CurrentSnapshot().SnapshotID:
				t.Errorf("v%d's snapshot's parent is %v, want v%d's %d", v, snap.ParentSnapshotID, v-1, prev.CurrentSnapshot().SnapshotID)
			}
		}
		prev = md
	}
	if got := tbl.MetadataLocation(); got != versions[commits+1] {
		t.Errorf("the table's metadata is %s, want the last version %s", got, versions[commits+1])
	}
}

// appendRow commits one file of one row, id, to the table on its current
// snapshot.
func appendRow(ctx context.Context, cat *hadoop.Catalog, ident table.Identifier, id int64) error {
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return err
	}
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.Append(id)
	col := b.NewArray()
	defer col.Release()
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	rec := array.NewRecordBatch(sc, []arrow.Array{col}, 1)
	defer rec.Release()
	at := array.NewTableFromRecords(sc, []arrow.RecordBatch{rec})
	defer at.Release()
	tx := tbl.NewTransaction()
	if err := tx.AppendTable(ctx, at, 1, nil); err != nil {
		return err
	}
	_, err = tx.Commit(ctx)
	return err
}

// readIDs scans the table and returns its ids, sorted.
func readIDs(t *testing.T, tbl *table.Table) []int64 {
	t.Helper()
	at, err := tbl.Scan().ToArrowTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	tr := array.NewTableReader(at, 1<<16)
	defer tr.Release()
	var ids []int64
	for tr.Next() {
		col := tr.RecordBatch().Column(0).(*array.Int64)
		for i := range col.Len() {
			ids = append(ids, col.Value(i))
		}
	}
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}
