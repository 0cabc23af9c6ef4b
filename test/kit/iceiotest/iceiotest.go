package iceiotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/apache/iceberg-go/catalog/hadoop"
	icebergio "github.com/apache/iceberg-go/io"

	"github.com/landerd/landerd/internal/iceio"
	"github.com/landerd/landerd/pkg/sink"
)

// Committers is how many goroutines race for one target in the
// no-replace test.
const Committers = 8

// TestIO runs the suite. newLake returns a fresh, empty HDFS lake (a new
// root on one cluster) each call, cleaned up through t; lakes of one test
// share the cluster.
func TestIO(t *testing.T, newLake func(t *testing.T) *sink.HDFS) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, newLake func(t *testing.T) *sink.HDFS)
	}{
		{"Registry", testRegistry},
		{"ReadWrite", testReadWrite},
		{"ParallelReadAt", testParallelReadAt},
		{"WalkDir", testWalkDir},
		{"Rename", testRename},
		{"RenameNoReplace", testRenameNoReplace},
		{"RenameNoReplaceRace", testRenameNoReplaceRace},
		{"Outside", testOutside},
		{"ReadOnly", testReadOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newLake) })
	}
}

// load registers lake and returns the IO iceberg-go's registry gives for
// its root, as a catalog gets it.
func load(t *testing.T, lake sink.ReadFS) (*iceio.IO, string) {
	t.Helper()
	unregister, err := iceio.Register(lake)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unregister)
	fsys, err := icebergio.LoadFS(context.Background(), nil, lake.String())
	if err != nil {
		t.Fatal(err)
	}
	w, ok := fsys.(*iceio.IO)
	if !ok {
		t.Fatalf("LoadFS(%s) = %T, want *iceio.IO", lake, fsys)
	}
	if _, ok := fsys.(hadoop.HadoopCatalogFS); !ok {
		t.Fatalf("%T is not a hadoop.HadoopCatalogFS", fsys)
	}
	return w, lake.String()
}

func testRegistry(t *testing.T, newLake func(t *testing.T) *sink.HDFS) {
	a, b := newLake(t), newLake(t)
	ioA, rootA := load(t, a)
	ioB, rootB := load(t, b)
	if err := ioA.WriteFile(rootA+"/x", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := ioB.WriteFile(rootB+"/x", []byte("b")); err != nil {
		t.Fatal(err)
	}
	// Each URL reaches its own lake, whichever IO the registry returned.
	for root, want := range map[string]string{rootA: "a", rootB: "b"} {
		fsys, err := icebergio.LoadFS(context.Background(), nil, root+"/x")
		if err != nil {
			t.Fatal(err)
		}
		got, err := fsys.(icebergio.ReadFileIO).ReadFile(root + "/x")
		if err != nil || string(got) != want {
			t.Fatalf("ReadFile(%s/x) = %q, %v; want %q", root, got, err, want)
		}
	}
	u, err := url.Parse(rootA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := icebergio.LoadFS(context.Background(), nil, "hdfs://"+u.Host+"/no-lake-here/t"); err == nil {
		t.Fatal("LoadFS of a URL under no registered lake succeeded")
	}
	// Unregistered, the lake is no longer served.
	unregister, err := iceio.Register(b)
	if err != nil {
		t.Fatal(err)
	}
	unregister()
	unregister() // idempotent
	if _, err := icebergio.LoadFS(context.Background(), nil, rootB); err != nil {
		t.Fatalf("the first registration of %s no longer serves: %v", rootB, err)
	}
	// A read-only registration of a root that a landing lake serves does
	// not take its writes.
	unregister, err = iceio.Register(readOnly{a})
	if err != nil {
		t.Fatal(err)
	}
	defer unregister()
	fsys, err := icebergio.LoadFS(context.Background(), nil, rootA)
	if err != nil {
		t.Fatal(err)
	}
	if err := fsys.(icebergio.WriteFileIO).WriteFile(rootA+"/y", []byte("y")); err != nil {
		t.Fatalf("with a read-only lake registered beside it, a landing lake's IO does not write: %v", err)
	}
}

func testReadWrite(t *testing.T, newLake func(t *testing.T) *sink.HDFS) {
	w, root := load(t, newLake(t))
	name := root + "/ns/tbl/metadata/00000-x.metadata.json"
	f, err := w.Create(name) // parents created
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 1000)
	if n, err := f.ReadFrom(bytes.NewReader(data)); err != nil || n != int64(len(data)) {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Create(name); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Create = %v, want fs.ErrExist", err)
	}
	got, err := w.ReadFile(name)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadFile = %d bytes, %v; want %d", len(got), err, len(data))
	}
	r, err := w.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := r.Stat()
	if err != nil || fi.Size() != int64(len(data)) || fi.Name() != "00000-x.metadata.json" {
		t.Fatalf("Stat = %v, %v", fi, err)
	}
	buf := make([]byte, 10)
	if _, err := r.ReadAt(buf, 9990); err != nil || string(buf) != "0123456789" {
		t.Fatalf("ReadAt = %q, %v", buf, err)
	}
	if _, err := r.Seek(5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, buf[:3]); err != nil || string(buf[:3]) != "567" {
		t.Fatalf("Read after Seek = %q, %v", buf[:3], err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := w.Stat(name)
	if err != nil || st.Size() != int64(len(data)) || st.IsDir() {
		t.Fatalf("Stat = %v, %v", st, err)
	}
	// WriteFile replaces.
	hint := root + "/ns/tbl/metadata/version-hint.text"
	for _, v := range []string{"1", "2"} {
		if err := w.WriteFile(hint, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := w.ReadFile(hint); err != nil || string(got) != "2" {
		t.Fatalf("ReadFile(hint) = %q, %v", got, err)
	}
	if err := w.Remove(name); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after Remove = %v, want fs.ErrNotExist", err)
	}
	if _, err := w.Open(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open after Remove = %v, want fs.ErrNotExist", err)
	}
	if err := w.RemoveAll(root + "/ns"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Stat(hint); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after RemoveAll = %v, want fs.ErrNotExist", err)
	}
}

// testParallelReadAt reads one file by ReadAt from many goroutines at once,
// as a Parquet reader does, while Read goes on: io.ReaderAt's promise.
func testParallelReadAt(t *testing.T, newLake func(t *testing.T) *sink.HDFS) {
	w, root := load(t, newLake(t))
	data := make([]byte, 3<<20) // crosses MiniDFSCluster's 1 MiB blocks
	for i := range data {
		data[i] = byte(i * 7 / 5)
	}
	if err := w.WriteFile(root+"/big", data); err != nil {
		t.Fatal(err)
	}
	f, err := w.Open(root + "/big")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 100)
	if _, err := io.ReadFull(f, head); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 8 {
				off := int64((g*8+i)*(len(data)/128)) + int64(g)
				buf := make([]byte, 4096+g)
				n, err := f.ReadAt(buf, off)
				if err != nil || !bytes.Equal(buf[:n], data[off:off+int64(n)]) || n != len(buf) {
					t.Errorf("ReadAt(%d bytes at %d) = %d, %v, or wrong bytes", len(buf), off, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	next := make([]byte, 100)
	if _, err := io.ReadFull(f, next); err != nil || !bytes.Equal(next, data[100:200]) {
		t.Fatalf("Read after the ReadAt calls: %v, or not where the last Read stopped", err)
	}
}

func testWalkDir(t *testing.T, newLake func(t *testing.T) *sink.HDFS) {
	w, root := load(t, newLake(t))
	for _, n := range []string{"a/1", "a/b/2", "a/b/3", "c/4"} {
		if err := w.WriteFile(root+"/"+n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.MkdirAll(root + "/a/empty"); err != nil {
		t.Fatal(err)
	}
	var seen []string
	err := w.WalkDir(root+"/a", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		seen = append(seen, fmt.Sprintf("%s %v", p[len(root):], d.IsDir()))
		return nil
	})
	want := []string{"/a true", "/a/1 false", "/a/b true", "/a/b/2 false", "/a/b/3 false", "/a/empty true"}
	if err != nil || !slices.Equal(seen, want) {
		t.Fatalf("WalkDir = %q, %v; want %q", seen, err, want)
	}
	seen = nil
	_ = w.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		seen = append(seen, p[len(root):])
		if d.IsDir() && p == root+"/a" {
			return fs.SkipDir
		}
		return nil
	})
	if want := []string{"", "/a", "/c", "/c/4"}; !slices.Equal(seen, want) {
		t.Fatalf("WalkDir with SkipDir = %q; want %q", seen, want)
	}
	var got error
	_ = w.WalkDir(root+"/missing", func(_ string, _ fs.DirEntry, err error) error {
		got = err
		return err
	})
	if !errors.Is(got, fs.ErrNotExist) {
		t.Fatalf("WalkDir of a missing root gave %v, want fs.ErrNotExist", got)
	}
}

func testRename(t *testing.T, newLake func(t *testing.T) *sink.HDFS) {
	w, root := load(t, newLake(t))
	for n, v := range map[string]string{"/x": "x", "/y": "y"} {
		if err := w.WriteFile(root+n, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Rename(root+"/x", root+"/y"); err != nil {
		t.Fatal(err)
	}
	if got, err := w.ReadFile(root + "/y"); err != nil || string(got) != "x" {
		t.Fatalf("after Rename, y = %q, %v", got, err)
	}
	if err := w.Rename(root+"/x", root+"/z"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Rename of a missing file = %v, want fs.ErrNotExist", err)
	}
}

func testRenameNoReplace(t *testing.T, newLake func(t *testing.T) *sink.HDFS) {
	w, root := load(t, newLake(t))
	for n, v := range map[string]string{"/x": "x", "/y": "y"} {
		if err := w.WriteFile(root+n, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.RenameNoReplace(root+"/x", root+"/y"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("RenameNoReplace onto a file = %v, want fs.ErrExist", err)
	}
	if got, err := w.ReadFile(root + "/y"); err != nil || string(got) != "y" {
		t.Fatalf("after a refused RenameNoReplace, y = %q, %v", got, err)
	}
	if got, err := w.ReadFile(root + "/x"); err != nil || string(got) != "x" {
		t.Fatalf("after a refused RenameNoReplace, x = %q, %v", got, err)
	}
	if err := w.RenameNoReplace(root+"/x", root+"/z"); err != nil {
		t.Fatal(err)
	}
	if got, err := w.ReadFile(root + "/z"); err != nil || string(got) != "x" {
		t.Fatalf("after RenameNoReplace, z = %q, %v", got, err)
	}
	if err := w.RenameNoReplace(root+"/x", root+"/w"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("RenameNoReplace of a missing file = %v, want fs.ErrNotExist", err)
	}
	if err := w.RenameNoReplace(root+"/z", root+"/no/parent"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("RenameNoReplace into a missing folder = %v, want fs.ErrNotExist", err)
	}
}

// testRenameNoReplaceRace races Committers renames of distinct files onto
// one target, round after round: exactly one wins each round, and the
// target holds the winner's content.
func testRenameNoReplaceRace(t *testing.T, newLake func(t *testing.T) *sink.HDFS) {
	w, root := load(t, newLake(t))
	for round := range 5 {
		target := fmt.Sprintf("%s/v%d.metadata.json", root, round)
		for i := range Committers {
			if err := w.WriteFile(fmt.Sprintf("%s/tmp-%d-%d", root, round, i), []byte(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		errs := make([]error, Committers)
		var wg sync.WaitGroup
		for i := range Committers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = w.RenameNoReplace(fmt.Sprintf("%s/tmp-%d-%d", root, round, i), target)
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: committers %d and %d both renamed onto %s", round, winner, i, target)
			case err == nil:
				winner = i
			case !errors.Is(err, fs.ErrExist):
				t.Fatalf("round %d: committer %d: %v, want fs.ErrExist", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no committer renamed onto %s", round, target)
		}
		if got, err := w.ReadFile(target); err != nil || string(got) != fmt.Sprint(winner) {
			t.Fatalf("round %d: target = %q, %v; want the winner's %d", round, got, err, winner)
		}
	}
}

func testOutside(t *testing.T, newLake func(t *testing.T) *sink.HDFS) {
	w, root := load(t, newLake(t))
	u, err := url.Parse(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"hdfs://" + u.Host + "/elsewhere/x",
		root + "-sibling/x",
		root + "/../x",
		"file://" + u.Path + "/x",
		"hdfs://other.example:8020" + u.Path + "/x",
		u.Path + "/x",
	} {
		if _, err := w.Create(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Create(%s) = %v, want fs.ErrInvalid", name, err)
		}
		if _, err := w.Stat(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Stat(%s) = %v, want fs.ErrInvalid", name, err)
		}
	}
}

// readOnly is a lake that only reads.
type readOnly struct{ sink.ReadFS }

func testReadOnly(t *testing.T, newLake func(t *testing.T) *sink.HDFS) {
	lake := newLake(t)
	w, root := load(t, lake)
	if err := w.WriteFile(root+"/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	r, err := iceio.New(readOnly{lake})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.ReadFile(root + "/x"); err != nil || string(got) != "x" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
	for op, err := range map[string]error{
		"Remove":          r.Remove(root + "/x"),
		"RemoveAll":       r.RemoveAll(root + "/x"),
		"WriteFile":       r.WriteFile(root+"/y", []byte("y")),
		"MkdirAll":        r.MkdirAll(root + "/d"),
		"Rename":          r.Rename(root+"/x", root+"/y"),
		"RenameNoReplace": r.RenameNoReplace(root+"/x", root+"/y"),
	} {
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("%s on a read-only lake = %v, want fs.ErrPermission", op, err)
		}
	}
	if _, err := r.Create(root + "/y"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Create on a read-only lake = %v, want fs.ErrPermission", err)
	}
	if got, err := r.ReadFile(root + "/x"); err != nil || string(got) != "x" {
		t.Fatalf("after the refused changes, ReadFile = %q, %v", got, err)
	}
	if _, err := lake.Stat("y"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a read-only IO created y: %v", err)
	}
}
