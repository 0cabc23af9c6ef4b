package sinktest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os/user"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/colinmarc/hdfs/v2"

	"github.com/landerd/landerd/pkg/sink"
)

// TestFS runs the conformance suite against the filesystems newFS returns.
// newFS is called once per subtest and must return an empty filesystem
// (for example a fresh root directory) that it cleans up through t. group
// is a group the filesystem's user may give its files and directories.
func TestFS(t *testing.T, newFS func(t *testing.T) sink.FS, group string) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, fsys sink.FS)
	}{
		{"String", same(testString)},
		{"CreateExclusive", testCreateExclusive},
		{"CreateWithoutParent", testCreateWithoutParent},
		{"InvalidPaths", testInvalidPaths},
		{"ReadInvalidPaths", same(testReadInvalidPaths)},
		{"WriteAfterClose", testWriteAfterClose},
		{"MkdirAll", testMkdirAll},
		{"RenameReplacesFile", testRenameReplaces},
		{"RenameMissingSource", testRenameMissingSource},
		{"RenameAcrossDirs", testRenameAcrossDirs},
		{"RemoveAllTree", testRemoveAllTree},
		{"RemoveAllFileAndAbsent", testRemoveAllFileAndAbsent},
		{"ReadDirSorted", same(testReadDirSorted)},
		{"Stat", same(testStat)},
		{"RangedReads", same(testRangedReads)},
		{"ContentAfterClose", same(testContentAfterClose)},
		{"CreatePerm", testCreatePerm},
		{"Chmod", testChmod},
		{"Chgrp", func(t *testing.T, fsys sink.FS) { testChgrp(t, fsys, group) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newFS(t))
		})
	}
}

// readTest is a test of reading: it writes its files through w and reads
// them through r, which reads the same lake.
type readTest func(t *testing.T, w sink.FS, r sink.ReadFS)

// same runs a test of reading on one filesystem, writing and reading.
func same(run readTest) func(t *testing.T, fsys sink.FS) {
	return func(t *testing.T, fsys sink.FS) { run(t, fsys, fsys) }
}

// TestReadFS runs the suite's tests of reading against a filesystem that
// need implement only sink.ReadFS, such as a lake opened for reading only.
// newFS is called once per subtest and must return an empty lake w to
// write the subtest's files through and r reading the same lake, and
// clean both up through t.
func TestReadFS(t *testing.T, newFS func(t *testing.T) (w sink.FS, r sink.ReadFS)) {
	t.Helper()
	tests := []struct {
		name string
		run  readTest
	}{
		{"String", testString},
		{"ReadInvalidPaths", testReadInvalidPaths},
		{"ReadDirSorted", testReadDirSorted},
		{"Stat", testStat},
		{"RangedReads", testRangedReads},
		{"ContentAfterClose", testContentAfterClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, r := newFS(t)
			tt.run(t, w, r)
		})
	}
}

// writeFile creates name holding data, written in chunks of at most chunk
// bytes, and closes it.
func writeFile(t *testing.T, fsys sink.CreateFS, name string, data []byte, chunk int) {
	t.Helper()
	f, err := fsys.Create(name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	for rest := data; len(rest) > 0; {
		n := min(chunk, len(rest))
		w, err := f.Write(rest[:n])
		if err != nil || w != n {
			t.Fatalf("write %s: wrote %d of %d: %v", name, w, n, err)
		}
		rest = rest[n:]
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
}

// readFile returns the whole content of name.
func readFile(t *testing.T, fsys sink.ReadFS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s after read: %v", name, err)
	}
	return data
}

func mkdirAll(t *testing.T, fsys sink.CreateFS, name string) {
	t.Helper()
	if err := fsys.MkdirAll(name); err != nil {
		t.Fatalf("mkdir %s: %v", name, err)
	}
}

func wantNotExist(t *testing.T, fsys sink.ReadFS, name string) {
	t.Helper()
	if fi, err := fsys.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat %s = %v, %v; want fs.ErrNotExist", name, fi, err)
	}
}

// names lists a directory's entry names.
func names(t *testing.T, fsys sink.ReadFS, dir string) []string {
	t.Helper()
	infos, err := fsys.ReadDir(dir)
	if err != nil {
		t.Fatalf("readdir %s: %v", dir, err)
	}
	out := make([]string, len(infos))
	for i, fi := range infos {
		out[i] = fi.Name()
	}
	return out
}

func testString(t *testing.T, _ sink.FS, r sink.ReadFS) {
	if r.String() == "" {
		t.Fatal("String() is empty; want a URL naming the filesystem and root")
	}
}

func testCreateExclusive(t *testing.T, fsys sink.FS) {
	writeFile(t, fsys, "a", []byte("first"), 64)
	f, err := fsys.Create("a")
	if !errors.Is(err, fs.ErrExist) {
		if f != nil {
			_ = f.Close()
		}
		t.Fatalf("second create of a: err = %v; want fs.ErrExist", err)
	}
	if got := readFile(t, fsys, "a"); string(got) != "first" {
		t.Fatalf("a after failed create = %q; want %q", got, "first")
	}
	mkdirAll(t, fsys, "d")
	if _, err := fsys.Create("d"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("create over directory d: err = %v; want fs.ErrExist", err)
	}
}

func testCreateWithoutParent(t *testing.T, fsys sink.FS) {
	_, err := fsys.Create("missing/dir/x")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("create missing/dir/x: err = %v; want fs.ErrNotExist", err)
	}
	wantNotExist(t, fsys, "missing")
}

func testInvalidPaths(t *testing.T, fsys sink.FS) {
	for _, name := range []string{"../escape", "/abs", "a/../../b", "a//b", "a/./b", "", "a/"} {
		if f, err := fsys.Create(name); err == nil {
			_ = f.Close()
			t.Errorf("create %q succeeded; want an invalid path error", name)
		}
		if err := fsys.MkdirAll(name); err == nil {
			t.Errorf("mkdir %q succeeded; want an invalid path error", name)
		}
		if err := fsys.RemoveAll(name); err == nil {
			t.Errorf("remove %q succeeded; want an invalid path error", name)
		}
		if err := fsys.Rename("x", name); err == nil {
			t.Errorf("rename to %q succeeded; want an invalid path error", name)
		}
	}
}

// testReadInvalidPaths checks that reads reject every path that is not a
// valid lake path, as changes do (testInvalidPaths).
func testReadInvalidPaths(t *testing.T, w sink.FS, r sink.ReadFS) {
	writeFile(t, w, "a", []byte("a"), 1)
	for _, name := range []string{"../escape", "/abs", "a/../../b", "a//b", "a/./b", "", "a/", "./a"} {
		if f, err := r.Open(name); !errors.Is(err, fs.ErrInvalid) {
			if err == nil {
				_ = f.Close()
			}
			t.Errorf("open %q: err = %v; want fs.ErrInvalid", name, err)
		}
		if _, err := r.ReadDir(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("readdir %q: err = %v; want fs.ErrInvalid", name, err)
		}
		if _, err := r.Stat(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("stat %q: err = %v; want fs.ErrInvalid", name, err)
		}
	}
}

func testWriteAfterClose(t *testing.T, fsys sink.FS) {
	f, err := fsys.Create("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Write([]byte("y")); err == nil {
		t.Fatalf("write after close = %d, nil; want an error", n)
	}
	if got := readFile(t, fsys, "a"); string(got) != "x" {
		t.Fatalf("a = %q; want %q", got, "x")
	}
}

func testMkdirAll(t *testing.T, fsys sink.FS) {
	mkdirAll(t, fsys, "a/b/c")
	mkdirAll(t, fsys, "a/b/c") // idempotent
	mkdirAll(t, fsys, "a/b")
	for _, d := range []string{"a", "a/b", "a/b/c"} {
		fi, err := fsys.Stat(d)
		if err != nil || !fi.IsDir() {
			t.Fatalf("stat %s = %v, %v; want a directory", d, fi, err)
		}
	}
	writeFile(t, fsys, "a/f", []byte("x"), 1)
	if err := fsys.MkdirAll("a/f"); err == nil {
		t.Fatal("mkdir over file a/f succeeded; want an error")
	}
	if err := fsys.MkdirAll("a/f/g"); err == nil {
		t.Fatal("mkdir under file a/f succeeded; want an error")
	}
}

func testRenameReplaces(t *testing.T, fsys sink.FS) {
	writeFile(t, fsys, "old", []byte("old content"), 64)
	writeFile(t, fsys, "new", []byte("new"), 64)
	if err := fsys.Rename("new", "old"); err != nil {
		t.Fatalf("rename new -> old: %v", err)
	}
	if got := readFile(t, fsys, "old"); string(got) != "new" {
		t.Fatalf("old after rename = %q; want %q", got, "new")
	}
	wantNotExist(t, fsys, "new")
	if got := names(t, fsys, "."); !slices.Equal(got, []string{"old"}) {
		t.Fatalf("root after rename = %q; want [old]", got)
	}
}

func testRenameMissingSource(t *testing.T, fsys sink.FS) {
	writeFile(t, fsys, "dst", []byte("kept"), 64)
	if err := fsys.Rename("gone", "dst"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("rename gone -> dst: err = %v; want fs.ErrNotExist", err)
	}
	if got := readFile(t, fsys, "dst"); string(got) != "kept" {
		t.Fatalf("dst after failed rename = %q; want %q", got, "kept")
	}
	mkdirAll(t, fsys, "d")
	if err := fsys.Rename("d/gone", "d/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("rename d/gone -> d/x: err = %v; want fs.ErrNotExist", err)
	}
	wantNotExist(t, fsys, "d/x")
}

func testRenameAcrossDirs(t *testing.T, fsys sink.FS) {
	mkdirAll(t, fsys, "tmp")
	mkdirAll(t, fsys, "table/day=1")
	writeFile(t, fsys, "tmp/f.tmp", []byte("data"), 2)
	if err := fsys.Rename("tmp/f.tmp", "table/day=1/f"); err != nil {
		t.Fatalf("rename across dirs: %v", err)
	}
	if got := readFile(t, fsys, "table/day=1/f"); string(got) != "data" {
		t.Fatalf("renamed file = %q; want %q", got, "data")
	}
	if got := names(t, fsys, "tmp"); len(got) != 0 {
		t.Fatalf("tmp after rename = %q; want empty", got)
	}
	// A directory moves with its content.
	writeFile(t, fsys, "tmp/g", []byte("g"), 1)
	if err := fsys.Rename("tmp", "moved"); err != nil {
		t.Fatalf("rename directory: %v", err)
	}
	if got := readFile(t, fsys, "moved/g"); string(got) != "g" {
		t.Fatalf("moved/g = %q; want %q", got, "g")
	}
	wantNotExist(t, fsys, "tmp")
}

func testRemoveAllTree(t *testing.T, fsys sink.FS) {
	mkdirAll(t, fsys, "keep")
	mkdirAll(t, fsys, "d/e/f")
	writeFile(t, fsys, "d/x", []byte("x"), 1)
	writeFile(t, fsys, "d/e/f/y", []byte("y"), 1)
	writeFile(t, fsys, "dd", []byte("sibling"), 64)
	if err := fsys.RemoveAll("d"); err != nil {
		t.Fatalf("remove d: %v", err)
	}
	for _, name := range []string{"d", "d/x", "d/e", "d/e/f/y"} {
		wantNotExist(t, fsys, name)
	}
	if _, err := fsys.Create("d/e/z"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("create inside removed tree: err = %v; want fs.ErrNotExist", err)
	}
	if _, err := fsys.Create("d/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("create inside removed dir: err = %v; want fs.ErrNotExist", err)
	}
	writeFile(t, fsys, "keep/src", []byte("s"), 1)
	if err := fsys.Rename("keep/src", "d/e/src"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("rename into removed tree: err = %v; want fs.ErrNotExist", err)
	}
	if got := readFile(t, fsys, "keep/src"); string(got) != "s" {
		t.Fatalf("source of failed rename = %q; want %q", got, "s")
	}
	if got := names(t, fsys, "."); !slices.Equal(got, []string{"dd", "keep"}) {
		t.Fatalf("root after remove = %q; want [dd keep]", got)
	}
}

func testRemoveAllFileAndAbsent(t *testing.T, fsys sink.FS) {
	writeFile(t, fsys, "f", []byte("f"), 1)
	if err := fsys.RemoveAll("f"); err != nil {
		t.Fatalf("remove file f: %v", err)
	}
	wantNotExist(t, fsys, "f")
	if err := fsys.RemoveAll("f"); err != nil {
		t.Fatalf("remove absent f: %v; want nil", err)
	}
	if err := fsys.RemoveAll("no/such/dir"); err != nil {
		t.Fatalf("remove absent no/such/dir: %v; want nil", err)
	}
	if got := names(t, fsys, "."); len(got) != 0 {
		t.Fatalf("root after removes = %q; want empty", got)
	}
}

func testReadDirSorted(t *testing.T, w sink.FS, r sink.ReadFS) {
	mkdirAll(t, w, "d/sub")
	want := []string{"a", "b", "c10", "c2", "sub", "z"}
	for _, n := range []string{"z", "c2", "a", "c10", "b"} {
		writeFile(t, w, "d/"+n, []byte(n), 8)
	}
	infos, err := r.ReadDir("d")
	if err != nil {
		t.Fatalf("readdir d: %v", err)
	}
	var got []string
	for _, fi := range infos {
		got = append(got, fi.Name())
		if wantDir := fi.Name() == "sub"; fi.IsDir() != wantDir {
			t.Errorf("%s: IsDir = %v; want %v", fi.Name(), fi.IsDir(), wantDir)
		}
		if !fi.IsDir() && fi.Size() != int64(len(fi.Name())) {
			t.Errorf("%s: size %d; want %d", fi.Name(), fi.Size(), len(fi.Name()))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("readdir d = %q; want %q", got, want)
	}
	if _, err := r.ReadDir("nodir"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("readdir nodir: err = %v; want fs.ErrNotExist", err)
	}
}

func testStat(t *testing.T, w sink.FS, r sink.ReadFS) {
	tests := []struct {
		name string
		size int
	}{{"empty", 0}, {"one", 1}, {"page", 4096}, {"big", 3<<20 + 17}}
	for _, tt := range tests {
		writeFile(t, w, tt.name, make([]byte, tt.size), 1<<16)
		fi, err := r.Stat(tt.name)
		if err != nil {
			t.Fatalf("stat %s: %v", tt.name, err)
		}
		if fi.Size() != int64(tt.size) || fi.IsDir() || fi.Name() != tt.name {
			t.Errorf("stat %s = {name %q size %d dir %v}; want {name %q size %d dir false}",
				tt.name, fi.Name(), fi.Size(), fi.IsDir(), tt.name, tt.size)
		}
	}
	mkdirAll(t, w, "dir")
	if fi, err := r.Stat("dir"); err != nil || !fi.IsDir() {
		t.Fatalf("stat dir = %v, %v; want a directory", fi, err)
	}
	wantNotExist(t, r, "missing")
}

func testRangedReads(t *testing.T, w sink.FS, r sink.ReadFS) {
	const size = 3<<20 + 12345 // more than one 1 MiB block, not aligned
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	writeFile(t, w, "big", data, 100_003)

	f, err := r.Open("big")
	if err != nil {
		t.Fatalf("open big: %v", err)
	}
	defer func() {
		if err := f.Close(); err != nil {
			t.Errorf("close big: %v", err)
		}
	}()
	if f.Size() != size {
		t.Fatalf("size = %d; want %d", f.Size(), size)
	}
	reads := []struct {
		off, n int64
	}{
		{0, 1},
		{0, 4096},
		{1<<20 - 10, 20},        // across the first MiB boundary
		{1<<20 - 1, 1<<20 + 2},  // spanning a whole MiB and both boundaries
		{2<<20 + 100, 500_000},  // in the middle
		{size - 8, 8},           // the last bytes, as a Parquet footer read does
		{size - 1<<20, 1 << 20}, // the last MiB
		{12345, 3 << 20},        // nearly everything
	}
	for _, rd := range reads {
		buf := make([]byte, rd.n)
		n, err := f.ReadAt(buf, rd.off)
		if err != nil && !(errors.Is(err, io.EOF) && rd.off+rd.n == size) {
			t.Fatalf("ReadAt(%d, %d): %v", rd.off, rd.n, err)
		}
		if int64(n) != rd.n || !bytes.Equal(buf, data[rd.off:rd.off+rd.n]) {
			t.Fatalf("ReadAt(%d, %d) = %d bytes, equal=%v; want the file's bytes", rd.off, rd.n, n, bytes.Equal(buf[:n], data[rd.off:rd.off+int64(n)]))
		}
	}
	buf := make([]byte, 10)
	if n, err := f.ReadAt(buf, size-4); n != 4 || !errors.Is(err, io.EOF) {
		t.Fatalf("ReadAt past the end = %d, %v; want 4, io.EOF", n, err)
	}
	// Seek and Read, as sequential readers do.
	if pos, err := f.Seek(-100, io.SeekEnd); err != nil || pos != size-100 {
		t.Fatalf("Seek(-100, end) = %d, %v; want %d", pos, err, size-100)
	}
	tail, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(tail, data[size-100:]) {
		t.Fatalf("read after seek: %d bytes, %v; want the last 100 bytes", len(tail), err)
	}
	if pos, err := f.Seek(0, io.SeekStart); err != nil || pos != 0 {
		t.Fatalf("Seek(0, start) = %d, %v", pos, err)
	}
	all, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(all, data) {
		t.Fatalf("full read: %d bytes, %v; want %d equal bytes", len(all), err, size)
	}
}

func testContentAfterClose(t *testing.T, w sink.FS, r sink.ReadFS) {
	// Many small writes, as a Parquet writer makes, must all arrive.
	var want bytes.Buffer
	f, err := w.Create("small-writes")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10_000 {
		p := []byte{byte(i), byte(i >> 8), 'x'}
		want.Write(p)
		if _, err := f.Write(p); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if got := readFile(t, r, "small-writes"); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("content after close: %d bytes; want %d equal bytes", len(got), want.Len())
	}
	fi, err := r.Stat("small-writes")
	if err != nil || fi.Size() != int64(want.Len()) {
		t.Fatalf("stat after close = %v, %v; want size %d", fi, err, want.Len())
	}
}

func testCreatePerm(t *testing.T, fsys sink.FS) {
	for _, perm := range []fs.FileMode{0o640, 0o600, 0o604, 0o777} {
		name := "f" + strconv.FormatUint(uint64(perm), 8)
		f, err := fsys.CreatePerm(name, perm)
		if err != nil {
			t.Fatalf("create %s with %v: %v", name, perm, err)
		}
		if _, err := f.Write([]byte(name)); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("close %s: %v", name, err)
		}
		if got := Perm(t, fsys, name); got != perm {
			t.Errorf("%s: mode %v; want %v", name, got, perm)
		}
		if got := readFile(t, fsys, name); string(got) != name {
			t.Errorf("%s = %q; want %q", name, got, name)
		}
	}
	if _, err := fsys.CreatePerm("f640", 0o640); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second create of f640: err = %v; want fs.ErrExist", err)
	}
	if _, err := fsys.CreatePerm("missing/x", 0o640); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("create missing/x: err = %v; want fs.ErrNotExist", err)
	}
	if f, err := fsys.CreatePerm("../x", 0o640); err == nil {
		_ = f.Close()
		t.Fatal("create ../x succeeded; want an invalid path error")
	}
}

func testChmod(t *testing.T, fsys sink.FS) {
	writeFile(t, fsys, "f", []byte("f"), 1)
	mkdirAll(t, fsys, "d/e")
	for _, tt := range []struct {
		name string
		perm fs.FileMode
	}{{"f", 0o640}, {"f", 0o604}, {"d", 0o751}, {"d/e", 0o750}, {"d/e", 0o700}} {
		if err := fsys.Chmod(tt.name, tt.perm); err != nil {
			t.Fatalf("chmod %s %v: %v", tt.name, tt.perm, err)
		}
		if got := Perm(t, fsys, tt.name); got != tt.perm {
			t.Errorf("%s after chmod: mode %v; want %v", tt.name, got, tt.perm)
		}
	}
	if got := readFile(t, fsys, "f"); string(got) != "f" {
		t.Errorf("f after chmod = %q; want %q", got, "f")
	}
	if err := fsys.Chmod("missing", 0o640); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("chmod missing: err = %v; want fs.ErrNotExist", err)
	}
	if err := fsys.Chmod("../x", 0o640); err == nil {
		t.Fatal("chmod ../x succeeded; want an invalid path error")
	}
}

func testChgrp(t *testing.T, fsys sink.FS, group string) {
	if group == "" {
		t.Fatal("the suite was given no group for Chgrp")
	}
	writeFile(t, fsys, "f", []byte("f"), 1)
	mkdirAll(t, fsys, "d")
	for _, name := range []string{"f", "d"} {
		if err := fsys.Chgrp(name, group); err != nil {
			t.Fatalf("chgrp %s %s: %v", name, group, err)
		}
		if got := Group(t, fsys, name); got != group {
			t.Errorf("%s after chgrp: group %q; want %q", name, got, group)
		}
	}
	// What is created in a directory takes its group (on a local
	// filesystem once Chmod has marked the directory).
	if err := fsys.Chmod("d", 0o750); err != nil {
		t.Fatalf("chmod d: %v", err)
	}
	if got := Group(t, fsys, "d"); got != group {
		t.Errorf("d after chmod: group %q; want %q", got, group)
	}
	writeFile(t, fsys, "d/new", []byte("n"), 1)
	mkdirAll(t, fsys, "d/sub")
	f, err := fsys.CreatePerm("d/sub/x", 0o640)
	if err != nil {
		t.Fatalf("create d/sub/x: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close d/sub/x: %v", err)
	}
	for _, name := range []string{"d/new", "d/sub", "d/sub/x"} {
		if got := Group(t, fsys, name); got != group {
			t.Errorf("%s created in d: group %q; want d's %q", name, got, group)
		}
	}
	if err := fsys.Chgrp("missing", group); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("chgrp missing: err = %v; want fs.ErrNotExist", err)
	}
	if err := fsys.Chgrp("../x", group); err == nil {
		t.Fatal("chgrp ../x succeeded; want an invalid path error")
	}
}

// Perm returns the permission bits of name on fsys.
func Perm(t testing.TB, fsys sink.ReadFS, name string) fs.FileMode {
	t.Helper()
	fi, err := fsys.Stat(name)
	if err != nil {
		t.Fatalf("stat %s: %v", name, err)
	}
	return fi.Mode().Perm()
}

// Group returns the group of name on fsys: a local filesystem's or HDFS's.
func Group(t testing.TB, fsys sink.ReadFS, name string) string {
	t.Helper()
	fi, err := fsys.Stat(name)
	if err != nil {
		t.Fatalf("stat %s: %v", name, err)
	}
	if hfi, ok := fi.(*hdfs.FileInfo); ok {
		return hfi.OwnerGroup()
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Fatalf("stat %s: %T tells no group", name, fi.Sys())
	}
	g, err := user.LookupGroupId(strconv.FormatUint(uint64(st.Gid), 10))
	if err != nil {
		t.Fatalf("group of %s: %v", name, err)
	}
	return g.Name
}
