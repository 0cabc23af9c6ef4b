package config

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestRedactionNeverLeaksPassword(t *testing.T) {
	const password = "correct-horse-battery-staple"
	c, err := Parse([]byte("kafka:\n  sasl:\n    mechanism: scram-sha-256\n    username: landerd\n"),
		envMap(map[string]string{"LANDERD_KAFKA_SASL_PASSWORD": password}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Kafka.SASL.Password.Value(); got != password {
		t.Fatalf("Password.Value() = %q, want the password from the environment", got)
	}
	marshal := func(f func(any) ([]byte, error), v any) string {
		out, err := f(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	renderings := map[string]string{
		"String":            c.String(),
		"%v":                fmt.Sprintf("%v", c),
		"%+v":               fmt.Sprintf("%+v", c),
		"%#v":               fmt.Sprintf("%#v", c),
		"%s":                fmt.Sprintf("%s", c),
		"%v of kafka":       fmt.Sprintf("%v", c.Kafka),
		"%+v of sasl":       fmt.Sprintf("%+v", c.Kafka.SASL),
		"%#v of sasl":       fmt.Sprintf("%#v", c.Kafka.SASL),
		"%v of pointer":     fmt.Sprintf("%v", &c.Kafka.SASL),
		"%s of password":    fmt.Sprintf("%s", c.Kafka.SASL.Password),
		"%q of password":    fmt.Sprintf("%q", c.Kafka.SASL.Password),
		"json":              marshal(json.Marshal, c),
		"yaml":              marshal(yaml.Marshal, c),
		"%#v of Redacted()": fmt.Sprintf("%#v", c.Redacted()),
		"Redacted() value":  c.Redacted().Kafka.SASL.Password.Value(),
	}
	for name, s := range renderings {
		if strings.Contains(s, password) {
			t.Errorf("%s leaks the password: %s", name, s)
		}
		if !strings.Contains(s, redacted) {
			t.Errorf("%s does not show that a password is set: %s", name, s)
		}
	}
	if c.Kafka.SASL.Password.Value() != password {
		t.Error("Redacted() changed the original config")
	}
}

func TestRedactionOfEmptyPassword(t *testing.T) {
	c := Default()
	if s := c.String(); strings.Contains(s, redacted) {
		t.Errorf("an empty password prints as %q, want it shown as empty:\n%s", redacted, s)
	}
	if got := c.Redacted().Kafka.SASL.Password; got != "" {
		t.Errorf("Redacted() of an empty password = %q, want empty", got.Value())
	}
}

func TestRedactedCopiesBrokers(t *testing.T) {
	c := Default()
	r := c.Redacted()
	r.Kafka.Brokers[0] = "changed:1"
	if c.Kafka.Brokers[0] != "localhost:9092" {
		t.Errorf("Redacted() shares the brokers slice with the original")
	}
}

// FuzzParse checks that Parse never panics, that what it accepts is valid,
// and that the printed form of an accepted config without a password
// parses back to the same config.
func FuzzParse(f *testing.F) {
	for _, path := range []string{exampleFile, "testdata/good/hdfs.yaml", "testdata/good/minimal.yaml", "testdata/bad/many_problems.yaml", "testdata/bad/wrong_types.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, nil)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid config: %v", err)
		}
		if c.Kafka.SASL.Password != "" {
			return
		}
		back, err := Parse([]byte(c.String()), nil)
		if err != nil {
			t.Fatalf("String() does not parse: %v\n%s", err, c.String())
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("String() does not round-trip:\n got: %#v\nwant: %#v", back, c)
		}
	})
}

func TestRedactionNeverLeaksCatalogPassword(t *testing.T) {
	const password = "iceberg-catalog-s3cret"
	doc := "lake:\n  format: iceberg\n  iceberg:\n    catalog:\n      type: sql\n      uri: postgres://landerd@localhost:5432/iceberg\n"
	c, err := Parse([]byte(doc), envMap(map[string]string{"LANDERD_ICEBERG_CATALOG_PASSWORD": password}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Lake.Iceberg.Catalog.Password.Value(); got != password {
		t.Fatalf("Password.Value() = %q, want the password from the environment", got)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"String": c.String(), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c.Lake.Iceberg),
		"yaml": string(out), "Redacted() value": c.Redacted().Lake.Iceberg.Catalog.Password.Value(),
	} {
		if strings.Contains(s, password) {
			t.Errorf("%s leaks the catalog password: %s", name, s)
		}
		if !strings.Contains(s, redacted) {
			t.Errorf("%s does not show that a catalog password is set: %s", name, s)
		}
	}
}
