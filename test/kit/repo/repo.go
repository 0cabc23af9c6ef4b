package repo

import (
	"fmt"
	"os"
	"path/filepath"
)

// Root returns the repository root: the nearest directory at or above the
// working directory holding go.mod. Tests run in their package's directory,
// so it is found from any package.
func Root() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("find repository root: no go.mod above %s", wd)
		}
	}
}
