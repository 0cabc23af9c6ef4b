package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LookupFunc looks up an environment variable; os.LookupEnv is one.
type LookupFunc func(key string) (string, bool)

// EnvVar is an environment variable that overrides a field.
type EnvVar struct {
	// Name is the variable, e.g. LANDERD_KAFKA_BROKERS.
	Name string
	// Field is the YAML path of the field it overrides.
	Field string
	set   func(c *Config, v string) error
}

// EnvVars lists the environment overrides in the order they are applied.
// A variable that is set overrides its field even when it is empty.
func EnvVars() []EnvVar {
	str := func(name, field string, dst func(*Config) *string) EnvVar {
		return EnvVar{Name: name, Field: field, set: func(c *Config, v string) error {
			*dst(c) = v
			return nil
		}}
	}
	return []EnvVar{
		{Name: "LANDERD_KAFKA_BROKERS", Field: "kafka.brokers", set: func(c *Config, v string) error {
			c.Kafka.Brokers = splitList(v)
			return nil
		}},
		str("LANDERD_KAFKA_TOPIC", "kafka.topic", func(c *Config) *string { return &c.Kafka.Topic }),
		str("LANDERD_KAFKA_GROUP", "kafka.group", func(c *Config) *string { return &c.Kafka.Group }),
		str("LANDERD_KAFKA_INSTANCE_ID", "kafka.instance_id", func(c *Config) *string { return &c.Kafka.InstanceID }),
		str("LANDERD_KAFKA_ON_RETENTION_GAP", "kafka.on_retention_gap", func(c *Config) *string { return &c.Kafka.OnRetentionGap }),
		str("LANDERD_KAFKA_CLIENT_ID", "kafka.client_id", func(c *Config) *string { return &c.Kafka.ClientID }),
		str("LANDERD_KAFKA_SASL_MECHANISM", "kafka.sasl.mechanism", func(c *Config) *string { return &c.Kafka.SASL.Mechanism }),
		str("LANDERD_KAFKA_SASL_USERNAME", "kafka.sasl.username", func(c *Config) *string { return &c.Kafka.SASL.Username }),
		{Name: "LANDERD_KAFKA_SASL_PASSWORD", Field: "kafka.sasl.password", set: func(c *Config, v string) error {
			c.Kafka.SASL.Password = Secret(v)
			return nil
		}},
		str("LANDERD_LAKE_URL", "lake.url", func(c *Config) *string { return &c.Lake.URL }),
		{Name: "LANDERD_ICEBERG_CATALOG_PASSWORD", Field: "lake.iceberg.catalog.password", set: func(c *Config, v string) error {
			c.Lake.Iceberg.Catalog.Password = Secret(v)
			return nil
		}},
		str("LANDERD_HDFS_USER", "hdfs.user", func(c *Config) *string { return &c.HDFS.User }),
		str("LANDERD_HDFS_KERBEROS_PRINCIPAL", "hdfs.kerberos.principal", func(c *Config) *string { return &c.HDFS.Kerberos.Principal }),
		str("LANDERD_HDFS_KERBEROS_KEYTAB", "hdfs.kerberos.keytab", func(c *Config) *string { return &c.HDFS.Kerberos.Keytab }),
		{Name: "LANDERD_MEMORY_BUDGET_BYTES", Field: "memory.budget_bytes", set: func(c *Config, v string) error {
			b, err := ParseByteSize(v)
			if err != nil {
				return err
			}
			c.Memory.BudgetBytes = b
			return nil
		}},
		str("LANDERD_METRICS_ADDR", "metrics.addr", func(c *Config) *string { return &c.Metrics.Addr }),
		str("LANDERD_LOG_LEVEL", "log.level", func(c *Config) *string { return &c.Log.Level }),
		str("LANDERD_LOG_FORMAT", "log.format", func(c *Config) *string { return &c.Log.Format }),
	}
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ApplyEnv overrides fields from the environment variables EnvVars lists,
// then expands ${NAME} references in kafka.instance_id from env (so that a
// container can use its own ${HOSTNAME}). It reports every variable it
// could not parse or that a reference names but is not set; a nil env
// applies nothing.
func (c *Config) ApplyEnv(env LookupFunc) error {
	if env == nil {
		return nil
	}
	var errs []error
	for _, e := range EnvVars() {
		v, ok := env(e.Name)
		if !ok {
			continue
		}
		if err := e.set(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", e.Name, e.Field, err))
		}
	}
	c.Kafka.InstanceID = os.Expand(c.Kafka.InstanceID, func(name string) string {
		v, ok := env(name)
		if !ok || v == "" {
			errs = append(errs, &FieldError{Field: "kafka.instance_id", Err: fmt.Errorf("names ${%s}, which is not set", name)})
		}
		return v
	})
	return errors.Join(errs...)
}

// Load reads the YAML file at path and returns the result of Parse; its
// errors name the file.
func Load(path string, env LookupFunc) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	c, err := Parse(data, env)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes data strictly (unknown keys, wrong types and several
// documents are errors) over Default, applies the environment overrides
// from env (nil for none) and validates the result. An empty document
// yields the defaults. Decoding problems are reported together, with their
// lines; otherwise every environment and validation problem is reported
// together.
func Parse(data []byte, env LookupFunc) (Config, error) {
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, err
	}
	if err := clearDefaultTopic(&c, data); err != nil {
		return Config{}, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return Config{}, err
		}
		return Config{}, fmt.Errorf("yaml: line %d: a second document; the file must hold one", extra.Line)
	}
	envErr := c.ApplyEnv(env)
	if err := errors.Join(envErr, c.Validate()); err != nil {
		return Config{}, err
	}
	return c, nil
}

// clearDefaultTopic empties kafka.topic when the document lists
// kafka.topics or takes tenants from topic names but does not set
// kafka.topic itself: the default topic then names nothing consumed.
func clearDefaultTopic(c *Config, data []byte) error {
	if len(c.Kafka.Topics) == 0 && c.Tenancy.Source != TenantSourceTopic {
		return nil
	}
	var probe struct {
		Kafka struct {
			Topic *string `yaml:"topic"`
		} `yaml:"kafka"`
	}
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return err
	}
	if probe.Kafka.Topic == nil {
		c.Kafka.Topic = ""
	}
	return nil
}
