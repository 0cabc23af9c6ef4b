package sink_test

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
)

// Groups of the access tests' lakes.
const (
	groupFirm = "firm"
	groupA    = "a-readers"
	groupB    = "b-readers"
	groupC    = "c-readers"
)

func testAccess(t *testing.T, firm string, tenants map[string]string) sink.Access {
	t.Helper()
	a, err := sink.NewAccess(firm, tenants)
	if err != nil {
		t.Fatalf("new access: %v", err)
	}
	return a
}

func TestAccessConformance(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		// The suite's paths are the firm's: give it the firm's group.
		g := sinktest.LocalGroup(t)
		a := testAccess(t, g, map[string]string{"a": g})
		sinktest.TestFS(t, func(t *testing.T) sink.FS { return sink.WithAccess(newLocal(t), a) }, g)
	})
	t.Run("hdfs", func(t *testing.T) {
		c := fakehdfs.Start(t, fakehdfs.Config{})
		// The suite's paths are the firm's: give it the firm's group.
		a := testAccess(t, groupFirm, map[string]string{"a": groupA})
		sinktest.TestFS(t, func(t *testing.T) sink.FS {
			return sink.WithAccess(newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"}), a)
		}, groupFirm)
	})
}

func TestNewAccess(t *testing.T) {
	for _, tenants := range []map[string]string{
		{"Pearson": "g"}, {"_unassigned": "g"}, {"": "g"}, {"a/b": "g"}, {"a": ""},
		{strings.Repeat("a", 64): "g"},
	} {
		if _, err := sink.NewAccess("firm", tenants); err == nil {
			t.Errorf("NewAccess(%v) succeeded; want an error", tenants)
		}
	}
	a, err := sink.NewAccess("", map[string]string{"pearson": "p", "a-1_b": "x", strings.Repeat("a", 63): "y"})
	if err != nil || !a.HasTenants() {
		t.Fatalf("NewAccess = %v, %v; want an Access with tenants", a, err)
	}
}

// Without tenants WithAccess changes nothing: it returns the FS itself.
func TestWithAccessNoTenants(t *testing.T) {
	fsys := newLocal(t)
	for _, a := range []sink.Access{{}, testAccess(t, groupFirm, nil)} {
		if got := sink.WithAccess(fsys, a); got != fsys {
			t.Fatalf("WithAccess without tenants = %v; want the FS itself", got)
		}
	}
}

// landTenants lands a flush for tenants a, b, c (and unassigned
// quarantine) on partition 0 of topic t1 and leaves a second flush
// written but unpublished; it returns that flush's partition.
func landTenants(t *testing.T, fsys sink.FS) *sink.Partition {
	t.Helper()
	ctx := context.Background()
	p, err := sink.Claim(ctx, fsys, "t1", 0)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	err = sinktest.Publish(ctx, p, 0, 9, []sinktest.Flush{
		{Table: "attempts", Hive: "tenant=a/ingest_date=2026-11-24", Offsets: []int64{0, 1, 2}},
		{Table: "attempts", Hive: "tenant=b/ingest_date=2026-11-24", Offsets: []int64{3, 4}},
		{Table: "attempts", Hive: "tenant=c/ingest_date=2026-11-25", Offsets: []int64{5, 6}},
		{Table: "_quarantine", Hive: "tenant=a/ingest_date=2026-11-24", Offsets: []int64{7}},
		{Table: "_quarantine", Hive: "tenant=_unassigned/ingest_date=2026-11-24", Offsets: []int64{8, 9}},
	})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if _, err := sinktest.WriteFlush(p, []sinktest.Flush{
		{Table: "attempts", Hive: "tenant=b/ingest_date=2026-11-24", Offsets: []int64{10, 11}},
	}); err != nil {
		t.Fatalf("write unpublished flush: %v", err)
	}
	return p
}

// wantAccess is the group and mode the spec prescribes for a path of the
// lake landTenants writes.
func wantAccess(name string, dir bool, firm string, tenants map[string]string) (string, fs.FileMode) {
	elems := strings.Split(name, "/")
	switch {
	case name == "." || len(elems) == 1 && dir && elems[0] != sink.ControlDir:
		return firm, 0o751
	case !dir && len(elems) == 1:
		return firm, 0o640
	}
	group := firm
	if t, ok := strings.CutPrefix(elems[min(1, len(elems)-1)], "tenant="); ok && elems[0] != sink.ControlDir {
		if g, ok := tenants[t]; ok {
			group = g
		}
	}
	if dir {
		return group, 0o750
	}
	return group, 0o640
}

// checkTree checks the group and mode of every path of the lake and
// returns the paths, sorted.
func checkTree(t *testing.T, fsys sink.FS, firm string, tenants map[string]string) []string {
	t.Helper()
	var all []string
	var walk func(dir string)
	walk = func(dir string) {
		infos, err := fsys.ReadDir(dir)
		if err != nil {
			t.Fatalf("readdir %s: %v", dir, err)
		}
		for _, fi := range infos {
			name := path.Join(dir, fi.Name())
			all = append(all, name)
			group, perm := wantAccess(name, fi.IsDir(), firm, tenants)
			if got := sinktest.Group(t, fsys, name); got != group {
				t.Errorf("%s: group %q; want %q", name, got, group)
			}
			if got := fi.Mode().Perm(); got != perm {
				t.Errorf("%s: mode %v; want %v", name, got, perm)
			}
			if fi.IsDir() {
				walk(name)
			}
		}
	}
	walk(".")
	group, perm := wantAccess(".", true, firm, tenants)
	if got := sinktest.Group(t, fsys, "."); got != group {
		t.Errorf("lake root: group %q; want %q", got, group)
	}
	if got := sinktest.Perm(t, fsys, "."); got != perm {
		t.Errorf("lake root: mode %v; want %v", got, perm)
	}
	return all
}

func TestAccessLayout(t *testing.T) {
	tenants := map[string]string{"a": groupA, "b": groupB, "c": groupC}
	check := func(t *testing.T, fsys sink.FS, firm string, tenants map[string]string) {
		p := landTenants(t, sink.WithAccess(fsys, testAccess(t, firm, tenants)))
		all := checkTree(t, fsys, firm, tenants)
		for _, want := range []string{
			"attempts/tenant=a/ingest_date=2026-11-24/" + sink.FileName("t1", 0, 0, 2),
			"_quarantine/tenant=_unassigned/ingest_date=2026-11-24/" + sink.FileName("t1", 0, 8, 9),
			"_landerd/t1/00000/state.json",
		} {
			if !slices.Contains(all, want) {
				t.Errorf("lake lacks %s; it holds %q", want, all)
			}
		}
		var tmps int
		for _, name := range all {
			if strings.HasSuffix(name, ".tmp") {
				tmps++ // the unpublished flush's file, checked as _landerd's by checkTree
			}
		}
		if tmps != 1 {
			t.Errorf("lake holds %d temporary files; want the unpublished flush's 1", tmps)
		}
		if err := p.Abandon(); err != nil {
			t.Fatalf("abandon: %v", err)
		}
	}
	t.Run("hdfs", func(t *testing.T) {
		c := fakehdfs.Start(t, fakehdfs.Config{})
		check(t, newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"}), groupFirm, tenants)
	})
	t.Run("local", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("giving files the groups of several tenants needs the superuser on a local filesystem")
		}
		// Four groups every Linux system has.
		check(t, newLocal(t), "adm", map[string]string{"a": "daemon", "b": "bin", "c": "sys"})
	})
}

// An unknown tenant's data is refused; nothing is created for it.
func TestAccessUnknownTenant(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	fsys := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"})
	lake := sink.WithAccess(fsys, testAccess(t, groupFirm, map[string]string{"a": groupA}))
	ctx := context.Background()
	p, err := sink.Claim(ctx, lake, "t1", 0)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	err = sinktest.Publish(ctx, p, 0, 0, []sinktest.Flush{{Table: "attempts", Hive: "tenant=zz/ingest_date=2026-11-24", Offsets: []int64{0}}})
	if err == nil || !strings.Contains(err.Error(), `tenant "zz"`) {
		t.Fatalf("publish for an unknown tenant: %v; want an error naming it", err)
	}
	if _, err := fsys.Stat("attempts/tenant=zz"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat attempts/tenant=zz: %v; want fs.ErrNotExist", err)
	}
	for _, name := range []string{"attempts/tenant=zz", "attempts/tenant=zz/x"} {
		if err := lake.MkdirAll(name); err == nil {
			t.Errorf("mkdir %s succeeded; want an error", name)
		}
		if f, err := lake.Create(name); err == nil {
			_ = f.Close()
			t.Errorf("create %s succeeded; want an error", name)
		}
	}
}

// countingFS counts the calls that reach a filesystem, by method.
type countingFS struct {
	sink.FS
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingFS) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

// take returns the counts so far and starts again from zero.
func (c *countingFS) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = map[string]int{}
	return out
}

func (c *countingFS) Create(name string) (sink.File, error) {
	c.count("create")
	return c.FS.Create(name)
}

func (c *countingFS) CreatePerm(name string, perm fs.FileMode) (sink.File, error) {
	c.count("create")
	return c.FS.CreatePerm(name, perm)
}

func (c *countingFS) Open(name string) (sink.ReadFile, error) {
	c.count("open")
	return c.FS.Open(name)
}

func (c *countingFS) Rename(from, to string) error {
	c.count("rename")
	return c.FS.Rename(from, to)
}

func (c *countingFS) MkdirAll(name string) error {
	c.count("mkdir")
	return c.FS.MkdirAll(name)
}

func (c *countingFS) RemoveAll(name string) error {
	c.count("remove")
	return c.FS.RemoveAll(name)
}

func (c *countingFS) ReadDir(name string) ([]fs.FileInfo, error) {
	c.count("readdir")
	return c.FS.ReadDir(name)
}

func (c *countingFS) Stat(name string) (fs.FileInfo, error) {
	c.count("stat")
	return c.FS.Stat(name)
}

func (c *countingFS) Chmod(name string, perm fs.FileMode) error {
	c.count("chmod")
	return c.FS.Chmod(name, perm)
}

func (c *countingFS) Chgrp(name, group string) error {
	c.count("chgrp")
	return c.FS.Chgrp(name, group)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// On the hot path, where the directories exist, the wrapper costs one
// call per file published into a tenant's directory: the change of group
// the file needs. Everything else costs what it costs without it.
func TestAccessCallsOnTheHotPath(t *testing.T) {
	ctx := context.Background()
	a := testAccess(t, groupFirm, map[string]string{"a": groupA, "b": groupB})
	flush := func(first int64) []sinktest.Flush {
		return []sinktest.Flush{
			{Table: "attempts", Hive: "tenant=a/ingest_date=2026-11-24", Offsets: []int64{first, first + 1}},
			{Table: "attempts", Hive: "tenant=b/ingest_date=2026-11-24", Offsets: []int64{first + 2}},
			{Table: "_quarantine", Hive: "tenant=_unassigned/ingest_date=2026-11-24", Offsets: []int64{first + 3}},
		}
	}
	// The NameNode's methods landerd's client calls; renewLease runs on
	// its own clock and is left out.
	methods := []string{"getFileInfo", "mkdirs", "getServerDefaults", "create", "addBlock",
		"updateBlockForPipeline", "complete", "rename2", "getListing", "getBlockLocations",
		"delete", "setOwner", "setPermission"}
	// run claims on a cluster of its own, publishes a first flush (which
	// creates the directories), then counts the calls of three more: on
	// the FS, and on the NameNode.
	run := func(wrap bool) (fsCalls, nnCalls map[string]int) {
		c := fakehdfs.Start(t, fakehdfs.Config{})
		counted := &countingFS{FS: newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"}), calls: map[string]int{}}
		var lake sink.FS = counted
		if wrap {
			lake = sink.WithAccess(counted, a)
		}
		p, err := sink.Claim(ctx, lake, "t1", 0)
		if err != nil {
			t.Fatalf("claim: %v", err)
		}
		if err := sinktest.Publish(ctx, p, 0, 3, flush(0)); err != nil {
			t.Fatalf("first publish: %v", err)
		}
		counted.take()
		before := map[string]int{}
		for _, m := range methods {
			before[m] = c.Calls(m)
		}
		for first := int64(4); first < 16; first += 4 {
			if err := sinktest.Publish(ctx, p, first, first+3, flush(first)); err != nil {
				t.Fatalf("publish %d: %v", first, err)
			}
		}
		nnCalls = map[string]int{}
		for _, m := range methods {
			if n := c.Calls(m) - before[m]; n > 0 {
				nnCalls[m] = n
			}
		}
		return counted.take(), nnCalls
	}
	bare, bareNN := run(false)
	wrapped, wrappedNN := run(true)
	t.Logf("FS calls of three flushes of 3 files: bare %v, with access %v", bare, wrapped)
	t.Logf("NameNode calls: bare %v, with access %v", bareNN, wrappedNN)
	// Two of the three files of each flush change group (tenants a and b).
	if wrapped["chgrp"] != 6 || wrapped["chmod"] != 0 {
		t.Errorf("with access: %d chgrp, %d chmod; want 6 and 0", wrapped["chgrp"], wrapped["chmod"])
	}
	if got, want := sum(wrapped), sum(bare)+6; got != want {
		t.Errorf("with access: %d calls; want %d, the %d without plus 6 chgrp", got, want, sum(bare))
	}
	// MkdirAll of a known directory is one Stat.
	if wrapped["stat"]+wrapped["mkdir"] != bare["stat"]+bare["mkdir"] {
		t.Errorf("with access: %d stat + %d mkdir; want the %d + %d without", wrapped["stat"], wrapped["mkdir"], bare["stat"], bare["mkdir"])
	}
	rest := maps.Clone(wrapped)
	for _, op := range []string{"chgrp", "stat", "mkdir"} {
		delete(rest, op)
		delete(bare, op)
	}
	if !maps.Equal(rest, bare) {
		t.Errorf("with access, other calls %v; want those without, %v", rest, bare)
	}
	// On the NameNode: 6 setOwner more and nothing else (the client's
	// MkdirAll of an existing directory is one getFileInfo, as Stat).
	if wrappedNN["setOwner"] != 6 || wrappedNN["setPermission"] != 0 {
		t.Errorf("NameNode with access: %d setOwner, %d setPermission; want 6 and 0", wrappedNN["setOwner"], wrappedNN["setPermission"])
	}
	if got, want := sum(wrappedNN), sum(bareNN)+6; got != want {
		t.Errorf("NameNode with access: %d calls; want %d, the %d without plus 6 setOwner", got, want, sum(bareNN))
	}
}

// A lake landed before it had tenants: the directories WithAccess meets
// with another group or mode are given theirs; files stay as they are.
func TestAccessFixesExistingDirectories(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	fsys := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"})
	for _, dir := range []string{"attempts/ingest_date=2026-11-24", "_landerd/t1/00000/tmp"} {
		if err := fsys.MkdirAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	if err := sinktest.WriteFile(fsys, "attempts/ingest_date=2026-11-24/old.parquet", []byte("old")); err != nil {
		t.Fatal(err)
	}
	tenants := map[string]string{"a": groupA}
	lake := sink.WithAccess(fsys, testAccess(t, groupFirm, tenants))
	for _, dir := range []string{"attempts/tenant=a/ingest_date=2026-11-24", "_landerd/t1/00000/tmp"} {
		if err := lake.MkdirAll(dir); err != nil {
			t.Fatalf("mkdir %s: %v", dir, err)
		}
	}
	wantModes(t, fsys, []wantMode{
		{".", groupFirm, 0o751},
		{"attempts", groupFirm, 0o751},
		{"attempts/tenant=a", groupA, 0o750},
		{"attempts/tenant=a/ingest_date=2026-11-24", groupA, 0o750},
		{"_landerd", groupFirm, 0o750},
		{"_landerd/t1/00000/tmp", groupFirm, 0o750},
		// Not on the way of any MkdirAll: untouched.
		{"attempts/ingest_date=2026-11-24", "", 0o755},
		{"attempts/ingest_date=2026-11-24/old.parquet", "", 0o644},
	})
}

// Owners of several partitions share one wrapped lake, as in landerd.
func TestAccessConcurrentOwners(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	fsys := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"})
	tenants := map[string]string{"a": groupA, "b": groupB, "c": groupC}
	lake := sink.WithAccess(fsys, testAccess(t, groupFirm, tenants))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for part := range int32(6) {
		wg.Go(func() {
			p, err := sink.Claim(ctx, lake, "t1", part)
			if err != nil {
				errs <- err
				return
			}
			for first := int64(0); first < 12; first += 3 {
				err := sinktest.Publish(ctx, p, first, first+2, []sinktest.Flush{
					{Table: "attempts", Hive: "tenant=a/ingest_date=2026-11-24", Offsets: []int64{first}},
					{Table: "attempts", Hive: "tenant=b/ingest_date=2026-11-24", Offsets: []int64{first + 1}},
					{Table: "attempts", Hive: "tenant=c/ingest_date=2026-11-24", Offsets: []int64{first + 2}},
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("owner: %v", err)
	}
	all := checkTree(t, fsys, groupFirm, tenants)
	var files int
	for _, name := range all {
		if strings.HasSuffix(name, ".parquet") {
			files++
		}
	}
	if files != 6*4*3 {
		t.Errorf("%d data files; want %d", files, 6*4*3)
	}
}

// The Iceberg layout keeps a tenant's tables, metadata and manifests in
// <namespace>/tenant=T/<table>: the same rule gives all of it T's group,
// and the namespace's folder, like a table's, stays traversable.
func TestAccessIcebergLayout(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	fsys := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"})
	lake := sink.WithAccess(fsys, testAccess(t, groupFirm, map[string]string{"a": groupA, "b": groupB}))
	for _, name := range []string{
		"landerd/tenant=a/attempts/metadata/00000-x.metadata.json",
		"landerd/tenant=a/attempts/data/ingest_date=2026-11-24/f.parquet",
		"landerd/tenant=_unassigned/_quarantine/metadata/snap-1.avro",
	} {
		if err := lake.MkdirAll(path.Dir(name)); err != nil {
			t.Fatal(err)
		}
		if err := sinktest.WriteFile(lake, name, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	wantModes(t, fsys, []wantMode{
		{"landerd", groupFirm, 0o751},
		{"landerd/tenant=a", groupA, 0o750},
		{"landerd/tenant=a/attempts/metadata", groupA, 0o750},
		{"landerd/tenant=a/attempts/metadata/00000-x.metadata.json", groupA, 0o640},
		{"landerd/tenant=a/attempts/data/ingest_date=2026-11-24/f.parquet", groupA, 0o640},
		{"landerd/tenant=_unassigned", groupFirm, 0o750},
		{"landerd/tenant=_unassigned/_quarantine/metadata/snap-1.avro", groupFirm, 0o640},
	})
}

// wantMode is the group and mode a path of the lake must have; group ""
// is not checked.
type wantMode struct {
	name  string
	group string
	perm  fs.FileMode
}

// wantModes checks each path of wants in fsys.
func wantModes(t *testing.T, fsys sink.ReadFS, wants []wantMode) {
	t.Helper()
	for _, tt := range wants {
		if got := sinktest.Perm(t, fsys, tt.name); got != tt.perm {
			t.Errorf("%s: mode %v; want %v", tt.name, got, tt.perm)
		}
		if got := sinktest.Group(t, fsys, tt.name); tt.group != "" && got != tt.group {
			t.Errorf("%s: group %q; want %q", tt.name, got, tt.group)
		}
	}
}
