package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestValidateTenancy changes the tenancy section and kafka.topic(s) of
// Default per case and checks the exact problems reported.
func TestValidateTenancy(t *testing.T) {
	two := []Tenant{{Name: "pearson", Group: "pearson-readers"}, {Name: "acme_2", Group: "acme"}}
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"header source", func(c *Config) {
			c.Tenancy.Source, c.Tenancy.Tenants = TenantSourceHeader, two
		}, ""},
		{"topic source expanding the pattern", func(c *Config) {
			c.Kafka.Topic = ""
			c.Tenancy.Source, c.Tenancy.Tenants = TenantSourceTopic, two
		}, ""},
		{"topic source with listed topics", func(c *Config) {
			c.Kafka.Topic, c.Kafka.Topics = "", []string{"assessment-attempts.pearson", "assessment-attempts.acme_2"}
			c.Tenancy.Source, c.Tenancy.Tenants = TenantSourceTopic, two
		}, ""},
		{"several topics", func(c *Config) { c.Kafka.Topic, c.Kafka.Topics = "", []string{"a", "b"} }, ""},
		{"topic and topics", func(c *Config) { c.Kafka.Topics = []string{"a"} },
			`kafka.topics: set only one of kafka.topic ("assessment-attempts") and kafka.topics`},
		{"neither topic nor topics", func(c *Config) { c.Kafka.Topic = "" },
			"kafka.topic: must not be empty (or list the topics in kafka.topics)"},
		{"bad and duplicate topics", func(c *Config) {
			c.Kafka.Topic, c.Kafka.Topics = "", []string{"a", "", "a b", "a", ".."}
		}, "kafka.topics[1]: must not be empty\n" +
			`kafka.topics[2]: "a b" may contain only ASCII letters, digits, '.', '_' and '-'` + "\n" +
			`kafka.topics[3]: duplicate topic "a"` + "\n" +
			`kafka.topics[4]: ".." is not a valid topic name`},
		{"unknown source", func(c *Config) { c.Tenancy.Source = "key"; c.Tenancy.Tenants = two },
			`tenancy.source: "key" is not one of none, header, topic`},
		{"tenants without a source", func(c *Config) { c.Tenancy.Tenants = two },
			"tenancy.tenants: set but tenancy.source is none: records would not be separated by tenant"},
		{"header source without header or tenants", func(c *Config) {
			c.Tenancy.Source, c.Tenancy.Header = TenantSourceHeader, ""
		}, "tenancy.header: must be set when tenancy.source is header\n" +
			"tenancy.tenants: must list at least one tenant when tenancy.source is header"},
		{"pattern without placeholder", func(c *Config) {
			c.Kafka.Topic = "x"
			c.Tenancy.Source, c.Tenancy.Tenants, c.Tenancy.TopicPattern = TenantSourceTopic, two, "attempts"
		}, `tenancy.topic_pattern: must contain {tenant} exactly once, got "attempts"`},
		{"pattern with two placeholders", func(c *Config) {
			c.Kafka.Topic = "x"
			c.Tenancy.Source, c.Tenancy.Tenants, c.Tenancy.TopicPattern = TenantSourceTopic, two, "{tenant}.{tenant}"
		}, `tenancy.topic_pattern: must contain {tenant} exactly once, got "{tenant}.{tenant}"`},
		{"pattern with a bad character", func(c *Config) {
			c.Kafka.Topic = "x"
			c.Tenancy.Source, c.Tenancy.Tenants, c.Tenancy.TopicPattern = TenantSourceTopic, two, "attempts/{tenant}"
		}, `tenancy.topic_pattern: "attempts/{tenant}" may contain only ASCII letters, digits, '.', '_' and '-' besides {tenant}`},
		{"pattern too long", func(c *Config) {
			c.Kafka.Topic = "x"
			c.Tenancy.Source, c.Tenancy.Tenants, c.Tenancy.TopicPattern = TenantSourceTopic, two, strings.Repeat("a", 190)+"{tenant}"
		}, "tenancy.topic_pattern: must be at most 249 characters with a 63-character tenant, got 253"},
		{"bad tenants", func(c *Config) {
			c.Tenancy.Source = TenantSourceHeader
			c.Tenancy.Tenants = []Tenant{
				{Name: "Pearson", Group: "g"},
				{Name: "_unassigned", Group: "g"},
				{Name: "", Group: "g"},
				{Name: strings.Repeat("a", 64), Group: "g"},
				{Name: "ok", Group: ""},
				{Name: "ok", Group: "a b"},
			}
		}, `tenancy.tenants[0].name: "Pearson" must be 1 to 63 of a-z, 0-9, '_' and '-', starting with a letter or digit` + "\n" +
			`tenancy.tenants[1].name: "_unassigned" must be 1 to 63 of a-z, 0-9, '_' and '-', starting with a letter or digit` + "\n" +
			`tenancy.tenants[2].name: "" must be 1 to 63 of a-z, 0-9, '_' and '-', starting with a letter or digit` + "\n" +
			`tenancy.tenants[3].name: "` + strings.Repeat("a", 64) + `" must be 1 to 63 of a-z, 0-9, '_' and '-', starting with a letter or digit` + "\n" +
			`tenancy.tenants[4].group: must be set: the HDFS group that may read tenant "ok"'s data` + "\n" +
			`tenancy.tenants[5].name: duplicate tenant "ok"` + "\n" +
			`tenancy.tenants[5].group: must be a group name, got "a b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c)
			got := ""
			if err := c.Validate(); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Validate():\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestConsumedTopics(t *testing.T) {
	tenants := []Tenant{{Name: "a", Group: "ga"}, {Name: "b", Group: "gb"}}
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"one topic", func(*Config) {}, []string{"assessment-attempts"}},
		{"listed topics", func(c *Config) { c.Kafka.Topic, c.Kafka.Topics = "", []string{"x", "y"} }, []string{"x", "y"}},
		{"pattern expanded", func(c *Config) {
			c.Kafka.Topic = ""
			c.Tenancy.Source, c.Tenancy.Tenants = TenantSourceTopic, tenants
		}, []string{"assessment-attempts.a", "assessment-attempts.b"}},
		{"topic source with one topic", func(c *Config) {
			c.Kafka.Topic = "assessment-attempts.b"
			c.Tenancy.Source, c.Tenancy.Tenants = TenantSourceTopic, tenants
		}, []string{"assessment-attempts.b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c)
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := c.ConsumedTopics(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ConsumedTopics() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTenantOfTopic(t *testing.T) {
	tn := Tenancy{TopicPattern: "attempts.{tenant}.v1"}
	tests := []struct {
		topic, tenant string
		ok            bool
	}{
		{"attempts.pearson.v1", "pearson", true},
		{"attempts.a.v1", "a", true},
		{"attempts..v1", "", false},
		{"attempts.pearson.v2", "", false},
		{"other.pearson.v1", "", false},
		{"attempts.v1", "", false},
	}
	for _, tc := range tests {
		got, ok := tn.TenantOfTopic(tc.topic)
		if got != tc.tenant || ok != tc.ok {
			t.Errorf("TenantOfTopic(%q) = %q, %v; want %q, %v", tc.topic, got, ok, tc.tenant, tc.ok)
		}
	}
}

// TestParseTopics checks that a file listing kafka.topics, or taking
// tenants from topics, without kafka.topic does not also consume the
// default topic, and that one setting both is refused.
func TestParseTopics(t *testing.T) {
	c, err := Parse([]byte("kafka:\n  topics: [a, b]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ConsumedTopics(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("topics list: consumes %q", got)
	}
	c, err = Parse([]byte("tenancy:\n  source: topic\n  tenants:\n    - {name: a, group: ga}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ConsumedTopics(); !reflect.DeepEqual(got, []string{"assessment-attempts.a"}) {
		t.Errorf("topic source: consumes %q", got)
	}
	_, err = Parse([]byte("kafka:\n  topic: t\n  topics: [a]\n"), nil)
	if want := `kafka.topics: set only one of kafka.topic ("t") and kafka.topics`; err == nil || err.Error() != want {
		t.Errorf("topic and topics: error %v, want %q", err, want)
	}
}
