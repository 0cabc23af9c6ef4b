package repo

import (
	"os"
	"path/filepath"
	"strings"
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
	if wd, _ := os.Getwd(); filepath.Join(root, "test", "kit", "repo") != wd {
		t.Fatalf("Root() = %s, want three levels above %s", root, wd)
	}
}

func TestRootFailsOutsideAModule(t *testing.T) {
	t.Chdir(t.TempDir())
	if root, err := Root(); err == nil {
		t.Fatalf("Root() = %s outside any module, want an error", root)
	}
}

func TestScript(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x")
	out, err := Script("scripts/lib.sh")
	if err != nil || len(out) != 0 {
		t.Fatalf("Script(lib.sh) = %q, %v; want no output and no error", out, err)
	}
	// A script whose stdout is the answer, run in the root.
	out, err = Script("test/kit/repo/testdata/echo.sh", dir)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := Root()
	if want := root + " " + dir + "\n"; string(out) != want {
		t.Fatalf("Script printed %q, want %q", out, want)
	}
	_, err = Script("test/kit/repo/testdata/fail.sh")
	if err == nil || !strings.Contains(err.Error(), "test/kit/repo/testdata/fail.sh: exit status 3") || !strings.Contains(err.Error(), "went wrong") {
		t.Fatalf("Script(fail.sh) error = %v, want the script's name, its status and its stderr", err)
	}
}
