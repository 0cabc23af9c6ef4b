package lake

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/internal/fakehdfs"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/sinktest"
)

// TestOpenReadOnlyChangesNothing: OpenReadOnly opens an HDFS lake without
// giving the root hdfs.group, reads through the lake's root, and offers no
// way to change anything; a missing local root is an error, and stays
// missing.
func TestOpenReadOnlyChangesNothing(t *testing.T) {
	c := fakehdfs.Start(t, fakehdfs.Config{})
	admin, err := sink.NewHDFS("hdfs://"+c.Addr()+"/", sink.HDFSOptions{User: "lander"})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	t.Run("root keeps its group", func(t *testing.T) {
		if err := admin.MkdirAll("lake/attempts/ingest_date=2026-11-24"); err != nil {
			t.Fatal(err)
		}
		if err := admin.Chgrp("lake", "readers"); err != nil {
			t.Fatal(err)
		}
		cfg := hdfsConfig(c, "/lake")
		cfg.HDFS.Group = "writers"
		lake, err := OpenReadOnly(cfg)
		if err != nil {
			t.Fatalf("open the lake for a report: %v", err)
		}
		defer func() {
			if err := lake.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		}()
		if g := sinktest.Group(t, admin, "lake"); g != "readers" {
			t.Errorf("the lake root's group is %s after opening it for a report; want readers, unchanged", g)
		}
		if got, want := lake.String(), "hdfs://"+c.Addr()+"/lake"; got != want {
			t.Errorf("lake = %s; want %s", got, want)
		}
		// Reads go to the lake's root.
		infos, err := lake.ReadDir("attempts")
		if err != nil || len(infos) != 1 || infos[0].Name() != "ingest_date=2026-11-24" {
			t.Errorf("readdir attempts = %v, %v; want its day", infos, err)
		}
		if fi, err := lake.Stat("."); err != nil || !fi.IsDir() {
			t.Errorf("stat . = %v, %v; want the root directory", fi, err)
		}
		if _, err := lake.Stat("questions"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stat questions = %v; want not exist", err)
		} else if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path != "questions" {
			t.Errorf("stat questions: error names %q; want the lake path", pe.Path)
		}
		if _, err := lake.Stat("../etc"); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("stat ../etc = %v; want invalid", err)
		}
		wantReadOnly(t, lake)
		if _, err := admin.Stat("lake/x"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stat lake/x as the admin: %v; want no such file", err)
		}
	})

	t.Run("local", func(t *testing.T) {
		dir := t.TempDir()
		cfg := hdfsConfig(c, "/")
		cfg.Lake.URL = dir
		lake, err := OpenReadOnly(cfg)
		if err != nil {
			t.Fatal(err)
		}
		wantReadOnly(t, lake)
		if err := lake.Close(); err != nil {
			t.Fatal(err)
		}
		if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
			t.Errorf("the local lake after a report: %v, %v; want it empty", entries, err)
		}
		cfg.Lake.URL = filepath.Join(dir, "missing")
		if _, err := OpenReadOnly(cfg); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("open a missing local lake for a report = %v; want not exist", err)
		}
		if _, err := os.Stat(cfg.Lake.URL); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("opening a missing local lake for a report created it: %v", err)
		}
	})
}

// wantReadOnly checks that lake offers no way to change the lake: it
// implements none of the interfaces of sink.FS but sink.ReadFS.
func wantReadOnly(t *testing.T, lake sink.ReadFS) {
	t.Helper()
	for name, ok := range map[string]bool{
		"sink.FS":       implements[sink.FS](lake),
		"sink.CreateFS": implements[sink.CreateFS](lake),
		"sink.RenameFS": implements[sink.RenameFS](lake),
		"sink.RemoveFS": implements[sink.RemoveFS](lake),
		"sink.PermFS":   implements[sink.PermFS](lake),
	} {
		if ok {
			t.Errorf("%T implements %s; want a lake that can only be read", lake, name)
		}
	}
}

// implements reports whether v implements the interface I.
func implements[I any](v any) bool {
	_, ok := v.(I)
	return ok
}

// TestReadOnlyConformance runs the conformance suite's tests of reading
// against lakes opened by OpenReadOnly, local and on HDFS, below the
// filesystem's root as a lake root usually is.
func TestReadOnlyConformance(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		sinktest.TestReadFS(t, func(t *testing.T) (sink.FS, sink.ReadFS) {
			dir := filepath.Join(t.TempDir(), "lake")
			w, err := sink.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			cfg := config.Default()
			cfg.Lake.URL = dir
			return w, openReadOnly(t, cfg)
		})
	})
	t.Run("hdfs", func(t *testing.T) {
		c := fakehdfs.Start(t, fakehdfs.Config{})
		n := 0
		sinktest.TestReadFS(t, func(t *testing.T) (sink.FS, sink.ReadFS) {
			n++
			root := fmt.Sprintf("/data/lake-%d", n)
			w, err := sink.NewHDFS("hdfs://"+c.Addr()+root, sink.HDFSOptions{User: "lander"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := w.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			return w, openReadOnly(t, hdfsConfig(c, root))
		})
	})
}

// openReadOnly opens the lake of cfg for reading and closes it when the
// test ends.
func openReadOnly(t *testing.T, cfg config.Config) *ReadOnlyFS {
	t.Helper()
	r, err := OpenReadOnly(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return r
}
