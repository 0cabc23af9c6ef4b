package trino

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/landerd/landerd/test/kit/repo"
)

// defaultJavaHome is the Java installation Trino runs on when
// TRINO_JAVA_HOME is not set.
const defaultJavaHome = "/usr/lib/jvm/temurin-25-jdk-amd64"

// Install runs scripts/trino/install.sh, which is quiet and quick when
// Trino is installed, and returns the server's directory it prints (the
// Home of Options).
func Install() (string, error) {
	out, err := repo.Script("scripts/trino/install.sh")
	if err != nil {
		return "", fmt.Errorf("install trino: %w", err)
	}
	home := strings.TrimSpace(string(out))
	if home == "" {
		return "", errors.New("install trino: scripts/trino/install.sh printed no directory")
	}
	return home, nil
}

// JavaHome is the Java 24+ installation to run Trino on: TRINO_JAVA_HOME,
// else /usr/lib/jvm/temurin-25-jdk-amd64.
func JavaHome() string {
	if h := os.Getenv("TRINO_JAVA_HOME"); h != "" {
		return h
	}
	return defaultJavaHome
}
