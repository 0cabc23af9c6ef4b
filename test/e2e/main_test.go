package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/landerd/landerd/test/kit/repo"
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
	// The faultinject tag lets LANDERD_INJECT_FAULTS wrap the lake in a
	// fault injector; the shipped binary is built without it.
	bin, err := repo.BuildLanderd(dir, "faultinject")
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
