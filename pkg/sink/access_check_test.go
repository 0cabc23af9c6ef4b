package sink_test

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
)

// refusingFS refuses to give the groups of refuse, as HDFS refuses a user
// a group it is not a member of, and records the groups it gave.
type refusingFS struct {
	sink.FS
	refuse map[string]bool
	mu     sync.Mutex
	given  []string
}

func (r *refusingFS) Chgrp(name, group string) error {
	if r.refuse[group] {
		return &fs.PathError{Op: "chgrp", Path: name, Err: fs.ErrPermission}
	}
	r.mu.Lock()
	r.given = append(r.given, group)
	r.mu.Unlock()
	return r.FS.Chgrp(name, group)
}

// probes returns the entries of ControlDir Check left behind.
func probes(t *testing.T, fsys sink.FS) []string {
	t.Helper()
	infos, err := fsys.ReadDir(sink.ControlDir)
	if err != nil {
		t.Fatalf("list %s: %v", sink.ControlDir, err)
	}
	var out []string
	for _, fi := range infos {
		if strings.HasPrefix(fi.Name(), sink.ProbePrefix) {
			out = append(out, fi.Name())
		}
	}
	return out
}

// TestAccessCheck: Check gives a probe directory every group of the
// Access, names every group it may not give in one error, and leaves
// nothing behind but ControlDir with its own group and mode.
func TestAccessCheck(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	tenants := map[string]string{"a": groupA, "b": groupB, "c": groupC, "d": groupC}
	a := testAccess(t, groupFirm, tenants)

	t.Run("every group given", func(t *testing.T) {
		lake := &refusingFS{FS: newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"})}
		if err := a.Check(lake); err != nil {
			t.Fatalf("check: %v", err)
		}
		for _, g := range []string{groupFirm, groupA, groupB, groupC} {
			if !slices.Contains(lake.given, g) {
				t.Errorf("check gave %q; want every group, %s among them", lake.given, g)
			}
		}
		if p := probes(t, lake); len(p) != 0 {
			t.Errorf("check left %q in %s", p, sink.ControlDir)
		}
		if g, p := sinktest.Group(t, lake, sink.ControlDir), sinktest.Perm(t, lake, sink.ControlDir); g != groupFirm || p != sink.DirPerm {
			t.Errorf("%s: group %s, mode %04o; want %s, %04o", sink.ControlDir, g, p, groupFirm, sink.DirPerm)
		}
	})

	t.Run("groups refused", func(t *testing.T) {
		lake := &refusingFS{FS: newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"}), refuse: map[string]bool{groupB: true, groupC: true}}
		err := a.Check(lake)
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("check = %v; want a permission error", err)
		}
		msg := err.Error()
		for _, want := range []string{`"b-readers" (tenant b)`, `"c-readers" (tenant c, tenant d)`} {
			if !strings.Contains(msg, want) {
				t.Errorf("check = %q; want it to name %s", msg, want)
			}
		}
		if strings.Contains(msg, groupA) || strings.Contains(msg, groupFirm) {
			t.Errorf("check = %q; names a group it may give", msg)
		}
		if p := probes(t, lake); len(p) != 0 {
			t.Errorf("check left %q in %s", p, sink.ControlDir)
		}
	})

	t.Run("other errors stop it", func(t *testing.T) {
		lake := newHDFS(t, c.Addr(), sink.HDFSOptions{User: "lander"})
		broken := &failingMkdirFS{FS: lake}
		if err := a.Check(broken); err == nil || errors.Is(err, fs.ErrPermission) {
			t.Errorf("check on a failing filesystem = %v; want its error", err)
		}
	})

	t.Run("no tenants", func(t *testing.T) {
		lake := &refusingFS{FS: newLocal(t), refuse: map[string]bool{groupFirm: true}}
		if err := testAccess(t, groupFirm, nil).Check(lake); err != nil {
			t.Errorf("check without tenants = %v; want nil", err)
		}
		if _, err := lake.Stat(sink.ControlDir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("check without tenants touched the lake: stat %s: %v", sink.ControlDir, err)
		}
	})
}

// failingMkdirFS fails every MkdirAll below ControlDir.
type failingMkdirFS struct{ sink.FS }

func (f *failingMkdirFS) MkdirAll(name string) error {
	if strings.HasPrefix(name, sink.ControlDir+"/") {
		return &fs.PathError{Op: "mkdir", Path: name, Err: errors.New("disk on fire")}
	}
	return f.FS.MkdirAll(name)
}
