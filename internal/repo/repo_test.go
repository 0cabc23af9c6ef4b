package repo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootHoldsThisModule(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	const want = "module github.com/landerd/landerd\n"
	if len(b) < len(want) || string(b[:len(want)]) != want {
		t.Fatalf("go.mod at %s starts %q, want %q", root, b[:min(len(b), len(want))], want)
	}
	if wd, _ := os.Getwd(); filepath.Join(root, "internal", "repo") != wd {
		t.Fatalf("Root() = %s, want two levels above %s", root, wd)
	}
}

func TestRootFailsOutsideAModule(t *testing.T) {
	t.Chdir(t.TempDir())
	if root, err := Root(); err == nil {
		t.Fatalf("Root() = %s outside any module, want an error", root)
	}
}
