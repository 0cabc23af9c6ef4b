package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestValidate changes one thing in Default per case and checks the exact
// problems reported.
func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" means valid
	}{
		{"default", func(*Config) {}, ""},
		{"heartbeat just under a third", func(c *Config) { c.Kafka.HeartbeatInterval = 9999 * time.Millisecond }, ""},
		{"heartbeat exactly a third", func(c *Config) { c.Kafka.HeartbeatInterval = 10 * time.Second },
			"kafka.heartbeat_interval: must be less than a third of kafka.session_timeout (30s), got 10s"},
		{"zero session timeout", func(c *Config) { c.Kafka.SessionTimeout = 0 },
			"kafka.session_timeout: must be positive, got 0s"},
		{"negative heartbeat", func(c *Config) { c.Kafka.HeartbeatInterval = -time.Second },
			"kafka.heartbeat_interval: must be positive, got -1s"},
		{"read timeout shorter than a held JoinGroup", func(c *Config) { c.Kafka.ReadTimeout = 30 * time.Second },
			"kafka.read_timeout: must be at least kafka.rebalance_timeout (1m0s) + 5s: the coordinator may hold a JoinGroup for the whole rebalance timeout, got 30s"},
		{"read timeout just long enough", func(c *Config) { c.Kafka.ReadTimeout = 65 * time.Second }, ""},
		{"derived read timeout follows the rebalance timeout", func(c *Config) { c.Kafka.RebalanceTimeout = 5 * time.Minute }, ""},
		{"negative read timeout", func(c *Config) { c.Kafka.ReadTimeout = -time.Second },
			"kafka.read_timeout: must not be negative (0 derives it from kafka.rebalance_timeout), got -1s"},
		{"rebalance shorter than session", func(c *Config) { c.Kafka.RebalanceTimeout = 20 * time.Second },
			"kafka.rebalance_timeout: must be at least kafka.session_timeout (30s), got 20s"},
		{"revoke deadline as long as the rebalance timeout", func(c *Config) { c.Kafka.RevokeDeadline = time.Minute },
			"kafka.revoke_deadline: must be less than kafka.rebalance_timeout (1m0s), which bounds the revoked partition's flush and commit together, got 1m0s"},
		{"revoke deadline leaving room for the commit", func(c *Config) { c.Kafka.RevokeDeadline = 55 * time.Second }, ""},
		{"derived revoke deadline with a short rebalance timeout", func(c *Config) {
			c.Kafka.SessionTimeout, c.Kafka.HeartbeatInterval, c.Kafka.RebalanceTimeout = 3*time.Second, 300*time.Millisecond, 5*time.Second
		}, ""},
		{"static membership", func(c *Config) { c.Kafka.InstanceID = "landerd-7f9c-0" }, ""},
		{"static membership on an old protocol", func(c *Config) { c.Kafka.InstanceID = "a"; c.Kafka.Version = "2.2.0" },
			"kafka.instance_id: static membership needs kafka.version 2.3.0 or later, got 2.2.0"},
		{"instance id with a slash", func(c *Config) { c.Kafka.InstanceID = "ns/pod" },
			`kafka.instance_id: "ns/pod" must be at most 249 ASCII letters, digits, '.', '_' and '-'`},
		{"zero dial timeout", func(c *Config) { c.Kafka.DialTimeout = 0 },
			"kafka.dial_timeout: must be positive, got 0s"},
		{"broker without port", func(c *Config) { c.Kafka.Brokers = []string{"a:1", "b"} },
			`kafka.brokers[1]: "b" is not host:port`},
		{"broker without host", func(c *Config) { c.Kafka.Brokers = []string{":9092"} },
			`kafka.brokers[0]: ":9092" has no host`},
		{"broker port out of range", func(c *Config) { c.Kafka.Brokers = []string{"a:70000"} },
			`kafka.brokers[0]: "a:70000": port must be 1-65535`},
		{"ipv6 broker", func(c *Config) { c.Kafka.Brokers = []string{"[::1]:9092"} }, ""},
		{"topic of dots", func(c *Config) { c.Kafka.Topic = ".." }, `kafka.topic: ".." is not a valid topic name`},
		{"topic too long", func(c *Config) { c.Kafka.Topic = string(make([]byte, 250)) },
			"kafka.topic: must be at most 249 characters, got 250"},
		{"client id with space", func(c *Config) { c.Kafka.ClientID = "lander d" },
			`kafka.client_id: "lander d" must be non-empty ASCII letters, digits, '.', '_' and '-'`},
		{"kafka 3.7", func(c *Config) { c.Kafka.Version = "3.7.0" }, ""},
		{"kafka version garbage", func(c *Config) { c.Kafka.Version = "latest" },
			`kafka.version: "latest" is not a Kafka version (want e.g. 2.8.0)`},
		{"balance strategy", func(c *Config) { c.Kafka.BalanceStrategy = "cooperative-sticky" },
			`kafka.balance_strategy: "cooperative-sticky" is not one of range, roundrobin, sticky`},
		{"fetch at the limit", func(c *Config) { c.Kafka.FetchMaxBytes = 100 * MiB }, ""},
		{"fetch zero", func(c *Config) { c.Kafka.FetchMaxBytes = 0 }, "kafka.fetch_max_bytes: must be positive, got 0"},
		{"sasl unknown mechanism", func(c *Config) { c.Kafka.SASL.Mechanism = "gssapi" },
			`kafka.sasl.mechanism: "gssapi" is not one of none, plain, scram-sha-256, scram-sha-512`},
		{"sasl plain complete", func(c *Config) { c.Kafka.SASL = SASL{Mechanism: SASLPlain, Username: "u", Password: "p"} }, ""},
		{"sasl password without username", func(c *Config) { c.Kafka.SASL = SASL{Mechanism: SASLSCRAMSHA512, Password: "p"} },
			"kafka.sasl.username: must be set when kafka.sasl.mechanism is scram-sha-512"},
		{"tls enabled without files", func(c *Config) { c.Kafka.TLS.Enabled = true }, ""},
		{"tls key without cert", func(c *Config) { c.Kafka.TLS = TLS{Enabled: true, KeyFile: "k.pem"} },
			"kafka.tls.cert_file: must be set when kafka.tls.key_file is"},
		{"tls skip verify while disabled", func(c *Config) { c.Kafka.TLS.InsecureSkipVerify = true },
			"kafka.tls: ca_file, cert_file, key_file or insecure_skip_verify set but kafka.tls.enabled is false"},
		{"lake absolute plain path", func(c *Config) { c.Lake.URL = "/data/lake" }, ""},
		{"lake empty", func(c *Config) { c.Lake.URL = "" }, "lake.url: must not be empty"},
		{"lake relative file url", func(c *Config) { c.Lake.URL = "file:lake" },
			`lake.url: "file:lake": a file URL needs an absolute path (write file:///abs/path)`},
		{"row group equal to file records", func(c *Config) { c.Lake.Roll.MaxFileRecords = 65536 }, ""},
		{"max file bytes at minimum", func(c *Config) { c.Lake.Roll.MaxFileBytes = MiB }, ""},
		{"max file bytes below minimum", func(c *Config) { c.Lake.Roll.MaxFileBytes = MiB - 1 },
			"lake.roll.max_file_bytes: must be at least 1MiB, got 1048575"},
		{"negative row group", func(c *Config) { c.Lake.RowGroupRows = -1 }, "lake.row_group_rows: must be positive, got -1"},
		{"hdfs lake with defaults", func(c *Config) { c.Lake.URL = "hdfs://nn/lake" }, ""},
		{"hdfs settings with hdfs lake", func(c *Config) {
			c.Lake.URL = "hdfs://nn:8020/lake"
			c.HDFS.User = "etl"
			c.HDFS.Replication = 3
			c.HDFS.BlockSize = 64 * MiB
		}, ""},
		{"hdfs block size not a multiple of 512", func(c *Config) {
			c.Lake.URL = "hdfs://nn:8020/lake"
			c.HDFS.BlockSize = MiB + 100
		}, "hdfs.block_size: must be a multiple of 512 bytes, got 1048676"},
		{"hdfs zero call timeout", func(c *Config) {
			c.Lake.URL = "hdfs://nn:8020/lake"
			c.HDFS.CallTimeout = 0
		}, "hdfs.call_timeout: must be positive, got 0s"},
		{"hdfs setting without hdfs lake", func(c *Config) { c.HDFS.Replication = 3 }, "hdfs: set but lake.url is not hdfs://"},
		{"hdfs umask and group", func(c *Config) {
			c.Lake.URL = "hdfs://nn:8020/lake"
			c.HDFS.Umask = "0027"
			c.HDFS.Group = "analysts"
		}, ""},
		{"hdfs umask not octal", func(c *Config) {
			c.Lake.URL = "hdfs://nn:8020/lake"
			c.HDFS.Umask = "089"
		}, `hdfs.umask: must be three or four octal digits no greater than 0777, such as 022, got "089"`},
		{"hdfs umask too large", func(c *Config) {
			c.Lake.URL = "hdfs://nn:8020/lake"
			c.HDFS.Umask = "1777"
		}, `hdfs.umask: must be three or four octal digits no greater than 0777, such as 022, got "1777"`},
		{"hdfs group with a colon", func(c *Config) {
			c.Lake.URL = "hdfs://nn:8020/lake"
			c.HDFS.Group = "a:b"
		}, `hdfs.group: must be a group name, got "a:b"`},
		{"kerberos enabled with nothing", func(c *Config) {
			c.Lake.URL = "hdfs://nn:8020/lake"
			c.HDFS.Kerberos = Kerberos{Enabled: true}
		}, "hdfs.kerberos.principal: must be set when hdfs.kerberos.enabled is true\n" +
			"hdfs.kerberos.keytab: must be set when hdfs.kerberos.enabled is true\n" +
			"hdfs.kerberos.service_principal_name: must be set when hdfs.kerberos.enabled is true\n" +
			"hdfs.kerberos.krb5_conf: must be set when hdfs.kerberos.enabled is true"},
		{"kerberos half configured on a file lake", func(c *Config) { c.HDFS.Kerberos.Enabled = true },
			"hdfs.kerberos.principal: must be set when hdfs.kerberos.enabled is true\n" +
				"hdfs.kerberos.keytab: must be set when hdfs.kerberos.enabled is true\n" +
				"hdfs: set but lake.url is not hdfs://"},
		{"memory budget at minimum", func(c *Config) { c.Memory.BudgetBytes = 4 * MiB }, ""},
		{"memory budget below a message", func(c *Config) {
			c.Memory.BudgetBytes = 4 * MiB
			c.Kafka.MaxMessageBytes = 5 * MiB
		}, "memory.budget_bytes: must be at least kafka.max_message_bytes (5MiB), got 4MiB"},
		{"negative shutdown deadline", func(c *Config) { c.Shutdown.Deadline = -time.Second },
			"shutdown.deadline: must be positive, got -1s"},
		{"shutdown deadline beyond rebalance timeout", func(c *Config) { c.Shutdown.Deadline = 2 * time.Minute }, ""},
		{"metrics disabled", func(c *Config) { c.Metrics.Addr = "" }, ""},
		{"metrics port zero", func(c *Config) { c.Metrics.Addr = ":0" }, `metrics.addr: ":0": port must be 1-65535`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate() = nil, want %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Fatalf("Validate():\n%v\nwant:\n%s", err, tt.want)
			}
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field == "" {
					t.Errorf("error %v holds no *FieldError", err)
				}
			}
		})
	}
}

// writeKeyPair writes a self-signed certificate and its key as PEM files
// under dir.
func writeKeyPair(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "landerd-test"},
		NotBefore:             time.Unix(0, 0),
		NotAfter:              time.Unix(0, 0).AddDate(200, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(dir, "cert.pem")
	keyFile = filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestValidateTLSFiles(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeKeyPair(t, dir)
	otherCert, _ := writeKeyPair(t, t.TempDir())
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		tls   TLS
		field string // "" means valid
	}{
		{"ca only", TLS{Enabled: true, CAFile: cert}, ""},
		{"mutual tls", TLS{Enabled: true, CAFile: cert, CertFile: cert, KeyFile: key}, ""},
		{"ca not pem", TLS{Enabled: true, CAFile: notPEM}, "kafka.tls.ca_file"},
		{"ca missing", TLS{Enabled: true, CAFile: filepath.Join(dir, "missing.pem")}, "kafka.tls.ca_file"},
		{"key does not match cert", TLS{Enabled: true, CertFile: otherCert, KeyFile: key}, "kafka.tls.cert_file"},
		{"key not pem", TLS{Enabled: true, CertFile: cert, KeyFile: notPEM}, "kafka.tls.cert_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Kafka.TLS = tt.tls
			err := c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Validate() = %v, want a problem with %s", err, tt.field)
			}
		})
	}
}

func TestLocation(t *testing.T) {
	tests := []struct {
		url     string
		want    Location
		wantErr string
	}{
		{url: "./lake", want: Location{Scheme: SchemeFile, Path: "lake"}},
		{url: "/data//lake/", want: Location{Scheme: SchemeFile, Path: "/data/lake"}},
		{url: "file:///data/lake", want: Location{Scheme: SchemeFile, Path: "/data/lake"}},
		{url: "file:///data/../lake", want: Location{Scheme: SchemeFile, Path: "/lake"}},
		{url: "hdfs://nn:9000/data/lake", want: Location{Scheme: SchemeHDFS, Host: "nn:9000", Path: "/data/lake"}},
		{url: "hdfs://nn/data/lake/", want: Location{Scheme: SchemeHDFS, Host: "nn:8020", Path: "/data/lake"}},
		{url: "hdfs://[fd00::1]/lake", want: Location{Scheme: SchemeHDFS, Host: "[fd00::1]:8020", Path: "/lake"}},
		{url: "hdfs://nn:/lake", wantErr: `"hdfs://nn:/lake": empty port`},
		{url: "hdfs://nn:0/lake", wantErr: `"hdfs://nn:0/lake": port must be 1-65535`},
		{url: "hdfs://etl@nn/lake", wantErr: `"hdfs://etl@nn/lake": must not contain user information (set hdfs.user)`},
		{url: "hdfs://nn/lake?x=1", wantErr: `"hdfs://nn/lake?x=1": must not have a query or fragment`},
		{url: "HDFS://nn/lake", want: Location{Scheme: SchemeHDFS, Host: "nn:8020", Path: "/lake"}},
		{url: "s3a://bucket/lake", wantErr: `"s3a://bucket/lake": unsupported scheme "s3a" (want a plain path, file:// or hdfs://)`},
		{url: "lake:2024", wantErr: `"lake:2024": unsupported scheme "lake" (want a plain path, file:// or hdfs://)`},
		{url: "./a:b", want: Location{Scheme: SchemeFile, Path: "a:b"}},
		{url: "hdfs://nn bad/lake", wantErr: `invalid URL "hdfs://nn bad/lake": invalid character " " in host name`},
		{url: "", wantErr: "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := Lake{URL: tt.url}.Location()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Location() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Location(): %v", err)
			}
			if got != tt.want {
				t.Errorf("Location() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDerivedGroupTimeouts(t *testing.T) {
	tests := []struct {
		name              string
		kafka             Kafka
		read, revokeFlush time.Duration
	}{
		{"defaults", Default().Kafka, 65 * time.Second, 30 * time.Second},
		{"longer rebalance", Kafka{RebalanceTimeout: 2 * time.Minute}, 125 * time.Second, time.Minute},
		{"explicit", Kafka{RebalanceTimeout: time.Minute, ReadTimeout: 90 * time.Second, RevokeDeadline: 10 * time.Second},
			90 * time.Second, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.kafka.NetReadTimeout(); got != tt.read {
				t.Errorf("NetReadTimeout = %s, want %s", got, tt.read)
			}
			if got := tt.kafka.RevokeFlushDeadline(); got != tt.revokeFlush {
				t.Errorf("RevokeFlushDeadline = %s, want %s", got, tt.revokeFlush)
			}
		})
	}
}
