package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/landerd/landerd/internal/repo"
	"go.uber.org/goleak"
)

// landerdBin is the path of the landerd binary built by TestMain; the tests
// only read it.
var landerdBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "landerd-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin, err := buildLanderd(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	landerdBin = bin
	code := m.Run()
	sparkLakes.stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: goroutines leaked: %v\n", err)
			return 1
		}
	}
	return code
}

// buildLanderd builds ./cmd/landerd of the module this package belongs to
// into dir, with storage fault injection compiled in.
func buildLanderd(dir string) (string, error) {
	root, err := repo.Root()
	if err != nil {
		return "", err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "landerd")
	// The faultinject tag lets LANDERD_INJECT_FAULTS wrap the lake in a
	// fault injector; the shipped binary is built without it.
	cmd := exec.Command(goTool, "build", "-tags", "faultinject", "-o", bin, "./cmd/landerd")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build landerd: %w\n%s", err, out)
	}
	return bin, nil
}
