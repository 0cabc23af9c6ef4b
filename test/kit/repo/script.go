package repo

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
)

// Script runs the repository's shell script at rel (a path from the root,
// such as "scripts/kafka/install.sh") with sh, in the root, and returns
// what it printed on stdout. When the script fails, the error names it and
// carries what it printed on stderr.
func Script(rel string, args ...string) ([]byte, error) {
	root, err := Root()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	cmd := exec.Command("sh", append([]string{filepath.Join(root, rel)}, args...)...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", rel, err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}
