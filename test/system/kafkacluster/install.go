package kafkacluster

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/landerd/landerd/test/kit/repo"
)

// install runs scripts/kafka/install.sh for version, which returns at once
// when the version is installed, and returns the install's directory.
func install(version string) (string, error) {
	const script = "scripts/kafka/install.sh"
	if _, err := repo.Script(script, version); err != nil {
		return "", fmt.Errorf("install Kafka %s: %w", version, err)
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
