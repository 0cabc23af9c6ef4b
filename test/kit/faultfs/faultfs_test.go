package faultfs_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/faultfs"
	"github.com/landerd/landerd/test/kit/sinktest"
)

func newLocal(t *testing.T) sink.FS {
	t.Helper()
	l, err := sink.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// An FS with an empty spec is a transparent sink.FS.
func TestConformance(t *testing.T) {
	sinktest.TestFS(t, func(t *testing.T) sink.FS {
		f, err := faultfs.New(newLocal(t), "")
		if err != nil {
			t.Fatal(err)
		}
		return f
	}, sinktest.LocalGroup(t))
}

func TestSpec(t *testing.T) {
	tests := []struct {
		spec    string
		wantErr string
	}{
		{"", ""},
		{"create=3,write=40,close=2,rename=5,remove=1,mkdir=2,open=1", ""},
		{" create = 1 , create=2 ", ""},
		{"create", "want op=N"},
		{"delete=1", "unknown op"},
		{"write=0", "positive integer"},
		{"write=x,close=-1", "positive integer"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := faultfs.New(newLocal(t), tt.spec)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New(%q): %v", tt.spec, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New(%q) err = %v; want it to mention %q", tt.spec, err, tt.wantErr)
			}
		})
	}
}

// Each configured call fails exactly once, with ErrInjected, and is not
// passed to the inner FS; the other calls pass through.
func TestInjects(t *testing.T) {
	inner := newLocal(t)
	f, err := faultfs.New(inner, "create=2,write=3,close=1,rename=2,remove=1,mkdir=2,open=2")
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	injected := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, faultfs.ErrInjected) {
			t.Fatalf("%s: err = %v; want ErrInjected", what, err)
		}
	}

	must(f.MkdirAll("d"))
	injected("mkdir 2", f.MkdirAll("e"))
	if _, err := inner.Stat("e"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("failed mkdir reached the inner FS: %v", err)
	}
	must(f.MkdirAll("e"))

	a, err := f.Create("d/a")
	must(err)
	_, err = f.Create("d/b")
	injected("create 2", err)
	if _, err := inner.Stat("d/b"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("failed create reached the inner FS: %v", err)
	}
	b, err := f.Create("d/b")
	must(err)

	for i, s := range []string{"1", "2", "3", "4"} {
		_, err := a.Write([]byte(s))
		if i == 2 {
			injected("write 3", err)
			continue
		}
		must(err)
	}
	injected("close 1", a.Close())
	must(b.Close())
	if got := f.Calls(faultfs.OpClose); got != 2 {
		t.Fatalf("close calls = %d; want 2", got)
	}
	// The failed close still closed the inner file; the failed write is absent.
	r, err := inner.Open("d/a")
	must(err)
	buf := make([]byte, 8)
	n, _ := r.Read(buf)
	must(r.Close())
	if string(buf[:n]) != "124" {
		t.Fatalf("d/a = %q; want %q", buf[:n], "124")
	}

	must(f.Rename("d/a", "d/c"))
	injected("rename 2", f.Rename("d/b", "d/c"))
	must(f.Rename("d/b", "d/c"))

	injected("remove 1", f.RemoveAll("e"))
	if _, err := inner.Stat("e"); err != nil {
		t.Fatalf("failed remove reached the inner FS: %v", err)
	}
	must(f.RemoveAll("e"))

	rf, err := f.Open("d/c")
	must(err)
	must(rf.Close())
	_, err = f.Open("d/c")
	injected("open 2", err)

	if got := f.Fired(); got != 7 {
		t.Fatalf("Fired() = %d; want 7", got)
	}
}
