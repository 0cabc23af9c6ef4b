package kafkacluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// install runs scripts/kafka/install.sh for version, which returns at once
// when the version is installed, and returns the install's directory.
func install(version string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "scripts", "kafka", "install.sh")
	cmd := exec.Command("sh", script, version)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("install Kafka %s (%s): %w\n%s", version, script, err, out)
	}
	home := filepath.Join(cacheDir(), "kafka-"+version)
	if _, err := os.Stat(filepath.Join(home, "libs", "kafka_2.13-"+version+".jar")); err != nil {
		return "", fmt.Errorf("install Kafka %s: %s ran but left no jar: %w", version, script, err)
	}
	return home, nil
}

// cacheDir is where install.sh puts what it downloads:
// ${LANDERD_CACHE:-$HOME/.cache/landerd}.
func cacheDir() string {
	if d := os.Getenv("LANDERD_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.Getenv("HOME")
	}
	return filepath.Join(home, ".cache", "landerd")
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod: tests run in their package's directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
		dir = parent
	}
}
