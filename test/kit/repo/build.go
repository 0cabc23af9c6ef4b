package repo

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// BuildLanderd builds the repository's ./cmd/landerd into dir/landerd with
// the given build tags and returns the binary's path. It uses the go
// command on the PATH, or the one of the running toolchain when there is
// none.
func BuildLanderd(dir string, tags ...string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", fmt.Errorf("build landerd: %w", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "landerd")
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command(goTool, append(args, "./cmd/landerd")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build landerd: %w\n%s", err, out)
	}
	return bin, nil
}
