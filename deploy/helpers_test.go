package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/landerd/landerd/internal/config"
)

// topicPartitions is the partition count of the assessment-attempts topic
// that the compose system creates and the autoscaler is capped at.
const topicPartitions = 6

// repoFile returns the path of a file given relative to the repository
// root, failing the test when it does not exist.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("repository file %s: %v", rel, err)
	}
	return p
}

func readRepoFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// yamlDocs splits a YAML stream into its documents, each converted to
// JSON the way kubectl does before decoding into API types.
func yamlDocs(data []byte) ([][]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs [][]byte
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode yaml: %w", err)
		}
		if v == nil {
			continue
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("yaml to json: %w", err)
		}
		docs = append(docs, j)
	}
}

// decodeStrict decodes JSON into v, rejecting fields v does not have and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the object")
	}
	return nil
}

// loadConfig parses a landerd configuration held in memory with the
// daemon's own strict loader, through a file as the daemon reads it.
func loadConfig(t *testing.T, name string, data []byte) config.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p, nil)
	if err != nil {
		t.Fatalf("landerd's config loader rejects %s:\n%v", name, err)
	}
	return c
}

// listenPort returns the port of a host:port or :port listen address.
func listenPort(t *testing.T, addr string) int {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		t.Fatalf("address %q has no port", addr)
	}
	p, err := strconv.Atoi(addr[i+1:])
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return p
}

// composeDuration parses a Compose duration such as "45s" or "1m30s".
func composeDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("compose duration %q: %v", s, err)
	}
	return d
}
