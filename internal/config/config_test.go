package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the .err golden files under testdata/bad")

// exampleFile is the documented example configuration.
const exampleFile = "../../configs/landerd.yaml"

// envMap returns a LookupFunc over m.
func envMap(m map[string]string) LookupFunc {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestExampleEqualsDefault(t *testing.T) {
	got, err := Load(exampleFile, nil)
	if err != nil {
		t.Fatalf("Load(%s): %v", exampleFile, err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("%s differs from Default():\n got: %#v\nwant: %#v", exampleFile, got, want)
	}
}

// TestExampleDocumentsEveryOption checks that each field of Config appears
// as a key in the example, and that every environment variable is
// documented both there and in doc.go.
func TestExampleDocumentsEveryOption(t *testing.T) {
	example, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	docGo, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			key := f.Tag.Get("yaml")
			if !strings.Contains(string(example), "\n"+strings.Repeat("  ", strings.Count(prefix, "."))+key+":") {
				t.Errorf("%s does not document %s%s", exampleFile, prefix, key)
			}
			if f.Type.Kind() == reflect.Struct {
				walk(prefix+key+".", f.Type)
			}
		}
	}
	walk("", reflect.TypeOf(Config{}))
	for _, e := range EnvVars() {
		line := e.Name + strings.Repeat(" ", 33-len(e.Name)) + e.Field
		if !strings.Contains(string(example), line) {
			t.Errorf("%s does not document %s as %q", exampleFile, e.Name, line)
		}
		if !strings.Contains(string(docGo), line) {
			t.Errorf("doc.go does not document %s as %q", e.Name, line)
		}
	}
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestDefaultIsFresh(t *testing.T) {
	a := Default()
	a.Kafka.Brokers[0] = "changed:1"
	if b := Default(); b.Kafka.Brokers[0] != "localhost:9092" {
		t.Fatalf("Default shares its brokers slice: %v", b.Kafka.Brokers)
	}
}

func TestGoodFiles(t *testing.T) {
	want := map[string]func(*Config){
		"empty.yaml": func(*Config) {},
		"minimal.yaml": func(c *Config) {
			c.Kafka.Brokers = []string{"kafka-1:9092", "kafka-2:9092"}
			c.Kafka.Topic = "attempts.v1"
			c.Lake.URL = "file:///var/lib/landerd/lake"
			c.Lake.Roll.MaxFileAge = 90 * time.Second
		},
		"hdfs.yaml": func(c *Config) {
			c.Kafka.Brokers = []string{"kafka:9093"}
			c.Kafka.InitialOffset = "newest"
			c.Kafka.BalanceStrategy = "range"
			c.Kafka.MaxMessageBytes = 4 * MiB
			c.Kafka.FetchMaxBytes = 8 * MiB
			c.Kafka.TLS = TLS{Enabled: true, InsecureSkipVerify: true}
			c.Kafka.SASL = SASL{Mechanism: SASLSCRAMSHA512, Username: "landerd", Password: "s3cret-in-file"}
			c.Lake = Lake{
				URL:          "hdfs://namenode:8020/data/lake",
				PartitionBy:  "event_date",
				Compression:  "snappy",
				Roll:         Roll{MaxFileBytes: 1_000_000_000, MaxFileRecords: 5_000_000, MaxFileAge: 5 * time.Minute},
				RowGroupRows: 131072,
				Format:       FormatHive,
				Iceberg:      Default().Lake.Iceberg,
			}
			c.HDFS.User = "etl"
			c.HDFS.CallTimeout = time.Minute
			c.HDFS.Replication = 2
			c.HDFS.BlockSize = 256 * MiB
			c.Memory.BudgetBytes = GiB
			c.Shutdown.Deadline = 45 * time.Second
			c.Metrics.Addr = "127.0.0.1:9464"
			c.Log = Log{Level: "debug", Format: "console"}
		},
		"tenancy.yaml": func(c *Config) {
			c.Kafka.Topic = ""
			c.Tenancy.Source = TenantSourceTopic
			c.Tenancy.Tenants = []Tenant{
				{Name: "pearson", Group: "pearson-readers"},
				{Name: "acme", Group: "acme-readers"},
				{Name: "globex", Group: "globex-readers"},
			}
		},
		"iceberg.yaml": func(c *Config) {
			c.Lake.URL = "file:///data/lake"
			c.Lake.Format = FormatIceberg
			c.Lake.Iceberg = Iceberg{
				Catalog:   IcebergCatalog{Type: CatalogSQL, URI: "postgres://landerd@catalog.example.com:5432/iceberg?sslmode=verify-full"},
				Namespace: "assessments",
				Upkeep:    Upkeep{Every: time.Hour, TargetFileSize: 256 * MiB, ExpireOlderThan: 7 * 24 * time.Hour, RetainLast: 1, RemoveOrphansOlderThan: 72 * time.Hour},
			}
		},
		"iceberg_event_date.yaml": func(c *Config) {
			c.Lake.URL = "file:///data/lake"
			c.Lake.PartitionBy = PartitionByEventDate
			c.Lake.Format = FormatIceberg
			c.Lake.Iceberg.Catalog = IcebergCatalog{Type: CatalogHadoop}
		},
		"kerberos.yaml": func(c *Config) {
			c.Lake.URL = "hdfs://nn.example.com/warehouse/landerd"
			c.HDFS.Kerberos = Kerberos{
				Enabled:              true,
				Principal:            "landerd/worker-1.example.com@EXAMPLE.COM",
				Keytab:               "testdata/kerberos/landerd.keytab",
				Krb5Conf:             "testdata/kerberos/krb5.conf",
				ServicePrincipalName: "nn/_HOST",
			}
			c.Metrics.Addr = ""
		},
	}
	files, err := filepath.Glob("testdata/good/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("testdata/good holds %d files, the table %d: give each file its expected config", len(files), len(want))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			mutate, ok := want[filepath.Base(path)]
			if !ok {
				t.Fatalf("no expected config for %s", path)
			}
			got, err := Load(path, nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			exp := Default()
			mutate(&exp)
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("Load(%s):\n got: %#v\nwant: %#v", path, got, exp)
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in testdata/bad")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, err := Load(path, nil)
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want an error", path)
			}
			got := err.Error() + "\n"
			if !strings.HasPrefix(got, "config "+path+": ") {
				t.Errorf("error does not name the file: %q", got)
			}
			if strings.Contains(got, "hunter2") {
				t.Errorf("error leaks the password: %q", got)
			}
			golden := strings.TrimSuffix(path, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run go test -update to create it): %v", err)
			}
			if got != string(want) {
				t.Errorf("Load(%s) error:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestAllProblemsReported checks that one file with many problems reports
// each of them, as separate *FieldErrors, in field order.
func TestAllProblemsReported(t *testing.T) {
	_, err := Load("testdata/bad/many_problems.yaml", nil)
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	var fields []string
	var collect func(error)
	collect = func(err error) {
		var fe *FieldError
		if errors.As(err, &fe) && fe == err {
			fields = append(fields, fe.Field)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				collect(e)
			}
		case interface{ Unwrap() error }:
			collect(u.Unwrap())
		}
	}
	collect(err)
	want := []string{
		"kafka.brokers", "kafka.topic", "kafka.group", "kafka.version", "kafka.initial_offset",
		"kafka.heartbeat_interval", "kafka.rebalance_timeout", "kafka.max_message_bytes",
		"kafka.channel_buffer_size", "kafka.on_retention_gap", "kafka.metadata_refresh",
		"kafka.sasl.username", "kafka.sasl.password",
		"lake.url", "lake.partition_by", "lake.compression", "lake.roll.max_file_bytes",
		"lake.roll.max_file_records", "lake.roll.max_file_age", "memory.budget_bytes",
		"shutdown.deadline", "metrics.addr", "log.level", "log.format",
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("fields with problems:\n got: %q\nwant: %q", fields, want)
	}
}

func TestUnknownKeyNamesLine(t *testing.T) {
	_, err := Parse([]byte("kafka:\n  topic: t\n\n  brokerz: [a:1]\n"), nil)
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	if !strings.Contains(err.Error(), "line 4: field brokerz not found") {
		t.Errorf("error does not name the key and its line: %v", err)
	}
}

func TestParseReplacesLists(t *testing.T) {
	c, err := Parse([]byte("kafka:\n  brokers: [b:1]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"b:1"}; !reflect.DeepEqual(c.Kafka.Brokers, want) {
		t.Errorf("brokers = %q, want %q (the default must be replaced, not appended to)", c.Kafka.Brokers, want)
	}
}

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		want    func(*Config)
		wantErr string
	}{
		{
			name: "none set",
			env:  map[string]string{"UNRELATED": "x"},
			want: func(*Config) {},
		},
		{
			name: "every variable",
			env: map[string]string{
				"LANDERD_KAFKA_BROKERS":           " k1:9092, k2:9092 ,,k3:9092",
				"LANDERD_KAFKA_TOPIC":             "t2",
				"LANDERD_KAFKA_GROUP":             "g2",
				"LANDERD_KAFKA_CLIENT_ID":         "landerd-0",
				"LANDERD_KAFKA_INSTANCE_ID":       "landerd-7f9c-0",
				"LANDERD_KAFKA_SASL_MECHANISM":    "plain",
				"LANDERD_KAFKA_SASL_USERNAME":     "user",
				"LANDERD_KAFKA_SASL_PASSWORD":     "pw",
				"LANDERD_LAKE_URL":                "hdfs://nn:9000/lake",
				"LANDERD_HDFS_USER":               "",
				"LANDERD_HDFS_KERBEROS_PRINCIPAL": "landerd@EXAMPLE.COM",
				"LANDERD_HDFS_KERBEROS_KEYTAB":    "testdata/kerberos/landerd.keytab",
				"LANDERD_MEMORY_BUDGET_BYTES":     "512MiB",
				"LANDERD_METRICS_ADDR":            "",
				"LANDERD_LOG_LEVEL":               "warn",
				"LANDERD_LOG_FORMAT":              "console",
			},
			yaml: "hdfs:\n  kerberos:\n    enabled: true\n    krb5_conf: testdata/kerberos/krb5.conf\n",
			want: func(c *Config) {
				c.Kafka.Brokers = []string{"k1:9092", "k2:9092", "k3:9092"}
				c.Kafka.Topic = "t2"
				c.Kafka.Group = "g2"
				c.Kafka.ClientID = "landerd-0"
				c.Kafka.InstanceID = "landerd-7f9c-0"
				c.Kafka.SASL = SASL{Mechanism: SASLPlain, Username: "user", Password: "pw"}
				c.Lake.URL = "hdfs://nn:9000/lake"
				c.HDFS.Kerberos.Enabled = true
				c.HDFS.Kerberos.Principal = "landerd@EXAMPLE.COM"
				c.HDFS.Kerberos.Keytab = "testdata/kerberos/landerd.keytab"
				c.HDFS.Kerberos.Krb5Conf = "testdata/kerberos/krb5.conf"
				c.Memory.BudgetBytes = 512 * MiB
				c.Metrics.Addr = ""
				c.Log = Log{Level: "warn", Format: "console"}
			},
		},
		{
			name: "environment beats the file",
			yaml: "kafka:\n  sasl:\n    mechanism: scram-sha-256\n    username: from-file\n    password: from-file\nlog:\n  level: debug\n",
			env:  map[string]string{"LANDERD_KAFKA_SASL_PASSWORD": "from-env", "LANDERD_LOG_LEVEL": "error"},
			want: func(c *Config) {
				c.Kafka.SASL = SASL{Mechanism: SASLSCRAMSHA256, Username: "from-file", Password: "from-env"}
				c.Log.Level = "error"
			},
		},
		{
			name: "instance id from the container's host name",
			yaml: "kafka:\n  instance_id: landerd-${HOSTNAME}\n",
			env:  map[string]string{"HOSTNAME": "3f2a9c1b7d4e"},
			want: func(c *Config) { c.Kafka.InstanceID = "landerd-3f2a9c1b7d4e" },
		},
		{
			name:    "instance id naming an unset variable",
			env:     map[string]string{"LANDERD_KAFKA_INSTANCE_ID": "${POD_NAME}"},
			wantErr: "kafka.instance_id: names ${POD_NAME}, which is not set",
		},
		{
			name:    "overrides are validated",
			env:     map[string]string{"LANDERD_KAFKA_BROKERS": " , ", "LANDERD_LAKE_URL": "hdfs://nn", "LANDERD_LOG_LEVEL": "loud"},
			wantErr: "kafka.brokers: must not be empty\nlake.url: \"hdfs://nn\": an hdfs URL needs an absolute path (hdfs://host:port/path)\nlog.level: \"loud\" is not one of debug, info, warn, error",
		},
		{
			name:    "unparsable variable named, validation still reported",
			env:     map[string]string{"LANDERD_MEMORY_BUDGET_BYTES": "lots", "LANDERD_KAFKA_SASL_USERNAME": "u"},
			wantErr: "LANDERD_MEMORY_BUDGET_BYTES (memory.budget_bytes): invalid size \"lots\": want a non-negative integer with an optional unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)\nkafka.sasl: username or password set but kafka.sasl.mechanism is none",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.yaml), envMap(tt.env))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Parse error:\n%v\nwant:\n%s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse:\n got: %#v\nwant: %#v", got, want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml", nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v, want os.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "testdata/does-not-exist.yaml") {
		t.Errorf("error does not name the file: %v", err)
	}
}

// TestStringRoundTrip checks that the printed configuration parses back to
// the same configuration, so what is logged is what runs.
func TestStringRoundTrip(t *testing.T) {
	for _, path := range []string{exampleFile, "testdata/good/minimal.yaml", "testdata/good/kerberos.yaml"} {
		c, err := Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse([]byte(c.String()), nil)
		if err != nil {
			t.Fatalf("%s: parse String(): %v\n%s", path, err, c.String())
		}
		if !reflect.DeepEqual(back, c) {
			t.Errorf("%s: String() does not round-trip:\n got: %#v\nwant: %#v", path, back, c)
		}
	}
}
