package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/landerd/landerd/pkg/sink"
)

// TenantSource says where a record's tenant comes from.
type TenantSource string

// The tenant sources.
const (
	// TenantSourceNone lands every record without a tenant: one tenant,
	// today's layout.
	TenantSourceNone TenantSource = "none"
	// TenantSourceHeader takes the tenant from a record header.
	TenantSourceHeader TenantSource = "header"
	// TenantSourceTopic takes the tenant from the record's topic name.
	TenantSourceTopic TenantSource = "topic"
)

// TenantPlaceholder marks the tenant's part of Tenancy.TopicPattern.
const TenantPlaceholder = "{tenant}"

// Tenancy says how records are assigned to tenants. With Source none (the
// default) the lake has no tenant level, as before tenancy existed.
type Tenancy struct {
	// Source is "none", "header" or "topic".
	Source TenantSource `yaml:"source"`
	// Header is the record header holding the tenant's name, for source
	// header; its first occurrence counts.
	Header string `yaml:"header"`
	// TopicPattern is the topic name of a tenant for source topic, with
	// TenantPlaceholder where the tenant's name goes.
	TopicPattern string `yaml:"topic_pattern"`
	// Tenants are the known tenants; required unless Source is none.
	Tenants []Tenant `yaml:"tenants"`
}

// Tenant is one known tenant.
type Tenant struct {
	// Name is the tenant's name, unique: [a-z0-9][a-z0-9_-]{0,62}
	// (sink.ValidTenant).
	Name string `yaml:"name"`
	// Group is the HDFS group that may read the tenant's data.
	Group string `yaml:"group"`
}

// Enabled reports whether records are assigned to tenants.
func (t Tenancy) Enabled() bool { return t.Source != TenantSourceNone }

// TopicOf returns the topic of tenant under TopicPattern.
func (t Tenancy) TopicOf(tenant string) string {
	return strings.Replace(t.TopicPattern, TenantPlaceholder, tenant, 1)
}

// TenantOfTopic returns the tenant part of topic under TopicPattern, and
// false when topic does not match the pattern. The tenant part is not
// checked against the known tenants.
func (t Tenancy) TenantOfTopic(topic string) (string, bool) {
	prefix, suffix, ok := strings.Cut(t.TopicPattern, TenantPlaceholder)
	if !ok || len(topic) <= len(prefix)+len(suffix) ||
		!strings.HasPrefix(topic, prefix) || !strings.HasSuffix(topic, suffix) {
		return "", false
	}
	return topic[len(prefix) : len(topic)-len(suffix)], true
}

// ConsumedTopics returns the topics the group consumes: kafka.topics when
// set; otherwise, with tenancy source topic and no kafka.topic, the topic
// pattern expanded for every tenant; otherwise kafka.topic.
func (c Config) ConsumedTopics() []string {
	switch {
	case len(c.Kafka.Topics) > 0:
		return append([]string(nil), c.Kafka.Topics...)
	case c.Tenancy.Source == TenantSourceTopic && c.Kafka.Topic == "":
		out := make([]string, len(c.Tenancy.Tenants))
		for i, t := range c.Tenancy.Tenants {
			out[i] = c.Tenancy.TopicOf(t.Name)
		}
		return out
	}
	return []string{c.Kafka.Topic}
}

// validateTopics checks kafka.topic and kafka.topics: exactly one of them
// names what is consumed, unless the tenancy's topic pattern does.
func (c Config) validateTopics(p *problems) {
	k := c.Kafka
	switch {
	case k.Topic != "" && len(k.Topics) > 0:
		p.add("kafka.topics", "set only one of kafka.topic (%q) and kafka.topics", k.Topic)
	case k.Topic == "" && len(k.Topics) == 0 && c.Tenancy.Source != TenantSourceTopic:
		p.add("kafka.topic", "must not be empty (or list the topics in kafka.topics)")
	case k.Topic != "":
		checkTopic(p, "kafka.topic", k.Topic)
	}
	seen := make(map[string]bool, len(k.Topics))
	for i, topic := range k.Topics {
		field := fmt.Sprintf("kafka.topics[%d]", i)
		if checkTopic(p, field, topic) && seen[topic] {
			p.add(field, "duplicate topic %q", topic)
		}
		seen[topic] = true
	}
}

// checkTopic reports whether topic is a valid Kafka topic name
// (sink.CheckTopic), adding the problem to p when it is not.
func checkTopic(p *problems, field, topic string) bool {
	if err := sink.CheckTopic(topic); err != nil {
		p.addErr(field, err)
		return false
	}
	return true
}

func (c Config) validateTenancy(p *problems) {
	t := c.Tenancy
	switch t.Source {
	case TenantSourceNone:
		if len(t.Tenants) > 0 {
			p.add("tenancy.tenants", "set but tenancy.source is none: records would not be separated by tenant")
		}
		return
	case TenantSourceHeader:
		if t.Header == "" {
			p.add("tenancy.header", "must be set when tenancy.source is header")
		}
	case TenantSourceTopic:
		c.validateTopicPattern(p)
	default:
		p.add("tenancy.source", "%q is not one of none, header, topic", t.Source)
	}
	if len(t.Tenants) == 0 {
		p.add("tenancy.tenants", "must list at least one tenant when tenancy.source is %s", t.Source)
	}
	seen := make(map[string]bool, len(t.Tenants))
	for i, tn := range t.Tenants {
		field := fmt.Sprintf("tenancy.tenants[%d]", i)
		switch {
		case !sink.ValidTenant(tn.Name):
			p.add(field+".name", "%q must be 1 to 63 of a-z, 0-9, '_' and '-', starting with a letter or digit", tn.Name)
		case seen[tn.Name]:
			p.add(field+".name", "duplicate tenant %q", tn.Name)
		}
		seen[tn.Name] = true
		switch {
		case tn.Group == "":
			p.add(field+".group", "must be set: the HDFS group that may read tenant %q's data", tn.Name)
		case strings.ContainsAny(tn.Group, " \t:/"):
			p.add(field+".group", "must be a group name, got %q", tn.Group)
		}
	}
}

// validateTopicPattern checks tenancy.topic_pattern, and that the topics
// it expands to are valid topic names.
func (c Config) validateTopicPattern(p *problems) {
	t := c.Tenancy
	const field = "tenancy.topic_pattern"
	if strings.Count(t.TopicPattern, TenantPlaceholder) != 1 {
		p.add(field, "must contain %s exactly once, got %q", TenantPlaceholder, t.TopicPattern)
		return
	}
	// A longest tenant name, to check the rest of the pattern.
	sample := t.TopicOf(strings.Repeat("a", sink.MaxTenantLength))
	var bad *sink.TopicError
	switch {
	case !errors.As(sink.CheckTopic(sample), &bad):
	case bad.Chars:
		p.add(field, "%q may contain only ASCII letters, digits, '.', '_' and '-' besides %s", t.TopicPattern, TenantPlaceholder)
	case bad.Long:
		p.add(field, "must be at most %d characters with a %d-character tenant, got %d", sink.MaxTopicLength, sink.MaxTenantLength, len(sample))
	}
}
