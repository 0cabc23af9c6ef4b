package kafkacluster

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/landerd/landerd/test/kit/repo"
)

// TestComposeRunsATestedVersion keeps docker-compose.yml on a Kafka
// release that these tests run: every apache/kafka image it names must be
// DefaultVersion or CompatVersion.
func TestComposeRunsATestedVersion(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	images := regexp.MustCompile(`image:\s*apache/kafka:(\S+)`).FindAllSubmatch(body, -1)
	if len(images) == 0 {
		t.Fatal("docker-compose.yml names no apache/kafka image")
	}
	for _, m := range images {
		if v := string(m[1]); v != DefaultVersion && v != CompatVersion {
			t.Errorf("docker-compose.yml runs apache/kafka:%s, but the tests run %s and %s", v, DefaultVersion, CompatVersion)
		}
	}
}
