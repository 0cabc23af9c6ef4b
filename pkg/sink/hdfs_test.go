package sink_test

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
)

// hdfsEnv names a real NameNode (host:port) to run the HDFS tests against
// as well.
const hdfsEnv = "LANDERD_TEST_HDFS" // and its group for Chgrp in LANDERD_TEST_HDFS_GROUP (default supergroup)

// lakeSeq numbers lake roots so that tests sharing a cluster do not meet.
var lakeSeq atomic.Int64

// newHDFS opens a fresh lake root on the NameNode at addr and removes it
// when the test ends.
func newHDFS(t *testing.T, addr string, opts sink.HDFSOptions) *sink.HDFS {
	t.Helper()
	root := fmt.Sprintf("/tmp/landerd-test-%d-%d-%d", os.Getpid(), time.Now().UnixNano(), lakeSeq.Add(1))
	h, err := sink.NewHDFS("hdfs://"+addr+root, opts)
	if err != nil {
		t.Fatalf("new hdfs lake: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("close hdfs lake: %v", err)
		}
	})
	return h
}

func TestHDFSConformance(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	sinktest.TestFS(t, func(t *testing.T) sink.FS {
		return newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"})
	}, "lake")
}

func TestHDFSConformanceRealCluster(t *testing.T) {
	addr := os.Getenv(hdfsEnv)
	if addr == "" {
		t.Skipf("%s is not set (host:port of a NameNode)", hdfsEnv)
	}
	sinktest.TestFS(t, func(t *testing.T) sink.FS {
		return newHDFS(t, addr, sink.HDFSOptions{})
	}, cmp.Or(os.Getenv(hdfsEnv+"_GROUP"), "supergroup"))
}

func TestNewHDFSBadURL(t *testing.T) {
	for _, u := range []string{"file:///x", "hdfs:///x", "hdfs://h/x", "hdfs://h:1", "::"} {
		h, err := sink.NewHDFS(u, sink.HDFSOptions{User: "u"})
		if err == nil {
			h.Close()
			t.Errorf("NewHDFS(%q) succeeded", u)
		} else if !strings.Contains(err.Error(), "hdfs lake") {
			t.Errorf("NewHDFS(%q): %v; want an hdfs lake error", u, err)
		}
	}
}

func TestHDFSString(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	h, err := sink.NewHDFS("hdfs://"+c.Addr()+"/lake/x/", sink.HDFSOptions{User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if got, want := h.String(), "hdfs://"+c.Addr()+"/lake/x"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestHDFSFaults(t *testing.T) {
	const blockSize = 64 << 10
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*blockSize/16+100)
	tests := []struct {
		name   string
		inject func(c *fakehdfs.Cluster)
		// wantErr: the write or close fails and leaves no complete file.
		wantErr bool
	}{
		{"ReplicatingCloseRetried", func(c *fakehdfs.Cluster) { c.DelayCompletes(3) }, false},
		{"FailedComplete", func(c *fakehdfs.Cluster) { c.FailCalls("complete", 1) }, true},
		{"DataNodeFailsMidFile", func(c *fakehdfs.Cluster) { c.FailDataNodeAfter(1000) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakehdfs.Start(t, fakehdfs.Config{BlockSize: blockSize})
			h := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "u", CallTimeout: 5 * time.Second})
			tt.inject(c)
			err := sinktest.WriteFile(h, "f", data)
			if c.Injected() == 0 {
				t.Fatal("the fault did not take effect")
			}
			if tt.wantErr {
				if err == nil {
					t.Fatal("write succeeded despite the fault")
				}
				// The lake is usable afterwards.
				if err := sinktest.WriteFile(h, "g", data); err != nil {
					t.Fatalf("write after the fault: %v", err)
				}
				if got := sinktest.ReadFile(t, h, "g"); !bytes.Equal(got, data) {
					t.Fatalf("g: read %d bytes back, not the %d written", len(got), len(data))
				}
				return
			}
			if err != nil {
				t.Fatalf("write: %v", err)
			}
			if got := sinktest.ReadFile(t, h, "f"); !bytes.Equal(got, data) {
				t.Fatalf("read %d bytes back, not the %d written", len(got), len(data))
			}
		})
	}
}

func TestHDFSRenameFailureKeepsSource(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	h := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "u"})
	if err := sinktest.WriteFile(h, "tmp", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := sinktest.WriteFile(h, "final", []byte("old")); err != nil {
		t.Fatal(err)
	}
	c.FailCalls("rename2", 1)
	if err := h.Rename("tmp", "final"); err == nil {
		t.Fatal("rename succeeded despite the fault")
	}
	if got := string(sinktest.ReadFile(t, h, "final")); got != "old" {
		t.Fatalf("final after failed rename = %q, want old", got)
	}
	if err := h.Rename("tmp", "final"); err != nil {
		t.Fatal(err)
	}
	if got := string(sinktest.ReadFile(t, h, "final")); got != "new" {
		t.Fatalf("final after rename = %q, want new", got)
	}
}

func TestHDFSHungNameNodeTimesOut(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	h := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "u", CallTimeout: 200 * time.Millisecond})
	c.SetNameNodeHung(true)
	_, err := h.Stat(".")
	if err == nil {
		t.Fatal("stat answered by a hung namenode")
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "stat" {
		t.Fatalf("stat error %v is not a stat *fs.PathError", err)
	}
	c.SetNameNodeHung(false)
	// The timed-out client is retired; the next call dials a new one.
	fi, err := h.Stat(".")
	if err != nil || !fi.IsDir() {
		t.Fatalf("stat after the namenode recovered: %v, %v", fi, err)
	}
}

func TestHDFSNameNodeDownThenBack(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	h := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "u", CallTimeout: time.Second})
	if err := sinktest.WriteFile(h, "a", []byte("a")); err != nil {
		t.Fatal(err)
	}
	c.SetNameNodeDown(true)
	if err := sinktest.WriteFile(h, "b", []byte("b")); err == nil {
		t.Fatal("create with the namenode down succeeded")
	} else if strings.Contains(err.Error(), "already exists") {
		t.Fatalf("unexpected error: %v", err)
	}
	c.SetNameNodeDown(false)
	if err := sinktest.WriteFile(h, "b", []byte("b")); err != nil {
		t.Fatalf("create after the namenode came back: %v", err)
	}
	if got := string(sinktest.ReadFile(t, h, "b")); got != "b" {
		t.Fatalf("b = %q", got)
	}
}

// BenchmarkHDFSWriteRead writes and reads back a 4 MiB file through the
// client and the test cluster: a measure of the test cluster's cost, not
// of a real one.
func BenchmarkHDFSWriteRead(b *testing.B) {
	c := fakehdfs.Start(b, fakehdfs.Config{})
	h, err := sink.NewHDFS("hdfs://"+c.Addr()+"/bench", sink.HDFSOptions{User: "u"})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	data := bytes.Repeat([]byte("landerd!"), 4<<20/8)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("f%d", i)
		if err := sinktest.WriteFile(h, name, data); err != nil {
			b.Fatal(err)
		}
		f, err := h.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, f)
		if err != nil || n != int64(len(data)) {
			b.Fatalf("read %d bytes: %v", n, err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		if err := h.RemoveAll(name); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHDFSUmaskAndGroup: files and directories get the permissions the
// umask leaves, the owner is the configured user, and everything inherits
// the configured group from the lake root.
func TestHDFSUmaskAndGroup(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	for _, tc := range []struct {
		name              string
		umask             *os.FileMode
		group             string
		filePerm, dirPerm os.FileMode
		wantGroup         string
	}{
		{"defaults", nil, "", 0o644, 0o755, "supergroup"},
		{"umask 027, group analysts", ptr(os.FileMode(0o027)), "analysts", 0o640, 0o750, "analysts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander", Umask: tc.umask, Group: tc.group})
			if err := h.MkdirAll("attempts/ingest_date=2026-11-24"); err != nil {
				t.Fatal(err)
			}
			f, err := h.Create("attempts/ingest_date=2026-11-24/x.parquet")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("data")); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			type owned interface {
				Owner() string
				OwnerGroup() string
			}
			for _, e := range []struct {
				name string
				perm os.FileMode
			}{{"attempts", tc.dirPerm}, {"attempts/ingest_date=2026-11-24", tc.dirPerm}, {"attempts/ingest_date=2026-11-24/x.parquet", tc.filePerm}} {
				fi, err := h.Stat(e.name)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != e.perm {
					t.Errorf("%s: mode %v, want %v", e.name, fi.Mode().Perm(), e.perm)
				}
				o, ok := fi.(owned)
				if !ok {
					t.Fatalf("%s: FileInfo %T has no owner", e.name, fi)
				}
				if o.Owner() != "lander" || o.OwnerGroup() != tc.wantGroup {
					t.Errorf("%s: owner %s:%s, want lander:%s", e.name, o.Owner(), o.OwnerGroup(), tc.wantGroup)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// blockWriteGoroutines are the HDFS client's goroutines of a block write:
// one reads the DataNode's acknowledgements, one sends heartbeats.
var blockWriteGoroutines = []string{
	"github.com/colinmarc/hdfs/v2/internal/transfer.(*blockWriteStream).ackPackets",
	"github.com/colinmarc/hdfs/v2/internal/transfer.(*blockWriteStream).writeHeartbeats",
}

// countBlockWriteGoroutines counts the goroutines whose stack holds one of
// blockWriteGoroutines.
func countBlockWriteGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var count int
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, fn := range blockWriteGoroutines {
			if strings.Contains(g, fn+"(") {
				count++
				break
			}
		}
	}
	return count
}

// TestHDFSFailedBlockWriteEndsItsGoroutines: a block write that the
// DataNode drops part way (it closes the connection, as a DataNode that
// dies does) leaves none of the client's goroutines behind once the file
// is closed, however many files fail so.
func TestHDFSFailedBlockWriteEndsItsGoroutines(t *testing.T) {
	const blockSize = 1 << 20 // 16 packets of the client
	c := fakehdfs.Start(t, fakehdfs.Config{BlockSize: blockSize})
	h := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "u", CallTimeout: 5 * time.Second})
	data := bytes.Repeat([]byte("0123456789abcdef"), 2*blockSize/16+100)
	before := countBlockWriteGoroutines()
	// The DataNode drops the first block after so many bytes, early enough
	// that the client writes several packets more and one of its writes
	// fails.
	failAfter := []int64{10, 1000, 70_000, 200_000, 400_000}
	files := len(failAfter)
	for i, n := range failAfter {
		c.FailDataNodeAfter(n)
		injected := c.Injected()
		if err := sinktest.WriteFile(h, fmt.Sprintf("f%d", i), data); err == nil {
			t.Fatalf("file %d: write succeeded despite the dropped block write", i)
		}
		if c.Injected() == injected {
			t.Fatalf("file %d: the fault did not take effect", i)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := countBlockWriteGoroutines()
		if n <= before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d block-write goroutines of the HDFS client are left after %d failed files (%d before)", n, files, before)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The lake still writes.
	if err := sinktest.WriteFile(h, "g", data); err != nil {
		t.Fatalf("write after the faults: %v", err)
	}
	if got := sinktest.ReadFile(t, h, "g"); !bytes.Equal(got, data) {
		t.Fatalf("g: read %d bytes back, not the %d written", len(got), len(data))
	}
}
