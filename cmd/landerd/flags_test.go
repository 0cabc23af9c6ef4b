package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestTopicFlag checks that --topic replaces both kafka.topic and
// kafka.topics, so that it names the only topic consumed.
func TestTopicFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "landerd.yaml")
	if err := os.WriteFile(path, []byte("kafka:\n  topics: [a, b]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		topic string
		want  []string
	}{{"", []string{"a", "b"}}, {"c", []string{"c"}}} {
		f := runFlags{config: path, topic: tc.topic}
		cfg, err := f.load()
		if err != nil {
			t.Fatalf("--topic %q: %v", tc.topic, err)
		}
		if got := cfg.ConsumedTopics(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("--topic %q: consumes %q, want %q", tc.topic, got, tc.want)
		}
	}
}
