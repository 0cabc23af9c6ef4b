package lander

import (
	"testing"
	"time"

	"github.com/landerd/landerd/internal/config"
)

// TestSaramaGroupTimeouts checks that the client's read timeout outlasts a
// JoinGroup held for the rebalance timeout, and that the instance id
// reaches the client.
func TestSaramaGroupTimeouts(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*config.Kafka)
		read     time.Duration
		instance string
	}{
		{"defaults", func(*config.Kafka) {}, 65 * time.Second, ""},
		{"static member", func(k *config.Kafka) { k.InstanceID = "landerd-0" }, 65 * time.Second, "landerd-0"},
		{"explicit read timeout", func(k *config.Kafka) { k.ReadTimeout = 2 * time.Minute }, 2 * time.Minute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := config.Default().Kafka
			tt.change(&k)
			c, err := saramaConfig(k)
			if err != nil {
				t.Fatal(err)
			}
			if c.Net.ReadTimeout != tt.read {
				t.Errorf("Net.ReadTimeout = %s, want %s", c.Net.ReadTimeout, tt.read)
			}
			if c.Net.ReadTimeout <= c.Consumer.Group.Rebalance.Timeout {
				t.Errorf("Net.ReadTimeout %s does not outlast Rebalance.Timeout %s", c.Net.ReadTimeout, c.Consumer.Group.Rebalance.Timeout)
			}
			if c.Consumer.Group.InstanceId != tt.instance {
				t.Errorf("InstanceId = %q, want %q", c.Consumer.Group.InstanceId, tt.instance)
			}
		})
	}
}
