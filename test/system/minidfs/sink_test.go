package minidfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
	"github.com/landerd/landerd/test/system/minidfs"
)

// lakeSeq numbers lake roots so that tests sharing a cluster do not meet.
var lakeSeq atomic.Int64

// newLake opens a fresh lake root under /tmp on c as user and closes it
// when the test ends.
func newLake(t *testing.T, c *minidfs.Cluster, opts sink.HDFSOptions) *sink.HDFS {
	t.Helper()
	root := fmt.Sprintf("/tmp/lake-%d", lakeSeq.Add(1))
	return openLake(t, c, root, opts)
}

// openLake opens the lake at root on c and closes it when the test ends.
func openLake(t *testing.T, c *minidfs.Cluster, root string, opts sink.HDFSOptions) *sink.HDFS {
	t.Helper()
	if opts.CallTimeout == 0 {
		opts.CallTimeout = 10 * time.Second
	}
	h, err := sink.NewHDFS(c.URL()+root, opts)
	if err != nil {
		t.Fatalf("open lake %s as %s: %v", root, opts.User, err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("close lake %s: %v", root, err)
		}
	})
	return h
}

// TestSinkConformance runs pkg/sink's filesystem conformance suite against
// Apache HDFS, as a user without special rights.
func TestSinkConformance(t *testing.T) {
	c := shared(t)
	sinktest.TestFS(t, func(t *testing.T) sink.FS {
		return newLake(t, c, sink.HDFSOptions{User: userLander})
	}, groupLake)
}

// owned is what colinmarc's FileInfo tells of ownership.
type owned interface {
	Owner() string
	OwnerGroup() string
}

// TestUmaskAndGroup: files and directories get the permissions the umask
// leaves, belong to the writing user, and inherit the group given to the
// lake root, which the user may set only to a group it belongs to.
func TestUmaskAndGroup(t *testing.T) {
	c := shared(t)
	umask := os.FileMode(0o027)
	h := newLake(t, c, sink.HDFSOptions{User: userLander, Umask: &umask, Group: groupLake})
	if err := h.MkdirAll("attempts/ingest_date=2026-11-24"); err != nil {
		t.Fatal(err)
	}
	if err := sinktest.WriteFile(h, "attempts/ingest_date=2026-11-24/x.parquet", []byte("data")); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		name string
		perm os.FileMode
	}{{".", 0o750}, {"attempts", 0o750}, {"attempts/ingest_date=2026-11-24", 0o750}, {"attempts/ingest_date=2026-11-24/x.parquet", 0o640}} {
		fi, err := h.Stat(e.name)
		if err != nil {
			t.Fatal(err)
		}
		o := fi.(owned)
		if fi.Mode().Perm() != e.perm || o.Owner() != userLander || o.OwnerGroup() != groupLake {
			t.Errorf("%s: %v %s:%s, want %v %s:%s", e.name, fi.Mode().Perm(), o.Owner(), o.OwnerGroup(), e.perm, userLander, groupLake)
		}
	}
	// Opening the same lake again leaves the group as it is.
	openLake(t, c, strings.TrimPrefix(h.String(), c.URL()), sink.HDFSOptions{User: userLander, Group: groupLake})

	// A group the user is not a member of is refused.
	_, err := sink.NewHDFS(c.URL()+"/tmp/lake-foreign-group", sink.HDFSOptions{User: userLander, Group: "acme", CallTimeout: 10 * time.Second})
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("lake with a group lander is not in: err = %v, want fs.ErrPermission", err)
	}
}

// TestPermissionDenied: HDFS enforces permissions on every call landerd
// makes, and landerd reports them as fs.ErrPermission without retiring
// its client.
func TestPermissionDenied(t *testing.T) {
	c := shared(t)
	su, err := minidfs.Superuser()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Mkdir("/tenants", su, "supergroup", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.Mkdir("/tenants/acme", "acme", "acme", 0o750); err != nil {
		t.Fatal(err)
	}
	umask := os.FileMode(0o027)
	acme := openLake(t, c, "/tenants/acme/lake", sink.HDFSOptions{User: "acme", Umask: &umask})
	if err := acme.MkdirAll("attempts"); err != nil {
		t.Fatal(err)
	}
	if err := sinktest.WriteFile(acme, "attempts/a.parquet", []byte("acme's")); err != nil {
		t.Fatal(err)
	}

	// Another tenant can neither create a lake there nor read one.
	if _, err := sink.NewHDFS(c.URL()+"/tenants/acme/lake", sink.HDFSOptions{User: userGlobex, CallTimeout: 10 * time.Second}); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("globex opening acme's lake: err = %v, want fs.ErrPermission", err)
	}
	spy := openLake(t, c, "/tenants", sink.HDFSOptions{User: userGlobex})
	if _, err := spy.Open("acme/lake/attempts/a.parquet"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("globex opening acme's file: err = %v, want fs.ErrPermission", err)
	}
	if _, err := spy.ReadDir("acme"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("globex listing acme's folder: err = %v, want fs.ErrPermission", err)
	}
	if err := spy.RemoveAll("acme"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("globex removing acme's folder: err = %v, want fs.ErrPermission", err)
	}
	if err := spy.MkdirAll("globex"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("globex creating a folder in /tenants: err = %v, want fs.ErrPermission", err)
	}
	// The client is still usable after the refusals.
	if _, err := spy.ReadDir("."); err != nil {
		t.Errorf("globex listing /tenants after the refusals: %v", err)
	}

	// A member of acme's group reads, but does not write.
	reader := openLake(t, c, "/tenants/acme/lake", sink.HDFSOptions{User: userAnalyst})
	if got := string(sinktest.ReadFile(t, reader, "attempts/a.parquet")); got != "acme's" {
		t.Errorf("analyst read %q, want acme's", got)
	}
	if err := sinktest.WriteFile(reader, "attempts/b.parquet", []byte("x")); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("analyst writing into acme's table: err = %v, want fs.ErrPermission", err)
	}
	if err := reader.Rename("attempts/a.parquet", "attempts/c.parquet"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("analyst renaming acme's file: err = %v, want fs.ErrPermission", err)
	}
}

// TestFilesBeingWritten: what HDFS does to a file still open for writing
// when another client (another landerd replica, or a claim's cleanup)
// touches it. Creating it again is refused; renaming it moves it and the
// writer completes it under the new name; renaming another file onto it or
// removing it succeeds, and the writer's Close then fails.
func TestFilesBeingWritten(t *testing.T) {
	c := shared(t)
	writer := newLake(t, c, sink.HDFSOptions{User: userLander})
	root := strings.TrimPrefix(writer.String(), c.URL())
	other := openLake(t, c, root, sink.HDFSOptions{User: userLander}) // another client
	data := bytes.Repeat([]byte("landerd!"), 20_000)

	open := func(name string) sink.File {
		t.Helper()
		f, err := writer.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		return f
	}

	t.Run("CreateAgain", func(t *testing.T) {
		f := open("a")
		if _, err := other.Create("a"); !errors.Is(err, fs.ErrExist) {
			t.Errorf("create of a file another client writes: err = %v, want fs.ErrExist", err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("RenameWhileOpen", func(t *testing.T) {
		f := open("b")
		if err := other.Rename("b", "b-moved"); err != nil {
			t.Fatalf("rename of an open file: %v", err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("close after the file was renamed: %v", err)
		}
		if got := sinktest.ReadFile(t, other, "b-moved"); !bytes.Equal(got, append(append([]byte{}, data...), data...)) {
			t.Errorf("b-moved holds %d bytes, want %d", len(got), 2*len(data))
		}
	})
	t.Run("RenameOntoOpen", func(t *testing.T) {
		f := open("c")
		if err := sinktest.WriteFile(other, "c-new", []byte("new")); err != nil {
			t.Fatal(err)
		}
		if err := other.Rename("c-new", "c"); err != nil {
			t.Fatalf("rename onto an open file: %v", err)
		}
		if err := f.Close(); err == nil {
			t.Error("close of a file replaced by a rename succeeded")
		}
		if got := string(sinktest.ReadFile(t, other, "c")); got != "new" {
			t.Errorf("c = %q, want new", got)
		}
	})
	t.Run("RemoveWhileOpen", func(t *testing.T) {
		f := open("d")
		if err := other.RemoveAll("d"); err != nil {
			t.Fatalf("remove of an open file: %v", err)
		}
		if err := f.Close(); err == nil {
			t.Error("close of a removed file succeeded")
		}
		if _, err := other.Stat("d"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stat d after the writer closed: %v, want fs.ErrNotExist", err)
		}
	})
}

// TestNameNodeRestart: a NameNode restart breaks the connection of every
// client. A file being written cannot be completed and stays open under
// the dead client's lease, so creating it again is refused, but it can be
// removed, as a claim removes orphaned temporary files. The lake's next
// calls dial a fresh client and find every completed file intact.
func TestNameNodeRestart(t *testing.T) {
	c := shared(t)
	h := newLake(t, c, sink.HDFSOptions{User: userLander})
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*minidfs.DefaultBlockSize/16+100)
	if err := sinktest.WriteFile(h, "done", data); err != nil {
		t.Fatal(err)
	}
	f, err := h.Create("open")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data[:minidfs.DefaultBlockSize+10]); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.RestartNameNode(); err != nil {
		t.Fatal(err)
	}
	t.Logf("NameNode restarted in %s", time.Since(start).Round(time.Millisecond))
	_, werr := f.Write(data[minidfs.DefaultBlockSize+10:])
	if err := errors.Join(werr, f.Close()); err == nil {
		t.Fatal("a file open across the NameNode restart was completed")
	} else {
		t.Logf("writing across the restart: %v", err)
	}
	// The failed close retired the client; the next calls work.
	if got := sinktest.ReadFile(t, h, "done"); !bytes.Equal(got, data) {
		t.Fatalf("done: read %d bytes back, not the %d written", len(got), len(data))
	}
	if _, err := h.Create("open"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("create of the file left open: err = %v, want fs.ErrExist (its lease is held)", err)
	}
	if err := h.RemoveAll("open"); err != nil {
		t.Fatalf("remove of the file left open: %v", err)
	}
	if err := sinktest.WriteFile(h, "open", data); err != nil {
		t.Fatalf("write after removing it: %v", err)
	}
	if got := sinktest.ReadFile(t, h, "open"); !bytes.Equal(got, data) {
		t.Fatalf("open: read %d bytes back, not the %d written", len(got), len(data))
	}
}
