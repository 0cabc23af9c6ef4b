package fakehdfs

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
)

// testBlockSize keeps multi-block files small.
const testBlockSize = 64 << 10

// newClient starts a cluster and connects the real client to it.
func newClient(t *testing.T) (*Cluster, *hdfs.Client) {
	t.Helper()
	c := Start(t, Config{BlockSize: testBlockSize})
	cl := connect(t, c)
	return c, cl
}

// connect connects a new client to c, closed when the test ends.
func connect(t *testing.T, c *Cluster) *hdfs.Client {
	t.Helper()
	cl, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.Addr()}, User: "lander"})
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// payload returns n deterministic pseudo-random bytes.
func payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// put writes data to name through the client.
func put(t *testing.T, cl *hdfs.Client, name string, data []byte) {
	t.Helper()
	w, err := cl.Create(name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
}

// get reads name whole through the client.
func get(t *testing.T, cl *hdfs.Client, name string) []byte {
	t.Helper()
	b, err := cl.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func TestWriteReadSizes(t *testing.T) {
	_, cl := newClient(t)
	if err := cl.MkdirAll("/lake/t", 0o755); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	for _, n := range []int{0, 1, 511, 512, 513, 65535, testBlockSize, testBlockSize + 1, 3*testBlockSize + 1000} {
		name := "/lake/t/f" + time.Duration(n).String()
		data := payload(n, uint64(n))
		put(t, cl, name, data)
		if got := get(t, cl, name); !bytes.Equal(got, data) {
			t.Errorf("size %d: read back %d bytes, not the %d written", n, len(got), len(data))
		}
		fi, err := cl.Stat(name)
		if err != nil || fi.Size() != int64(n) || fi.IsDir() {
			t.Errorf("stat size %d: got %v, %v", n, fi, err)
		}
	}
}

func TestRangedReadsAcrossBlocks(t *testing.T) {
	_, cl := newClient(t)
	data := payload(2*testBlockSize+777, 7)
	put(t, cl, "/f", data)
	f, err := cl.Open("/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct{ off, n int }{
		{0, 10}, {testBlockSize - 5, 10}, {testBlockSize, 1}, {testBlockSize - 1, testBlockSize + 2},
		{513, 1500}, {2*testBlockSize + 700, 77}, {len(data) - 1, 1},
	}
	for _, tt := range tests {
		buf := make([]byte, tt.n)
		if _, err := f.ReadAt(buf, int64(tt.off)); err != nil {
			t.Fatalf("read %d at %d: %v", tt.n, tt.off, err)
		}
		if !bytes.Equal(buf, data[tt.off:tt.off+tt.n]) {
			t.Errorf("read %d at %d: wrong bytes", tt.n, tt.off)
		}
	}
	buf := make([]byte, 10)
	if n, err := f.ReadAt(buf, int64(len(data)-4)); n != 4 || err != io.EOF {
		t.Errorf("read past end: %d, %v; want 4, EOF", n, err)
	}
}

func TestNamespace(t *testing.T) {
	_, cl := newClient(t)
	if err := cl.Mkdir("/a/b", 0o755); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("mkdir without parent: %v, want ErrNotExist", err)
	}
	if err := cl.MkdirAll("/a/b", 0o750); err != nil {
		t.Fatal(err)
	}
	fi, err := cl.Stat("/a/b")
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o750 || fi.(*hdfs.FileInfo).Owner() != "lander" {
		t.Errorf("stat dir: %v %v", fi, err)
	}
	put(t, cl, "/a/b/x", []byte("one"))
	if _, err := cl.Create("/a/b/x"); !errors.Is(err, os.ErrExist) {
		t.Errorf("create existing: %v, want ErrExist", err)
	}
	if _, err := cl.CreateFile("/a/missing/x", 1, testBlockSize, 0o644); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("create without parent: %v, want ErrNotExist", err)
	}
	w, err := cl.CreateFile("/a/open", 1, testBlockSize, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateFile("/a/open", 1, testBlockSize, 0o644); !errors.Is(err, os.ErrExist) {
		t.Errorf("create file being written: %v, want ErrExist", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	put(t, cl, "/a/b/y", []byte("two"))
	put(t, cl, "/a/b/a", []byte("three"))
	infos, err := cl.ReadDir("/a/b")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range infos {
		names = append(names, fi.Name())
	}
	if want := []string{"a", "x", "y"}; !slices.Equal(names, want) {
		t.Errorf("list: %v, want %v", names, want)
	}

	if err := cl.Rename("/a/b/y", "/a/b/x"); err != nil {
		t.Fatalf("rename over a file: %v", err)
	}
	if got := string(get(t, cl, "/a/b/x")); got != "two" {
		t.Errorf("after rename over: %q", got)
	}
	if _, err := cl.Stat("/a/b/y"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rename source still there: %v", err)
	}
	if err := cl.Rename("/a/b/nope", "/a/b/z"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rename missing: %v", err)
	}
	if err := cl.Rename("/a/b", "/c"); err != nil {
		t.Fatalf("rename dir: %v", err)
	}
	if got := string(get(t, cl, "/c/a")); got != "three" {
		t.Errorf("after dir rename: %q", got)
	}
	if err := cl.Remove("/c"); err == nil {
		t.Error("remove non-empty dir without recursion succeeded")
	}
	if err := cl.RemoveAll("/c"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Stat("/c/a"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after remove all: %v", err)
	}
	if err := cl.RemoveAll("/c"); err != nil {
		t.Errorf("remove absent: %v", err)
	}
}

func TestFaults(t *testing.T) {
	t.Run("NameNodeDown", func(t *testing.T) {
		c, cl := newClient(t)
		c.SetNameNodeDown(true)
		if _, err := cl.Stat("/"); err == nil {
			t.Fatal("stat with the namenode down succeeded")
		}
		c.SetNameNodeDown(false)
		// The client backs off a failed namenode for 5 s; a new one
		// connects at once.
		cl2 := connect(t, c)
		if fi, err := cl2.Stat("/"); err != nil || !fi.IsDir() {
			t.Fatalf("stat after the namenode came back: %v %v", fi, err)
		}
	})
	t.Run("NameNodeHung", func(t *testing.T) {
		c := Start(t, Config{BlockSize: testBlockSize})
		cl, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.Addr()}, User: "u"})
		if err != nil {
			t.Fatal(err)
		}
		c.SetNameNodeHung(true)
		done := make(chan error, 1)
		go func() { _, err := cl.Stat("/"); done <- err }()
		select {
		case err := <-done:
			t.Fatalf("stat answered by a hung namenode: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err == nil {
			t.Fatal("stat succeeded after the cluster closed")
		}
		cl.Close()
	})
	t.Run("DataNodeFailsMidBlock", func(t *testing.T) {
		c, cl := newClient(t)
		w, err := cl.Create("/f")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(payload(testBlockSize, 1)); err != nil {
			t.Fatal(err)
		}
		c.FailDataNodeAfter(1000)
		_, werr := w.Write(payload(2*testBlockSize, 2))
		cerr := w.Close()
		if werr == nil && cerr == nil {
			t.Fatal("write through a failing datanode succeeded")
		}
		if n := c.Injected(); n != 1 {
			t.Errorf("injected faults: %d, want 1", n)
		}
		// The first block was stored whole; the second never completed,
		// so the file cannot be completed either.
		if fi, err := cl.Stat("/f"); err != nil || fi.Size() != testBlockSize {
			t.Errorf("stat after failure: %v %v; want %d bytes", fi, err, testBlockSize)
		}
		put(t, cl, "/g", []byte("after"))
		if got := string(get(t, cl, "/g")); got != "after" {
			t.Errorf("write after the failure: %q", got)
		}
	})
	t.Run("FailedRename", func(t *testing.T) {
		c, cl := newClient(t)
		put(t, cl, "/a", []byte("a"))
		c.FailCalls("rename2", 1)
		if err := cl.Rename("/a", "/b"); err == nil {
			t.Fatal("injected rename failure not reported")
		}
		if got := string(get(t, cl, "/a")); got != "a" {
			t.Errorf("source after failed rename: %q", got)
		}
		if err := cl.Rename("/a", "/b"); err != nil {
			t.Fatal(err)
		}
		if got := string(get(t, cl, "/b")); got != "a" {
			t.Errorf("after rename: %q", got)
		}
	})
	t.Run("FailedComplete", func(t *testing.T) {
		c, cl := newClient(t)
		c.FailCalls("complete", 1)
		w, err := cl.Create("/a")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("data")); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err == nil || hdfs.IsErrReplicating(err) {
			t.Fatalf("close with a failing complete: %v", err)
		}
		if _, err := cl.Create("/a"); !errors.Is(err, os.ErrExist) {
			t.Errorf("file left open: create again gave %v, want ErrExist", err)
		}
	})
	t.Run("DelayedComplete", func(t *testing.T) {
		c, cl := newClient(t)
		c.DelayCompletes(2)
		w, err := cl.Create("/a")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("data")); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := w.Close(); !hdfs.IsErrReplicating(err) {
				t.Fatalf("close %d: %v, want ErrReplicating", i, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatalf("third close: %v", err)
		}
		if got := string(get(t, cl, "/a")); got != "data" {
			t.Errorf("content: %q", got)
		}
		if n := c.Injected(); n != 2 {
			t.Errorf("injected faults: %d, want 2", n)
		}
		if n := c.Calls("complete"); n != 3 {
			t.Errorf("complete calls: %d, want 3", n)
		}
	})
}

// TestBehavesLikeTheNameNode pins behaviour checked against Apache HDFS
// (test/system/minidfs): a rename may replace a file still being written,
// whose writer then fails; and setOwner from a user who is not the
// superuser may not change the owner, not even to an empty name.
func TestBehavesLikeTheNameNode(t *testing.T) {
	c, cl := newClient(t)
	other := connect(t, c)
	w, err := cl.CreateFile("/open", 1, testBlockSize, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("lost")); err != nil {
		t.Fatal(err)
	}
	put(t, other, "/new", []byte("new"))
	if err := other.Rename("/new", "/open"); err != nil {
		t.Fatalf("rename onto a file being written: %v", err)
	}
	if err := w.Close(); err == nil {
		t.Error("close of a file replaced while open succeeded")
	}
	if got := string(get(t, other, "/open")); got != "new" {
		t.Errorf("/open = %q, want new", got)
	}

	if err := cl.Mkdir("/mine", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := cl.Chown("/mine", "", "analysts"); !errors.Is(err, os.ErrPermission) {
		t.Errorf("chown with an empty user: %v, want ErrPermission", err)
	}
	if err := cl.Chown("/mine", "someone", ""); !errors.Is(err, os.ErrPermission) {
		t.Errorf("chown to another user: %v, want ErrPermission", err)
	}
	if err := cl.Chown("/mine", "lander", "analysts"); err != nil {
		t.Errorf("chgrp by the owner: %v", err)
	}
	if fi, err := cl.Stat("/mine"); err != nil || fi.(*hdfs.FileInfo).OwnerGroup() != "analysts" {
		t.Errorf("stat /mine after chgrp: %v, %v", fi, err)
	}
	stranger, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.Addr()}, User: "stranger"})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	if err := stranger.Chown("/mine", "stranger", "stranger"); !errors.Is(err, os.ErrPermission) {
		t.Errorf("chown by a user who is not the owner: %v, want ErrPermission", err)
	}
}
