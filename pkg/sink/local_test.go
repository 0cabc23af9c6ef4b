package sink_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/landerd/landerd/pkg/sink"
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

func TestLocalFSConformance(t *testing.T) {
	sinktest.TestFS(t, newLocal, sinktest.LocalGroup(t))
}

func TestLocalFSStaysInsideRoot(t *testing.T) {
	parent := t.TempDir()
	l, err := sink.NewLocal(filepath.Join(parent, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.String(), "file://"+filepath.ToSlash(filepath.Join(parent, "lake")); got != want {
		t.Fatalf("String() = %q; want %q", got, want)
	}
	for _, name := range []string{"../outside", "/etc/passwd", "a/../../outside"} {
		_, err := l.Create(name)
		if !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("create %q: err = %v; want fs.ErrInvalid", name, err)
		}
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "lake" {
		t.Fatalf("parent of root holds %v; want only lake", entries)
	}
}

func TestLocalFSRemoveAllLeavesNoTrash(t *testing.T) {
	root := t.TempDir()
	l, err := sink.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.MkdirAll("a/b"); err != nil {
		t.Fatal(err)
	}
	if err := l.RemoveAll("a/b"); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("a holds %v after RemoveAll(a/b); want nothing", entries)
	}
	// A tree left half-removed by a crash is hidden from listings.
	if err := os.Mkdir(filepath.Join(root, "a", ".landerd-removing-b-0123"), 0o755); err != nil {
		t.Fatal(err)
	}
	infos, err := l.ReadDir("a")
	if err != nil || len(infos) != 0 {
		t.Fatalf("ReadDir(a) = %v, %v; want no entries", infos, err)
	}
}
