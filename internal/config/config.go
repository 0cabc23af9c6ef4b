package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is landerd's whole configuration. The zero value is not useful;
// start from Default, or use Load or Parse, which decode over Default.
type Config struct {
	Kafka    Kafka    `yaml:"kafka"`
	Tenancy  Tenancy  `yaml:"tenancy"`
	Lake     Lake     `yaml:"lake"`
	HDFS     HDFS     `yaml:"hdfs"`
	Memory   Memory   `yaml:"memory"`
	Shutdown Shutdown `yaml:"shutdown"`
	Metrics  Metrics  `yaml:"metrics"`
	Log      Log      `yaml:"log"`
}

// Kafka configures the consumer group that reads the topic.
type Kafka struct {
	// Brokers are the bootstrap brokers, each host:port.
	Brokers []string `yaml:"brokers"`
	// Topic is the topic of assessment attempts to land.
	Topic string `yaml:"topic"`
	// Topics lists several topics to land instead of Topic; set only one.
	// See Config.ConsumedTopics.
	Topics []string `yaml:"topics"`
	// Group is the consumer group id shared by all replicas.
	Group string `yaml:"group"`
	// ClientID identifies this client in broker logs and quotas.
	ClientID string `yaml:"client_id"`
	// Version is the Kafka protocol version to speak, e.g. "2.8.0".
	Version string `yaml:"version"`
	// InitialOffset is where a group with no committed offset starts:
	// "oldest" or "newest".
	InitialOffset string `yaml:"initial_offset"`
	// BalanceStrategy is the partition assignor: "range", "roundrobin" or "sticky".
	BalanceStrategy string `yaml:"balance_strategy"`
	// DialTimeout bounds connecting to a broker.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// SessionTimeout is how long the coordinator waits for a heartbeat
	// before it evicts this member.
	SessionTimeout time.Duration `yaml:"session_timeout"`
	// HeartbeatInterval is the time between heartbeats to the coordinator.
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// RebalanceTimeout is how long members have to finish their revoke
	// work (flush and commit) once a rebalance starts, and so how long the
	// coordinator may hold a JoinGroup request while it waits for them.
	RebalanceTimeout time.Duration `yaml:"rebalance_timeout"`
	// RevokeDeadline bounds the flush and commit of a revoked partition;
	// what is not done by then is abandoned and read again by the next
	// owner. Zero means half of RebalanceTimeout; see RevokeFlushDeadline.
	RevokeDeadline time.Duration `yaml:"revoke_deadline"`
	// ReadTimeout bounds waiting for any broker response, a JoinGroup held
	// by the coordinator for RebalanceTimeout included. Zero means
	// RebalanceTimeout plus JoinGroupGrace; see NetReadTimeout.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// InstanceID is the static group membership id (KIP-345): a replica
	// restarted with the same id takes its partitions back at once instead
	// of waiting for the coordinator to evict its old self, and on a
	// planned stop it leaves the group naming it. It must be unique in the
	// group and stable across restarts (a pod or host name). Empty, the
	// default, derives one from the host name and a slot this host's
	// processes of the group take in turn (see InstanceIDNone); "none"
	// means dynamic membership. Needs Version 2.3.0 or later.
	InstanceID string `yaml:"instance_id"`
	// OnRetentionGap is what happens when the lake's next offset of a
	// partition is below the partition's log start offset, Kafka having
	// deleted records before they were landed: "continue" records the gap
	// in the lake and resumes at the log start; "stop" records it and
	// refuses the partition (lands nothing of it) until an operator decides.
	OnRetentionGap string `yaml:"on_retention_gap"`
	// MetadataRefresh is how often the client refreshes the topics'
	// metadata; partitions added to a consumed topic are picked up within
	// about this long.
	MetadataRefresh time.Duration `yaml:"metadata_refresh"`
	// MaxMessageBytes is the largest record value landed; larger values
	// go to quarantine with reason too_large.
	MaxMessageBytes ByteSize `yaml:"max_message_bytes"`
	// FetchMaxBytes is the default number of bytes fetched per partition
	// per request.
	FetchMaxBytes ByteSize `yaml:"fetch_max_bytes"`
	// ChannelBufferSize is the number of messages buffered per partition
	// between the fetcher and its owner.
	ChannelBufferSize int `yaml:"channel_buffer_size"`
	// TLS configures encryption of broker connections.
	TLS TLS `yaml:"tls"`
	// SASL configures authentication to the brokers.
	SASL SASL `yaml:"sasl"`
}

// TLS configures TLS to the brokers. The files are checked only when
// Enabled is true.
type TLS struct {
	// Enabled turns TLS on.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of CAs to trust; empty means the system pool.
	CAFile string `yaml:"ca_file"`
	// CertFile is the PEM client certificate, for mutual TLS; needs KeyFile.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM private key of CertFile.
	KeyFile string `yaml:"key_file"`
	// InsecureSkipVerify disables verification of the brokers' certificates.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// InstanceIDNone, as kafka.instance_id, turns static membership off.
const InstanceIDNone = "none"

// The values of kafka.on_retention_gap.
const (
	GapContinue = "continue"
	GapStop     = "stop"
)

// SASL mechanisms.
const (
	SASLNone        = "none"
	SASLPlain       = "plain"
	SASLSCRAMSHA256 = "scram-sha-256"
	SASLSCRAMSHA512 = "scram-sha-512"
)

// SASL configures SASL authentication to the brokers.
type SASL struct {
	// Mechanism is one of "none", "plain", "scram-sha-256", "scram-sha-512".
	Mechanism string `yaml:"mechanism"`
	// Username is required unless Mechanism is "none".
	Username string `yaml:"username"`
	// Password is required unless Mechanism is "none". It never prints.
	Password Secret `yaml:"password"`
}

// Lake configures where and how the Parquet files land.
type Lake struct {
	// URL is the lake root: a plain path, file:///abs/path or
	// hdfs://namenode[:port]/abs/path. Anything that starts with a URL
	// scheme ("s3:", "lake:") is read as a URL. See Location.
	URL string `yaml:"url"`
	// PartitionBy is the Hive partition key: "ingest_date" or "event_date".
	PartitionBy PartitionBy `yaml:"partition_by"`
	// Compression is the Parquet codec: "zstd", "snappy", "gzip" or "none".
	Compression Compression `yaml:"compression"`
	// Roll says when an open file is closed and published.
	Roll Roll `yaml:"roll"`
	// RowGroupRows is the number of rows per Parquet row group.
	RowGroupRows int `yaml:"row_group_rows"`
	// Format is how the tables are laid out and committed: FormatHive or
	// FormatIceberg.
	Format LakeFormat `yaml:"format"`
	// Iceberg configures the Iceberg tables of FormatIceberg.
	Iceberg Iceberg `yaml:"iceberg"`
}

// PartitionBy names the column of a lake's Hive partitions.
type PartitionBy string

// The Hive partitionings.
const (
	// PartitionByIngestDate partitions by the UTC date a record landed.
	PartitionByIngestDate PartitionBy = "ingest_date"
	// PartitionByEventDate partitions by the UTC date of started_at.
	PartitionByEventDate PartitionBy = "event_date"
)

// Compression names a Parquet codec.
type Compression string

// The Parquet codecs.
const (
	CompressionZstd   Compression = "zstd"
	CompressionSnappy Compression = "snappy"
	CompressionGzip   Compression = "gzip"
	CompressionNone   Compression = "none"
)

// Roll says when a file is closed and published; whichever limit is
// reached first rolls the file.
type Roll struct {
	// MaxFileBytes rolls a file once it reaches this size.
	MaxFileBytes ByteSize `yaml:"max_file_bytes"`
	// MaxFileRecords rolls a file once it holds this many rows.
	MaxFileRecords int64 `yaml:"max_file_records"`
	// MaxFileAge rolls a file this long after its first record arrived,
	// even when the partition is idle.
	MaxFileAge time.Duration `yaml:"max_file_age"`
}

// HDFS configures the HDFS client. It is used, and checked, only when
// Lake.URL is an hdfs:// URL.
type HDFS struct {
	// User is the HDFS user to act as without Kerberos; empty means the
	// HADOOP_USER_NAME or the OS user, as the client decides.
	User string `yaml:"user"`
	// CallTimeout bounds every namenode and datanode call; the HDFS client
	// takes no context, so this is what keeps a hung call from blocking.
	CallTimeout time.Duration `yaml:"call_timeout"`
	// Replication is the replication factor of new files; 0 is the
	// server default.
	Replication int `yaml:"replication"`
	// BlockSize is the block size of new files; 0 is the server default.
	BlockSize ByteSize `yaml:"block_size"`
	// Umask clears permission bits of the files and directories landerd
	// creates, as octal digits ("022": files 644, directories 755).
	Umask string `yaml:"umask"`
	// Group, when set, becomes the group of the lake root; HDFS gives every
	// new file and directory its parent's group.
	Group string `yaml:"group"`
	// Kerberos configures Kerberos authentication.
	Kerberos Kerberos `yaml:"kerberos"`
}

// Kerberos configures Kerberos authentication to HDFS.
type Kerberos struct {
	// Enabled turns Kerberos on.
	Enabled bool `yaml:"enabled"`
	// Principal is the client principal, name[/instance]@REALM.
	Principal string `yaml:"principal"`
	// Keytab is the keytab file holding Principal's key.
	Keytab string `yaml:"keytab"`
	// Krb5Conf is the krb5.conf file naming the realm's KDCs.
	Krb5Conf string `yaml:"krb5_conf"`
	// ServicePrincipalName is the namenode's service principal; _HOST is
	// replaced by the namenode's host name.
	ServicePrincipalName string `yaml:"service_principal_name"`
}

// Memory bounds the daemon's buffers.
type Memory struct {
	// BudgetBytes is the total of buffered, not yet written data across all
	// partitions; consumption pauses when it is reached.
	BudgetBytes ByteSize `yaml:"budget_bytes"`
}

// Shutdown configures graceful shutdown.
type Shutdown struct {
	// Deadline bounds the flush and commit that follow SIGTERM; what is not
	// done by then is abandoned, uncommitted, and read again on restart.
	Deadline time.Duration `yaml:"deadline"`
}

// Metrics configures the HTTP server for /metrics, /healthz and /readyz.
type Metrics struct {
	// Addr is the listen address, host:port; empty disables the server.
	Addr string `yaml:"addr"`
}

// Log configures logging.
type Log struct {
	// Level is "debug", "info", "warn" or "error".
	Level string `yaml:"level"`
	// Format is "json" or "console".
	Format string `yaml:"format"`
}

// Default returns the documented defaults; configs/landerd.yaml lists each
// one and a test keeps the two equal.
func Default() Config {
	return Config{
		Kafka: Kafka{
			Brokers:           []string{"localhost:9092"},
			Topic:             "assessment-attempts",
			Topics:            []string{},
			Group:             "landerd",
			ClientID:          "landerd",
			Version:           "2.8.0",
			InitialOffset:     "oldest",
			BalanceStrategy:   "sticky",
			DialTimeout:       30 * time.Second,
			SessionTimeout:    30 * time.Second,
			HeartbeatInterval: 3 * time.Second,
			RebalanceTimeout:  60 * time.Second,
			MaxMessageBytes:   1 * MiB,
			FetchMaxBytes:     1 * MiB,
			ChannelBufferSize: 256,
			OnRetentionGap:    GapContinue,
			MetadataRefresh:   time.Minute,
			SASL:              SASL{Mechanism: SASLNone},
		},
		Tenancy: Tenancy{
			Source:       TenantSourceNone,
			Header:       "tenant",
			TopicPattern: "assessment-attempts." + TenantPlaceholder,
			Tenants:      []Tenant{},
		},
		Lake: Lake{
			URL:         "./lake",
			PartitionBy: PartitionByIngestDate,
			Compression: CompressionZstd,
			Roll: Roll{
				MaxFileBytes:   128 * MiB,
				MaxFileRecords: 1_000_000,
				MaxFileAge:     5 * time.Minute,
			},
			RowGroupRows: 65536,
			Format:       FormatHive,
			Iceberg: Iceberg{
				Catalog:   IcebergCatalog{Type: CatalogSQL},
				Namespace: DefaultIcebergNamespace,
				Upkeep: Upkeep{
					TargetFileSize:         128 * MiB,
					ExpireOlderThan:        7 * 24 * time.Hour,
					RetainLast:             1,
					RemoveOrphansOlderThan: 72 * time.Hour,
				},
			},
		},
		HDFS: HDFS{
			CallTimeout: 30 * time.Second,
			Umask:       "022",
			Kerberos: Kerberos{
				Krb5Conf:             "/etc/krb5.conf",
				ServicePrincipalName: "nn/_HOST",
			},
		},
		Memory:   Memory{BudgetBytes: 128 * MiB},
		Shutdown: Shutdown{Deadline: 30 * time.Second},
		Metrics:  Metrics{Addr: ":9464"},
		Log:      Log{Level: "info", Format: "json"},
	}
}

// JoinGroupGrace is how much longer than kafka.rebalance_timeout the
// client waits for a JoinGroup response: the coordinator may hold the
// request for the whole rebalance timeout, and the answer must still
// arrive before the client gives up on it. Java's consumer uses the same
// margin.
const JoinGroupGrace = 5 * time.Second

// NetReadTimeout is the Kafka client's network read timeout: ReadTimeout,
// or RebalanceTimeout plus JoinGroupGrace when ReadTimeout is zero.
func (k Kafka) NetReadTimeout() time.Duration {
	if k.ReadTimeout > 0 {
		return k.ReadTimeout
	}
	return k.RebalanceTimeout + JoinGroupGrace
}

// RevokeFlushDeadline bounds the final flush of a revoked partition:
// RevokeDeadline, or half of RebalanceTimeout when RevokeDeadline is zero.
func (k Kafka) RevokeFlushDeadline() time.Duration {
	if k.RevokeDeadline > 0 {
		return k.RevokeDeadline
	}
	return k.RebalanceTimeout / 2
}

// Redacted returns a copy whose secrets are replaced by "[REDACTED]", so
// that even code reading the fields directly cannot leak them.
func (c Config) Redacted() Config {
	r := c
	r.Kafka.Brokers = append([]string(nil), c.Kafka.Brokers...)
	if r.Kafka.SASL.Password != "" {
		r.Kafka.SASL.Password = redacted
	}
	if r.Lake.Iceberg.Catalog.Password != "" {
		r.Lake.Iceberg.Catalog.Password = redacted
	}
	return r
}

// String renders the redacted configuration as YAML, for logging it at
// startup.
func (c Config) String() string {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c.Redacted()); err != nil {
		return fmt.Sprintf("config: %v", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Sprintf("config: %v", err)
	}
	return b.String()
}

// UmaskBits returns hdfs.umask as permission bits; Validate reports a
// malformed one.
func (h HDFS) UmaskBits() (os.FileMode, error) {
	v, err := strconv.ParseUint(h.Umask, 8, 32)
	if err != nil || v > 0o777 || h.Umask == "" || len(h.Umask) > 4 {
		return 0, fmt.Errorf("must be three or four octal digits no greater than 0777, such as 022, got %q", h.Umask)
	}
	return os.FileMode(v), nil
}
