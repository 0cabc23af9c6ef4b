package realdata

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/landerd/landerd/test/kit/repo"
)

// The files of the real data set, by name inside the data directory.
const (
	// ArrayFile is the whole data set: one JSON array of 3,280 attempts.
	ArrayFile = "assessment-attempts-20180128-121051-nested.json"
	// SampleFile holds 23 of those attempts, one JSON object per line.
	SampleFile = "assessment-attempts-sample.jsonl"
)

// Facts of the real data set that tests check against (see FACTS.md beside it).
const (
	Attempts         = 3280
	DistinctKeenIDs  = 3242
	Questions        = 14717
	Options          = 55754
	AttemptsNoCounts = 5
	CertNull         = 132
)

// Dir returns the data directory: $LANDERD_DATA_DIR when set, otherwise
// ../shared/data relative to the repository root (the folder holding go.mod).
func Dir() (string, error) {
	if d := os.Getenv("LANDERD_DATA_DIR"); d != "" {
		return d, nil
	}
	root, err := repo.Root()
	if err != nil {
		return "", fmt.Errorf("realdata: %w", err)
	}
	return filepath.Join(root, "..", "shared", "data"), nil
}

// Path returns the path of the named data file, or skips the test or
// benchmark when the file is not there.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := Dir()
	if err != nil {
		tb.Skipf("real data set not available: %v", err)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("real data set not available: %v", err)
	}
	return p
}
