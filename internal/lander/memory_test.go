package lander

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/landerd/landerd/internal/config"
)

// TestSetMemoryLimit: the soft memory limit is the budget plus the
// overhead, unless GOMEMLIMIT is set, which SetMemoryLimit leaves in force.
func TestSetMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	t.Setenv("GOMEMLIMIT", "") // restored when the test ends
	if err := os.Unsetenv("GOMEMLIMIT"); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Memory.BudgetBytes = 200 * config.MiB

	want := int64(200<<20 + memoryOverhead)
	if got := SetMemoryLimit(cfg); got != want {
		t.Errorf("SetMemoryLimit = %d; want %d, the budget plus %d", got, want, memoryOverhead)
	}
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Errorf("the runtime's limit is %d; want %d", got, want)
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30) // as the runtime read it at start
	if got := SetMemoryLimit(cfg); got != 1<<30 {
		t.Errorf("SetMemoryLimit with GOMEMLIMIT set = %d; want GOMEMLIMIT's %d", got, 1<<30)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("the runtime's limit with GOMEMLIMIT set is %d; want %d, unchanged", got, 1<<30)
	}
}
